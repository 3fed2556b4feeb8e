import { getTranslations } from 'next-intl/server';
import { StaffConsole } from '@/components/admin/staff/staff-console';
import { requireRole } from '@/server/page-auth';

/** Staff accounts: invigilators, support agents, admins. */
export default async function StaffPage() {
  const user = await requireRole();
  const t = await getTranslations('adminStaff');
  return (
    <div>
      <h1 className="text-2xl font-semibold">{t('title')}</h1>
      <p className="mb-5 mt-1 text-sm text-slate-500">{t('intro')}</p>
      <StaffConsole currentUserId={user.id} />
    </div>
  );
}
