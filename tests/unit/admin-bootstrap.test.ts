import fs from 'node:fs';
import { eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { auditLog, users } from '@/db/schema';
import { ensureSetupToken, setupTokenFile } from '@/server/services/admin/bootstrap';
import { makeStaff } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, httpCall, makeContext, trpcRefusal, withLocale } from '../helpers/unit-support';

vi.mock('next/headers', () => ({ headers: async () => new Headers({ 'x-forwarded-for': '192.0.2.10' }) }));

const fx = useTestDb();
const BASE = { name: '系统管理员', username: 'Root.Admin', password: 'first-admin-42' };
let INPUT: typeof BASE & { token: string };
beforeEach(() => {
  fs.rmSync(setupTokenFile(), { force: true });
  INPUT = { ...BASE, token: ensureSetupToken({ db: fx.db, log: () => {} })! };
});

describe('first run: the first admin is made in the browser', () => {
  it('an empty database needs a first admin; creating one logs them in and sends them to the back office', async () => {
    const ctx = makeContext(fx.db, null);
    expect(await callerFor(ctx).auth.setupNeeded()).toBe(true);

    const res = await callerFor(ctx).auth.setupFirstAdmin(INPUT);

    expect(res.home).toBe('/admin/exams');
    expect(res.user).toMatchObject({ role: 'admin', username: 'root.admin', name: '系统管理员' });
    expect(ctx.resHeaders.get('set-cookie')).toMatch(/^sid=.+HttpOnly/);
    expect(await callerFor(makeContext(fx.db, null)).auth.setupNeeded()).toBe(false);
    const [entry] = fx.db.select().from(auditLog).where(eq(auditLog.action, 'staff.first_admin_created')).all();
    expect(entry).toMatchObject({ actorId: res.user.id });
  });

  it('once an admin exists the setup is refused with a translated CONFLICT and no account is added', async () => {
    await makeStaff(fx.db, 'admin');
    const before = fx.db.select().from(users).all().length;

    const zh = await trpcRefusal(callerFor(makeContext(fx.db, null)).auth.setupFirstAdmin(INPUT));
    const en = await httpCall({ ctx: withLocale(makeContext(fx.db, null), 'en'), path: 'auth.setupFirstAdmin', input: INPUT });

    expect(zh.code).toBe('CONFLICT');
    expect(en.status).toBe(409);
    expect(en.body.error.json.message).toBe('An admin account already exists. Please log in.');
    expect(fx.db.select().from(users).all()).toHaveLength(before);
  });

  it('two browsers racing on the setup page make exactly one admin', async () => {
    const results = await Promise.allSettled([
      callerFor(makeContext(fx.db, null)).auth.setupFirstAdmin(INPUT),
      callerFor(makeContext(fx.db, null)).auth.setupFirstAdmin({ ...INPUT, username: 'second' }),
    ]);

    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(fx.db.select().from(users).where(eq(users.role, 'admin')).all()).toHaveLength(1);
  });

  it('a bad username or short password is named field by field, in Chinese', async () => {
    const res = await httpCall({
      ctx: makeContext(fx.db, null),
      path: 'auth.setupFirstAdmin',
      input: { token: INPUT.token, name: '', username: 'a b', password: 'short' },
    });

    expect(res.status).toBe(400);
    expect(Object.keys(res.body.error.json.data.fieldErrors).sort()).toEqual(['name', 'password', 'username']);
    expect(res.body.error.json.data.fieldErrors.password).toMatch(/8/);
    expect(fx.db.select().from(users).all()).toHaveLength(0);
  });
});
