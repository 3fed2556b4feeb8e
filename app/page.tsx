import { redirect } from 'next/navigation';
import { currentUser } from '@/server/page-auth';
import { homeFor } from '@/server/services/auth';

export default async function Home() {
  const user = await currentUser();
  redirect(user ? homeFor(user.role) : '/login');
}
