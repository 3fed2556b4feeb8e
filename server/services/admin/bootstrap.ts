import { and, eq, isNull } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { users } from '@/db/schema';
import { AppError } from '../../errors';
import { audit } from '../audit';
import { hashPassword } from '../auth';
import { insertUser } from '../setup';

/**
 * A new installation has no accounts at all: the first admin is made in the browser (/setup).
 * The page works only while no active admin exists, so it cannot be used to add a second one.
 */
export function needsFirstAdmin(db: DbOrTx) {
  return !db.select({ id: users.id }).from(users).where(and(eq(users.role, 'admin'), isNull(users.archivedAt))).get();
}

export async function createFirstAdmin({ db, name, username, password }: { db: Db; name: string; username: string; password: string }) {
  const passwordHash = await hashPassword(password);
  // The check and the insert in one transaction: two browsers racing on /setup make one admin.
  return db.transaction((tx) => {
    if (!needsFirstAdmin(tx)) throw new AppError('CONFLICT', 'auth.setupDone');
    if (tx.select({ id: users.id }).from(users).where(eq(users.username, username)).get()) throw new AppError('CONFLICT', 'auth.usernameTaken');
    const admin = insertUser(tx, { role: 'admin', name, username, passwordHash });
    audit(tx, { actorId: admin.id, action: 'staff.first_admin_created', detail: { username } });
    return admin;
  });
}
