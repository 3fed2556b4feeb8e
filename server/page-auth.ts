import { cookies } from 'next/headers';
import { redirect } from 'next/navigation';
import type { Role } from '@/db/schema';
import { getDb } from './db';
import { homeFor, SESSION_COOKIE, userFromSession } from './services/auth';

/** The logged-in user for a server component, or null. */
export async function currentUser() {
  const token = (await cookies()).get(SESSION_COOKIE)?.value;
  return userFromSession({ db: getDb(), token });
}

/** Sends visitors without a session to login, and users of another role to their own home. */
export async function requireRole(...roles: Role[]) {
  const user = await currentUser();
  if (!user) redirect('/login');
  if (user.role !== 'admin' && !roles.includes(user.role)) redirect(homeFor(user.role));
  return user;
}
