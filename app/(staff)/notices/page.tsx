import { getTranslations } from 'next-intl/server';
import { NoticesConsole } from '@/components/messages/notices-console';
import { AppHeader } from '@/components/ui/app-header';
import { requireRole } from '@/server/page-auth';

/** System messages: admins to anyone, invigilators to their rooms, support to one candidate. */
export default async function NoticesPage() {
  const user = await requireRole('invigilator', 'support');
  const t = await getTranslations('notices');
  return (
    <>
      <AppHeader user={user} />
      <main className="mx-auto max-w-screen-xl px-4 py-6">
        <h1 className="text-2xl font-semibold">{t('title')}</h1>
        <p className="mb-5 mt-1 text-sm text-slate-500">{t('intro')}</p>
        <NoticesConsole />
      </main>
    </>
  );
}
