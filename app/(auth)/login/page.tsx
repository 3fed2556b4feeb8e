import { redirect } from 'next/navigation';
import { LoginScreen } from '@/components/auth/login-screen';
import { AppHeader } from '@/components/ui/app-header';
import { currentUser } from '@/server/page-auth';
import { homeFor } from '@/server/services/auth';

export default async function LoginPage() {
  const user = await currentUser();
  if (user) redirect(homeFor(user.role));
  return (
    <>
      <AppHeader />
      <main className="flex min-h-[calc(100vh-3.5rem)] items-start justify-center px-4 pt-10">
        <LoginScreen />
      </main>
    </>
  );
}
