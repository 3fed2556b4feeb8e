import { getTranslations } from 'next-intl/server';
import { AuditLog } from '@/components/admin/audit/audit-log';

/** Every staff action, filterable and exportable (the admin layout has checked the role). */
export default async function AdminAuditPage() {
  const t = await getTranslations('adminAudit');
  return (
    <div>
      <h1 className="text-2xl font-semibold">{t('title')}</h1>
      <p className="mb-5 mt-1 text-sm text-slate-500">{t('intro')}</p>
      <AuditLog />
    </div>
  );
}
