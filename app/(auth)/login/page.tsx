import { getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { redirect } from 'next/navigation';
import { LoginScreen } from '@/components/auth/login-screen';
import { HotlineContact } from '@/components/help/hotline';
import { Alert } from '@/components/ui/alert';
import { AppHeader } from '@/components/ui/app-header';
import { getDb } from '@/server/db';
import { currentUser } from '@/server/page-auth';
import { needsFirstAdmin } from '@/server/services/admin/bootstrap';
import { homeFor } from '@/server/services/auth';

export default async function LoginPage() {
  const user = await currentUser();
  if (user) redirect(homeFor(user.role));
  // A new installation has nobody to log in as: its first admin is made on /setup.
  const setup = needsFirstAdmin(getDb());
  const t = await getTranslations('login.setup');
  return (
    <>
      <AppHeader />
      <main className="flex min-h-[calc(100vh-3.5rem)] items-start justify-center px-4 pt-10">
        <div className="w-full max-w-sm space-y-4">
          {setup && (
            <Alert tone="info">
              {t('banner')}{' '}
              <Link href="/setup" className="font-medium underline" data-testid="setup-link">
                {t('bannerLink')}
              </Link>
            </Alert>
          )}
          <LoginScreen />
          {/* Before login, for a candidate who cannot get in: whom to call. */}
          <HotlineContact />
        </div>
      </main>
    </>
  );
}
