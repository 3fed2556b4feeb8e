import 'server-only';
import { redirect } from 'next/navigation';
import type { Role } from '@/db/schema';
import { authFromCookies } from './auth/caller';
import { homeFor } from './services/auth';

/** The logged-in caller for a server component, or null. */
export async function currentUser() {
  return (await authFromCookies()).user;
}

/** Sends visitors without a session to login, and users of another role to their own home. */
export async function requireRole(...roles: Role[]) {
  const user = await currentUser();
  if (!user) redirect('/login');
  if (user.role !== 'admin' && !roles.includes(user.role)) redirect(homeFor(user.role));
  return user;
}
