import { redirect } from 'next/navigation';
import { SetupForm } from '@/components/auth/setup-form';
import { AppHeader } from '@/components/ui/app-header';
import { getDb } from '@/server/db';
import { ensureSetupToken, needsFirstAdmin } from '@/server/services/admin/bootstrap';

export const dynamic = 'force-dynamic';

/** First run only: once an admin exists this page sends everyone to the login. */
export default function SetupPage() {
  if (!needsFirstAdmin(getDb())) redirect('/login');
  // Made (and printed to the server log) now if the database lost its admin since the start.
  ensureSetupToken({ db: getDb() });
  return (
    <>
      <AppHeader />
      <main className="flex min-h-[calc(100vh-3.5rem)] items-start justify-center px-4 pt-10">
        <SetupForm />
      </main>
    </>
  );
}
