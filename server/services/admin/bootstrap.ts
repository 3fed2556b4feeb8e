import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { and, eq, isNull } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { users } from '@/db/schema';
import { env } from '../../env';
import { AppError } from '../../errors';
import { audit } from '../audit';
import { hashPassword } from '../auth';
import { insertUser } from '../setup';

/**
 * A new installation has no accounts at all: the first admin is made in the browser (/setup).
 * The page works only while no active admin exists, so it cannot be used to add a second one.
 */
export function needsFirstAdmin(db: DbOrTx) {
  return !db
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.role, 'admin'), isNull(users.archivedAt)))
    .get();
}

/** Where the one-time setup token is kept while the installation has no admin. */
export const setupTokenFile = (dataDir: string = env.DATA_DIR) => path.join(dataDir, 'setup-token');

/**
 * /setup would otherwise make whoever reaches it first the admin. While there is no admin, a
 * one-time token is made, written to the data folder (readable by whoever runs the server only)
 * and printed to the server log; the setup form asks for it. The same token stays valid until
 * it is used, so a restart does not invalidate what the operator already copied.
 */
export function ensureSetupToken({ db, dataDir = env.DATA_DIR, log = console.log }: { db: DbOrTx; dataDir?: string; log?: (line: string) => void }) {
  if (!needsFirstAdmin(db)) return null;
  const file = setupTokenFile(dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  let made = false;
  try {
    fs.writeFileSync(file, randomBytes(24).toString('base64url'), { flag: 'wx', mode: 0o600 });
    made = true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  const token = fs.readFileSync(file, 'utf8').trim();
  if (made) log(`No admin account yet. Open /setup and enter the setup token: ${token} (also in ${file})`);
  return token;
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time comparison with the token on file; no file means no token is valid. */
function setupTokenMatches(given: string, dataDir: string) {
  let expected: string;
  try {
    expected = fs.readFileSync(setupTokenFile(dataDir), 'utf8').trim();
  } catch {
    return false;
  }
  // Hashing first gives equal lengths, so the comparison's time says nothing about the token.
  return expected.length > 0 && timingSafeEqual(digest(given), digest(expected));
}

export async function createFirstAdmin({
  db,
  name,
  username,
  password,
  token,
  dataDir = env.DATA_DIR,
}: {
  db: Db;
  name: string;
  username: string;
  password: string;
  /** The one-time setup token (ensureSetupToken). */
  token: string;
  dataDir?: string;
}) {
  // Cheap refusals first: a closed /setup must not cost an argon2 hash per request.
  if (!needsFirstAdmin(db)) throw new AppError('CONFLICT', 'auth.setupDone');
  if (!setupTokenMatches(token, dataDir)) throw new AppError('FORBIDDEN', 'auth.setupTokenWrong');
  const passwordHash = await hashPassword(password);
  // The check and the insert in one transaction: two browsers racing on /setup make one admin.
  const admin = db.transaction((tx) => {
    if (!needsFirstAdmin(tx)) throw new AppError('CONFLICT', 'auth.setupDone');
    if (tx.select({ id: users.id }).from(users).where(eq(users.username, username)).get()) throw new AppError('CONFLICT', 'auth.usernameTaken');
    const admin = insertUser(tx, { role: 'admin', name, username, passwordHash });
    audit(tx, { actorId: admin.id, action: 'staff.first_admin_created', detail: { username } });
    return admin;
  });
  // Single use: once an admin exists the token is gone (a later first-run gets a new one).
  fs.rmSync(setupTokenFile(dataDir), { force: true });
  return admin;
}
