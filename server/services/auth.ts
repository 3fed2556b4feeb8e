import { createHash, randomBytes, randomInt } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';
import { and, count, eq, gt, inArray, lt, sql } from 'drizzle-orm';
import { prepared } from '@/db/prepared';
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
  /** The client's address (server/auth/client-address.ts), for the per-client lock. */
  client?: string;
  now?: Date;
};

/**
 * Checks the throttles, verifies the password and opens a session. Returns the cookie value.
 *
 * Two throttles, both kept in login_attempts:
 * - per client address, a lock: LOGIN_CLIENT_MAX_FAILURES failures (on any accounts) within
 *   LOGIN_LOCK_MINUTES lock that client out. This is what stops a guesser.
 * - per account, a short backoff: past LOGIN_MAX_FAILURES failures the account takes one try
 *   per 2 s, 4 s, 8 s… (capped at LOGIN_BACKOFF_MAX_SECONDS) since its last failure. Tries
 *   refused for the backoff are not counted, so someone else's guessing keeps the real user
 *   waiting seconds, never locked out; and a guesser spread over many addresses still gets only
 *   one try per backoff period.
 */
export async function login({ db, kind, identifier, password, client = 'unknown', now = new Date() }: LoginInput) {
  const attempt = beginLoginAttempt({ db, subject: `${kind}:${identifier.trim().toUpperCase()}`, client, now });

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

  if (!roleMatches || !ok) return attempt.refuse('auth.badCredentials');
  if (kind === 'candidate' && !user.passwordLoginEnabled) {
    throw new AppError('FORBIDDEN', 'auth.passwordLoginDisabled');
  }
  return openSession({ db, user, attemptIds: attempt.ids, now });
}

/**
 * The throttles of every way in (password, face): checks them and counts the attempt as a
 * failure in one synchronous step, before any slow check, so that guesses sent in parallel
 * cannot all slip past the same check. `refuse` throws the error a failed attempt gets (the
 * lock, the backoff, or `key` with the tries left); a success clears the attempt in `openSession`.
 */
export function beginLoginAttempt({ db, subject, client, now }: { db: Db; subject: string; client: string; now: Date }) {
  const clientSubject = loginClientSubject(client);
  const ids = db.transaction((tx) => {
    assertClientNotLocked({ db: tx, clientSubject, now });
    assertAccountNotBackingOff({ db: tx, subject, now });
    return [subject, clientSubject].map(
      (s) => tx.insert(loginAttempts).values({ subject: s, succeeded: false, at: now }).returning({ id: loginAttempts.id }).get().id,
    );
  });
  pruneLoginAttempts({ db, now });
  return {
    ids,
    refuse(key: 'auth.badCredentials' | 'face.notFound'): never {
      if (clientFailures({ db, clientSubject, now }) >= env.LOGIN_CLIENT_MAX_FAILURES) throw clientLockedError();
      const failures = accountFailures({ db, subject, now }).failures;
      const remaining = env.LOGIN_MAX_FAILURES - failures;
      if (remaining <= 0) throw new AppError('TOO_MANY_REQUESTS', 'auth.slowDown', { seconds: backoffSeconds(failures) });
      throw new AppError('UNAUTHORIZED', key, { remaining });
    },
    /** Neither failure nor success: the attempt proved nothing either way. */
    forget() {
      db.delete(loginAttempts).where(inArray(loginAttempts.id, ids)).run();
    },
  };
}

/** Opens a session for a user whose login succeeded, and marks its counted attempts as successes. */
export function openSession({ db, user, attemptIds = [], now = new Date() }: { db: Db; user: User; attemptIds?: number[]; now?: Date }) {
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + env.SESSION_TTL_HOURS * 3600_000);
  db.transaction((tx) => {
    tx.insert(sessions)
      .values({ tokenHash: sha256(token), userId: user.id, expiresAt })
      .run();
    if (attemptIds.length) tx.update(loginAttempts).set({ succeeded: true }).where(inArray(loginAttempts.id, attemptIds)).run();
    // Housekeeping: expired sessions of this user are of no use to anyone.
    tx.delete(sessions)
      .where(and(eq(sessions.userId, user.id), lt(sessions.expiresAt, now)))
      .run();
  });
  return { token, expiresAt, user: toCaller(user) };
}

export const loginClientSubject = (client: string) => `login:client:${client.slice(0, 100)}`;

/** The wait an account with this many failures needs between tries, in seconds. */
export function backoffSeconds(failures: number) {
  const over = failures - env.LOGIN_MAX_FAILURES;
  if (over < 0) return 0;
  return Math.min(env.LOGIN_BACKOFF_MAX_SECONDS, 2 ** Math.min(over + 1, 30));
}

