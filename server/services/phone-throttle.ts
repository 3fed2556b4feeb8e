import { and, count, eq, gt, inArray } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { loginAttempts } from '@/db/schema';
import { AppError } from '../errors';

/**
 * Guessing bind codes. A code is BIND_CODE_LENGTH (10) digits and lives 5 minutes, so a guess
 * hits with odds (live codes / 10^10): even a thousand live codes leave 10^7 tries per hit. The
 * cap is per client address (server/auth/client-address.ts): one device, or one IPv6 /64, gets
 * PER_CLIENT tries per window. There is deliberately no cap shared by everyone (the old per-prefix
 * cap let one guesser lock every candidate out of a whole block of codes): the code's length is
 * what makes spreading guesses over many addresses useless.
 * Failures count within the window whatever succeeded in between: a right code typed by one
 * candidate must not buy a guesser fresh tries.
 */
export const BIND_THROTTLE = { windowMinutes: 15, perClient: 10 } as const;

const clientSubject = (client: string) => `phone-bind:client:${client.slice(0, 100)}`;

/**
 * Checks the cap and counts this try as a failure, in one synchronous step: tries sent in
 * parallel cannot all slip past the same check. Returns the attempt ids to mark as succeeded.
 */
export function countBindAttempt({ db, client, now }: { db: DbOrTx; client: string; code?: string; now: Date }): number[] {
  const subject = clientSubject(client);
  return db.transaction((tx) => {
    const since = new Date(now.getTime() - BIND_THROTTLE.windowMinutes * 60_000);
    const failures =
      tx
        .select({ n: count() })
        .from(loginAttempts)
        .where(and(eq(loginAttempts.subject, subject), eq(loginAttempts.succeeded, false), gt(loginAttempts.at, since)))
        .get()?.n ?? 0;
    if (failures >= BIND_THROTTLE.perClient) {
      throw new AppError('TOO_MANY_REQUESTS', 'phone.throttled', { minutes: BIND_THROTTLE.windowMinutes });
    }
    return [tx.insert(loginAttempts).values({ subject, succeeded: false, at: now }).returning({ id: loginAttempts.id }).get().id];
  });
}

export function markBindAttemptSucceeded({ db, ids }: { db: DbOrTx; ids: number[] }) {
  if (ids.length) db.update(loginAttempts).set({ succeeded: true }).where(inArray(loginAttempts.id, ids)).run();
}
