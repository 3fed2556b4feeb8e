import { createHash, randomBytes, randomInt } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { and, eq, gt, lt } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { loginAttempts, sessions, users, type Role, type User } from '@/db/schema';
import { env } from '../env';
import type { UserCaller } from '../auth/caller';
import { AppError } from '../errors';

export const SESSION_COOKIE = 'sid';


// No 0/O, 1/l/I: read aloud over the phone or copied from paper without mistakes.
const READABLE = 'abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** A password staff hand over (shown once): readable characters, at least one letter and one digit. */
export function generatePassword(length = 10) {
  for (;;) {
    let s = '';
    for (let i = 0; i < length; i++) s += READABLE[randomInt(READABLE.length)];
    if (/\d/.test(s) && /[a-zA-Z]/.test(s)) return s;
  }
}

/** The shortest password staff may set, for any account. */
export const PASSWORD_MIN = 8;

/** The password hash of an account that has no password yet: nothing verifies against it. */
export const NO_PASSWORD = '';

export function hashPassword(password: string) {
  return hash(password);
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

// A constant hash to verify against when the user does not exist, so response time does not
// reveal which ID numbers are registered.
let dummyHash: Promise<string> | undefined;

type LoginInput = {
  db: Db;
  /** Candidates log in by ID number, staff by username. */
  kind: 'candidate' | 'staff';
  identifier: string;
  password: string;
  now?: Date;
};

/** Checks the throttle, verifies the password and opens a session. Returns the cookie value. */
export async function login({ db, kind, identifier, password, now = new Date() }: LoginInput) {
  const subject = `${kind}:${identifier.trim().toUpperCase()}`;
  // Check the throttle and count this attempt as a failure in one synchronous step, before the
  // slow password check: guesses sent in parallel must not all slip past the same check.
  const attemptId = db.transaction((tx) => {
    assertNotThrottled({ db: tx, subject, now });
    return tx.insert(loginAttempts).values({ subject, succeeded: false, at: now }).returning({ id: loginAttempts.id }).get().id;
  });

  const user =
    kind === 'candidate'
      ? db.select().from(users).where(eq(users.idNumber, identifier.trim().toUpperCase())).get()
      : db.select().from(users).where(eq(users.username, identifier.trim())).get();
  // Archived accounts and accounts without a password (imported candidates until staff set one)
  // fail like a wrong password, after the same amount of work.
  const usable = user && !user.archivedAt && user.passwordHash !== NO_PASSWORD;
  const roleMatches = usable && (kind === 'candidate' ? user.role === 'candidate' : user.role !== 'candidate');

  dummyHash ??= hash('not-a-real-password');
  const ok = await verify(roleMatches ? user.passwordHash : await dummyHash, password);

  if (!roleMatches || !ok) {
    const remaining = env.LOGIN_MAX_FAILURES - recentFailures({ db, subject, now });
    if (remaining <= 0) throw throttledError();
    throw new AppError('UNAUTHORIZED', 'auth.badCredentials', { remaining });
  }
  if (kind === 'candidate' && !user.passwordLoginEnabled) {
    throw new AppError('FORBIDDEN', 'auth.passwordLoginDisabled');
  }

  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + env.SESSION_TTL_HOURS * 3600_000);
  db.transaction((tx) => {
    tx.insert(sessions).values({ tokenHash: sha256(token), userId: user.id, expiresAt }).run();
    tx.update(loginAttempts).set({ succeeded: true }).where(eq(loginAttempts.id, attemptId)).run();
    // Housekeeping: expired sessions of this user are of no use to anyone.
    tx.delete(sessions).where(and(eq(sessions.userId, user.id), lt(sessions.expiresAt, now))).run();
  });
  return { token, expiresAt, user: toCaller(user) };
}

function recentFailures({ db, subject, now }: { db: DbOrTx; subject: string; now: Date }) {
  const since = new Date(now.getTime() - env.LOGIN_LOCK_MINUTES * 60_000);
  const rows = db
    .select({ succeeded: loginAttempts.succeeded })
    .from(loginAttempts)
    .where(and(eq(loginAttempts.subject, subject), gt(loginAttempts.at, since)))
    .orderBy(loginAttempts.id)
    .all();
  // Failures count since the last success inside the window.
  let failures = 0;
  for (const r of rows) failures = r.succeeded ? 0 : failures + 1;
  return failures;
}

const throttledError = () =>
  new AppError('TOO_MANY_REQUESTS', 'auth.throttled', { minutes: env.LOGIN_LOCK_MINUTES });

function assertNotThrottled(opts: { db: DbOrTx; subject: string; now: Date }) {
  if (recentFailures(opts) >= env.LOGIN_MAX_FAILURES) throw throttledError();
}

export function logout({ db, token }: { db: Db; token: string }) {
  db.delete(sessions).where(eq(sessions.tokenHash, sha256(token))).run();
}

export function userFromSession({ db, token, now = new Date() }: { db: Db; token: string | undefined; now?: Date }) {
  if (!token) return null;
  const row = db
    .select({ user: users, expiresAt: sessions.expiresAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.tokenHash, sha256(token)))
    .get();
  if (!row || row.expiresAt <= now || row.user.archivedAt) return null;
  return toCaller(row.user);
}

/** The caller a session stands for (see server/auth/caller.ts). */
export const toCaller = (u: User): UserCaller => ({
  kind: 'user',
  id: u.id,
  role: u.role,
  name: u.name,
  username: u.username,
  idNumber: u.idNumber,
});

export const homeFor = (role: Role) =>
  role === 'candidate' ? '/exams' : role === 'support' ? '/desk' : role === 'admin' ? '/admin/exams' : '/rooms';