/** Failures of an account since its last success inside the window, and when the last one was. */
function accountFailures({ db, subject, now }: { db: DbOrTx; subject: string; now: Date }) {
  const since = new Date(now.getTime() - env.LOGIN_LOCK_MINUTES * 60_000);
  const rows = db
    .select({ succeeded: loginAttempts.succeeded, at: loginAttempts.at })
    .from(loginAttempts)
    .where(and(eq(loginAttempts.subject, subject), gt(loginAttempts.at, since)))
    .orderBy(loginAttempts.id)
    .all();
  let failures = 0;
  let lastAt: Date | null = null;
  for (const r of rows) {
    failures = r.succeeded ? 0 : failures + 1;
    lastAt = r.succeeded ? null : r.at;
  }
  return { failures, lastAt };
}

function assertAccountNotBackingOff(opts: { db: DbOrTx; subject: string; now: Date }) {
  const { failures, lastAt } = accountFailures(opts);
  const waitMs = backoffSeconds(failures) * 1000;
  if (!lastAt || waitMs === 0) return;
  const left = lastAt.getTime() + waitMs - opts.now.getTime();
  if (left > 0) throw new AppError('TOO_MANY_REQUESTS', 'auth.slowDown', { seconds: Math.ceil(left / 1000) });
}

/** A client's failures inside the window, on any accounts; its successes buy no fresh tries. */
function clientFailures({ db, clientSubject, now }: { db: DbOrTx; clientSubject: string; now: Date }) {
  const since = new Date(now.getTime() - env.LOGIN_LOCK_MINUTES * 60_000);
  return (
    db
      .select({ n: count() })
      .from(loginAttempts)
      .where(and(eq(loginAttempts.subject, clientSubject), eq(loginAttempts.succeeded, false), gt(loginAttempts.at, since)))
      .get()?.n ?? 0
  );
}

const clientLockedError = () => new AppError('TOO_MANY_REQUESTS', 'auth.throttled', { minutes: env.LOGIN_LOCK_MINUTES });

function assertClientNotLocked(opts: { db: DbOrTx; clientSubject: string; now: Date }) {
  if (clientFailures(opts) >= env.LOGIN_CLIENT_MAX_FAILURES) throw clientLockedError();
}

/** Attempts older than this serve no throttle (login or bind code) any more. */
export const LOGIN_ATTEMPTS_KEEP_MS = 24 * 3600_000;
const PRUNE_BATCH = 200;

/**
 * Housekeeping: drops attempts no throttle looks at any more, a bounded batch per call, so the
 * table stays small without one login paying for a large delete.
 */
export function pruneLoginAttempts({ db, now }: { db: DbOrTx; now: Date }) {
  const cutoff = new Date(now.getTime() - Math.max(LOGIN_ATTEMPTS_KEEP_MS, env.LOGIN_LOCK_MINUTES * 60_000));
  const old = db.select({ id: loginAttempts.id }).from(loginAttempts).where(lt(loginAttempts.at, cutoff)).limit(PRUNE_BATCH);
  return db.delete(loginAttempts).where(inArray(loginAttempts.id, old)).run().changes;
}

export function logout({ db, token }: { db: Db; token: string }) {
  db.delete(sessions)
    .where(eq(sessions.tokenHash, sha256(token)))
    .run();
}

/**
 * Ends every session of an account: after its password changed or its password login was
 * switched off, whoever logged in with the old password must not stay in.
 */
export function endSessions({ db, userId }: { db: DbOrTx; userId: number }) {
  return db.delete(sessions).where(eq(sessions.userId, userId)).run().changes;
}

/** The session lookup of every request and of every open live connection's re-check: prepared once per database. */
const sessionLookup = prepared((db) =>
  db
    .select({ user: users, expiresAt: sessions.expiresAt })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.tokenHash, sql.placeholder('hash')))
    .prepare(),
);

export function userFromSession({ db, token, now = new Date() }: { db: Db; token: string | undefined; now?: Date }) {
  if (!token) return null;
  const row = sessionLookup(db).get({ hash: sha256(token) });
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

/**
 * Where a login lands: a candidate who has never seen the exam-process page is shown it first
 * (once: the page marks it seen); everyone else goes to their role's home.
 */
export function loginHome({ db, user }: { db: Db; user: UserCaller }) {
  if (user.role !== 'candidate') return homeFor(user.role);
  const seen = db.select({ at: users.processSeenAt }).from(users).where(eq(users.id, user.id)).get()?.at;
  return seen ? homeFor(user.role) : '/process';
}

export const homeFor = (role: Role) => (role === 'candidate' ? '/exams' : role === 'support' ? '/desk' : role === 'admin' ? '/admin/exams' : '/rooms');
