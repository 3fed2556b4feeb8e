import { getTranslations } from 'next-intl/server';
import { IdentityQueue } from '@/components/identity/identity-queue';
import { AppHeader } from '@/components/ui/app-header';
import { requireRole } from '@/server/page-auth';

/** The identity check queue: face logins below the threshold, for a person to decide. */
export default async function IdentityPage() {
  const user = await requireRole('invigilator', 'support');
  const t = await getTranslations('identityCheck');
  return (
    <>
      <AppHeader user={user} />
      <main className="mx-auto max-w-screen-xl px-4 py-6">
        <h1 className="text-2xl font-semibold">{t('title')}</h1>
        <p className="mb-5 mt-1 text-sm text-slate-500">{t('hint')}</p>
        <IdentityQueue />
      </main>
    </>
  );
}
