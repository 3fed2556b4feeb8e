import { count, eq, like } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { loginAttempts, sessions } from '@/db/schema';
import { env } from '@/server/env';
import { AppError } from '@/server/errors';
import { setCandidatePassword, setPasswordLogin } from '@/server/services/admin/candidates';
import { resetPassword } from '@/server/services/admin/staff';
import { login, LOGIN_ATTEMPTS_KEEP_MS, loginClientSubject, pruneLoginAttempts, userFromSession } from '@/server/services/auth';
import { makeCandidate, makeIdNumber, makeStaff, PASSWORD } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';

const fx = useTestDb();
const T0 = new Date('2030-06-01T08:00:00.000Z');
const later = (ms: number) => new Date(T0.getTime() + ms);

async function refused(p: Promise<unknown>) {
  const err = await p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw err;
  return err;
}

describe('login throttles: the guesser is locked, not the account', () => {
  it('five wrong passwords from a stranger do not keep the candidate out: a short wait, then they log in', async () => {
    const cand = await makeCandidate(fx.db);
    for (let i = 0; i < env.LOGIN_MAX_FAILURES; i++) {
      await refused(login({ db: fx.db, kind: 'candidate', identifier: cand.idNumber!, password: 'wrong', client: '198.51.100.66', now: T0 }));
    }

    // On the old code this was a 15-minute lock of the account itself.
    const s = await login({ db: fx.db, kind: 'candidate', identifier: cand.idNumber!, password: PASSWORD, client: '203.0.113.1', now: later(2_000) });
    expect(s.user.id).toBe(cand.id);
  });

  it('a client spraying wrong passwords over many accounts is locked out, even with a right password, while others log in', async () => {
    const victim = await makeCandidate(fx.db);
    const guesser = '198.51.100.99';
    for (let i = 0; i < env.LOGIN_CLIENT_MAX_FAILURES; i++) {
      await refused(login({ db: fx.db, kind: 'candidate', identifier: makeIdNumber(), password: 'wrong', client: guesser, now: later(i) }));
    }

    const locked = await refused(login({ db: fx.db, kind: 'candidate', identifier: victim.idNumber!, password: PASSWORD, client: guesser, now: later(1_000) }));
    expect(locked).toMatchObject({ code: 'TOO_MANY_REQUESTS', key: 'auth.throttled', params: { minutes: env.LOGIN_LOCK_MINUTES } });

    await expect(
      login({ db: fx.db, kind: 'candidate', identifier: victim.idNumber!, password: PASSWORD, client: '203.0.113.2', now: later(1_000) }),
    ).resolves.toBeTruthy();
    await expect(
      login({
        db: fx.db,
        kind: 'candidate',
        identifier: victim.idNumber!,
        password: PASSWORD,
        client: guesser,
        now: later(env.LOGIN_LOCK_MINUTES * 60_000 + 1_000),
      }),
    ).resolves.toBeTruthy();
  });

  it('a guesser’s own successful login buys it no fresh tries', async () => {
    const mine = await makeCandidate(fx.db);
    const guesser = '198.51.100.98';
    for (let i = 0; i < env.LOGIN_CLIENT_MAX_FAILURES - 1; i++) {
      await refused(login({ db: fx.db, kind: 'candidate', identifier: makeIdNumber(), password: 'wrong', client: guesser, now: T0 }));
    }
    await login({ db: fx.db, kind: 'candidate', identifier: mine.idNumber!, password: PASSWORD, client: guesser, now: T0 });
    await refused(login({ db: fx.db, kind: 'candidate', identifier: makeIdNumber(), password: 'wrong', client: guesser, now: T0 }));

    const err = await refused(login({ db: fx.db, kind: 'candidate', identifier: makeIdNumber(), password: 'wrong', client: guesser, now: T0 }));
    expect(err.key).toBe('auth.throttled');
  });

  it('old attempts are pruned in bounded batches; recent ones stay', async () => {
    const old = new Date(T0.getTime() - LOGIN_ATTEMPTS_KEEP_MS - 1);
    fx.db
      .insert(loginAttempts)
      .values(Array.from({ length: 250 }, () => ({ subject: 'candidate:X', succeeded: false, at: old })))
      .run();
    fx.db
      .insert(loginAttempts)
      .values({ subject: loginClientSubject('192.0.2.1'), succeeded: false, at: T0 })
      .run();

    expect(pruneLoginAttempts({ db: fx.db, now: T0 })).toBe(200);
    expect(pruneLoginAttempts({ db: fx.db, now: T0 })).toBe(50);
    expect(fx.db.select({ n: count() }).from(loginAttempts).get()!.n).toBe(1);
    // Logins prune as they go.
    fx.db.insert(loginAttempts).values({ subject: 'candidate:Y', succeeded: false, at: old }).run();
    await refused(login({ db: fx.db, kind: 'candidate', identifier: makeIdNumber(), password: 'wrong', now: T0 }));
    expect(fx.db.select().from(loginAttempts).where(like(loginAttempts.subject, 'candidate:Y')).all()).toHaveLength(0);
  });
});

describe('revocation: a new password, or password login switched off, ends the account’s sessions', () => {
  it('staff setting a candidate’s password logs out whoever used the old one', async () => {
    const admin = await makeStaff(fx.db, 'admin');
    const cand = await makeCandidate(fx.db);
    const s = await login({ db: fx.db, kind: 'candidate', identifier: cand.idNumber!, password: PASSWORD });

    await setCandidatePassword({ db: fx.db, actorId: admin.id, candidateId: cand.id, password: 'a-new-password-1' });

    expect(userFromSession({ db: fx.db, token: s.token })).toBeNull();
    expect(fx.db.select().from(sessions).where(eq(sessions.userId, cand.id)).all()).toHaveLength(0);
  });

  it('switching a candidate’s password login off ends their sessions', async () => {
    const admin = await makeStaff(fx.db, 'admin');
    const cand = await makeCandidate(fx.db);
    const s = await login({ db: fx.db, kind: 'candidate', identifier: cand.idNumber!, password: PASSWORD });

    setPasswordLogin({ db: fx.db, actorId: admin.id, candidateId: cand.id, enabled: false });

    expect(userFromSession({ db: fx.db, token: s.token })).toBeNull();
  });

  it('an admin resetting an invigilator’s password ends the invigilator’s sessions', async () => {
    const admin = await makeStaff(fx.db, 'admin');
    const inv = await makeStaff(fx.db, 'invigilator');
    const s = await login({ db: fx.db, kind: 'staff', identifier: inv.username!, password: PASSWORD });

    await resetPassword({ db: fx.db, actorId: admin.id, userId: inv.id, password: 'another-pass-2' });

    expect(userFromSession({ db: fx.db, token: s.token })).toBeNull();
  });
});
