import fs from 'node:fs';
import { eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { users } from '@/db/schema';
import { createFirstAdmin, ensureSetupToken, setupTokenFile } from '@/server/services/admin/bootstrap';
import { hashPassword } from '@/server/services/auth';
import { makeStaff } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, httpCall, makeContext, trpcRefusal, withLocale } from '../helpers/unit-support';

vi.mock('@/server/services/auth', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@/server/services/auth')>();
  return { ...actual, hashPassword: vi.fn(actual.hashPassword) };
});
vi.mock('next/headers', () => ({ headers: async () => new Headers({ 'x-forwarded-for': '192.0.2.20' }) }));

const fx = useTestDb();
const INPUT = { name: '系统管理员', username: 'root', password: 'first-admin-42' };

beforeEach(() => {
  fs.rmSync(setupTokenFile(), { force: true });
});

describe('first run needs the one-time setup token', () => {
  it('a visitor without the token cannot make themselves admin, in either language', async () => {
    const token = ensureSetupToken({ db: fx.db, log: () => {} })!;

    const zh = await httpCall({ ctx: makeContext(fx.db, null), path: 'auth.setupFirstAdmin', input: { ...INPUT, token: 'guess' } });
    const en = await httpCall({ ctx: withLocale(makeContext(fx.db, null), 'en'), path: 'auth.setupFirstAdmin', input: { ...INPUT, token: `${token}x` } });

    expect(zh.status).toBe(403);
    expect(zh.body.error.json.message).toMatch(/初始化口令不正确/);
    expect(en.status).toBe(403);
    expect(en.body.error.json.message).toMatch(/setup token is wrong/);
    expect(fx.db.select().from(users).all()).toHaveLength(0);
  });

  it('the token is printed once, kept in the data folder, and reused across restarts until used', () => {
    const lines: string[] = [];
    const first = ensureSetupToken({ db: fx.db, log: (l) => lines.push(l) })!;
    const again = ensureSetupToken({ db: fx.db, log: (l) => lines.push(l) })!;

    expect(first).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(again).toBe(first);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(first);
    expect(fs.readFileSync(setupTokenFile(), 'utf8')).toBe(first);
    expect(fs.statSync(setupTokenFile()).mode & 0o077).toBe(0);
  });

  it('the token works once: the file is gone after the admin is made, and a second use is refused', async () => {
    const token = ensureSetupToken({ db: fx.db, log: () => {} })!;
    await callerFor(makeContext(fx.db, null)).auth.setupFirstAdmin({ ...INPUT, token });

    expect(fs.existsSync(setupTokenFile())).toBe(false);
    const again = await trpcRefusal(callerFor(makeContext(fx.db, null)).auth.setupFirstAdmin({ ...INPUT, username: 'root2', token }));
    expect(again.code).toBe('CONFLICT');
    expect(ensureSetupToken({ db: fx.db, log: () => {} })).toBeNull();
  });

  it('with no admin and no token made yet, nothing is accepted', async () => {
    const err = await trpcRefusal(callerFor(makeContext(fx.db, null)).auth.setupFirstAdmin({ ...INPUT, token: ''.padEnd(32, 'a') }));
    expect(err.code).toBe('FORBIDDEN');
  });

  it('a closed /setup, or a wrong token, is refused before the password is hashed (no argon2 work for anyone)', async () => {
    ensureSetupToken({ db: fx.db, log: () => {} });
    vi.mocked(hashPassword).mockClear();
    const wrong = await createFirstAdmin({ db: fx.db, ...INPUT, token: 'wrong' }).catch((e: unknown) => e);
    expect(wrong).toMatchObject({ code: 'FORBIDDEN', key: 'auth.setupTokenWrong' });
    expect(hashPassword).not.toHaveBeenCalled();

    await makeStaff(fx.db, 'admin');
    vi.mocked(hashPassword).mockClear();

    const closed = await createFirstAdmin({ db: fx.db, ...INPUT, token: 'whatever' }).catch((e: unknown) => e);

    expect(closed).toMatchObject({ code: 'CONFLICT', key: 'auth.setupDone' });
    expect(hashPassword).not.toHaveBeenCalled();
  });

  it('two browsers with the right token racing on the setup page make exactly one admin', async () => {
    const token = ensureSetupToken({ db: fx.db, log: () => {} })!;
    const results = await Promise.allSettled([
      callerFor(makeContext(fx.db, null)).auth.setupFirstAdmin({ ...INPUT, token }),
      callerFor(makeContext(fx.db, null)).auth.setupFirstAdmin({ ...INPUT, username: 'second', token }),
    ]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(fx.db.select().from(users).where(eq(users.role, 'admin')).all()).toHaveLength(1);
  });
});
