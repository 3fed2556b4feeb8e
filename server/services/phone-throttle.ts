import { and, count, eq, gt, inArray } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { loginAttempts } from '@/db/schema';
import { AppError } from '../errors';

/**
 * Guessing bind codes. A code is 6 digits and lives 5 minutes, so a guesser's odds are
 * (live codes / 10^6) per try: the number of tries is what must be capped. Two caps, both kept in
 * the login_attempts table under their own subject prefix:
 * - per client address: one device (or a script on one address) gets PER_CLIENT tries;
 * - per code prefix (first 3 digits), whoever asks: spreading guesses over many addresses still
 *   gets at most PER_PREFIX wrong tries for the ~1000 codes behind each prefix. A candidate
 *   locked out by someone else's guessing still binds with the QR link, which is not throttled
 *   (its token has 256 bits).
 * Failures count within the window whatever succeeded in between: a right code typed by one
 * candidate must not buy a guesser fresh tries.
 */
export const BIND_THROTTLE = { windowMinutes: 15, perClient: 10, perPrefix: 10 } as const;

const clientSubject = (client: string) => `phone-bind:client:${client.slice(0, 100)}`;
const prefixSubject = (code: string) => `phone-bind:prefix:${code.slice(0, 3)}`;

/**
 * Checks both caps and counts this try as a failure, in one synchronous step: tries sent in
 * parallel cannot all slip past the same check. Returns the attempt ids to mark as succeeded.
 */
export function countBindAttempt({ db, client, code, now }: { db: DbOrTx; client: string; code: string; now: Date }): number[] {
  const subjects = [clientSubject(client), prefixSubject(code)];
  return db.transaction((tx) => {
    const since = new Date(now.getTime() - BIND_THROTTLE.windowMinutes * 60_000);
    const failures = tx
      .select({ subject: loginAttempts.subject, n: count() })
      .from(loginAttempts)
      .where(and(inArray(loginAttempts.subject, subjects), eq(loginAttempts.succeeded, false), gt(loginAttempts.at, since)))
      .groupBy(loginAttempts.subject)
      .all();
    const of = (s: string) => failures.find((f) => f.subject === s)?.n ?? 0;
    if (of(subjects[0]!) >= BIND_THROTTLE.perClient || of(subjects[1]!) >= BIND_THROTTLE.perPrefix) {
      throw new AppError('TOO_MANY_REQUESTS', 'phone.throttled', { minutes: BIND_THROTTLE.windowMinutes });
    }
    return subjects.map((subject) => tx.insert(loginAttempts).values({ subject, succeeded: false, at: now }).returning({ id: loginAttempts.id }).get().id);
  });
}

export function markBindAttemptSucceeded({ db, ids }: { db: DbOrTx; ids: number[] }) {
  if (ids.length) db.update(loginAttempts).set({ succeeded: true }).where(inArray(loginAttempts.id, ids)).run();
}
