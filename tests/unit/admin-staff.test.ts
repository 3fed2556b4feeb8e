import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Db } from '@/db/client';
import { auditLog, sessions, supportAgents, users } from '@/db/schema';
import { login, userFromSession } from '@/server/services/auth';
import { assignInvigilator, createRoom } from '@/server/services/setup';
import { makeCandidate, makeExam, makeSittingScenario, makeStaff, makeSupportAgent, PASSWORD } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, httpCall, makeContext, trpcRefusal, withLocale } from '../helpers/unit-support';

const fx = useTestDb();

async function asAdmin(db: Db) {
  const admin = await makeStaff(db, 'admin');
  const ctx = makeContext(db, admin);
  return { admin, ctx, api: callerFor(ctx).admin.staff };
}

const actions = (db: Db) =>
  db
    .select()
    .from(auditLog)
    .all()
    .map((a) => a.action);

describe('admin.staff: accounts', () => {
  it('an admin creates accounts of each role; the new account can log in; support gets a desk row', async () => {
    const { api } = await asAdmin(fx.db);
    const inv = await api.create({ role: 'invigilator', name: '王监考', username: 'Wang.Li', password: 'secret-pass-1' });
    const sup = await api.create({ role: 'support', name: '客服小刘', username: 'liu_support', password: 'secret-pass-2' });
    expect(inv).toMatchObject({ role: 'invigilator', username: 'wang.li' });
    const token = await login({ db: fx.db, kind: 'staff', identifier: 'wang.li', password: 'secret-pass-1' });
    expect(token).toBeTruthy();
    expect(fx.db.select().from(supportAgents).where(eq(supportAgents.userId, sup.id)).get()).toMatchObject({ capacity: 5, accepting: true });

    const list = await api.list({});
    expect(list.map((u) => u.username)).toEqual(expect.arrayContaining(['wang.li', 'liu_support']));
    expect(list.find((u) => u.id === sup.id)).toMatchObject({ role: 'support', agent: { capacity: 5, accepting: true } });
    expect((await api.list({ role: 'support' })).map((u) => u.id)).toEqual([sup.id]);
    expect((await api.list({ q: '王' })).map((u) => u.id)).toEqual([inv.id]);
    // Candidates never show up here.
    await makeCandidate(fx.db);
    expect((await api.list({})).every((u) => u.role !== ('candidate' as string))).toBe(true);
    expect(actions(fx.db)).toEqual(['staff.created', 'staff.created']);
  });

  it('usernames are unique (translated CONFLICT) and well-formed; passwords have at least 8 characters', async () => {
    const { ctx, api } = await asAdmin(fx.db);
    await api.create({ role: 'admin', name: 'A', username: 'taken', password: 'long-enough' });
    const input = { role: 'invigilator', name: 'B', username: 'TAKEN', password: 'long-enough' };
    const zh = await httpCall({ ctx, path: 'admin.staff.create', input });
    const en = await httpCall({ ctx: withLocale(ctx, 'en'), path: 'admin.staff.create', input });
    expect(zh.status).toBe(409);
    expect(zh.body.error.json.message).toBe('用户名“taken”已被使用，请换一个');
    expect(en.body.error.json.message).toBe('The username “taken” is taken; choose another');
    const bad = await httpCall({ ctx, path: 'admin.staff.create', input: { role: 'invigilator', name: 'C', username: 'a b', password: 'short' } });
    expect(bad.status).toBe(400);
    expect(Object.keys(bad.body.error.json.data.fieldErrors).sort()).toEqual(['password', 'username']);
  });

  it('update changes name and role; refuses changing your own role and demoting an invigilator still assigned', async () => {
    const { admin, api } = await asAdmin(fx.db);
    const inv = await makeStaff(fx.db, 'invigilator');
    await api.update({ userId: inv.id, name: '新名字', role: 'support' });
    expect(fx.db.select().from(users).where(eq(users.id, inv.id)).get()).toMatchObject({ name: '新名字', role: 'support' });
    expect(fx.db.select().from(supportAgents).where(eq(supportAgents.userId, inv.id)).get()).toBeTruthy();
    expect((await trpcRefusal(api.update({ userId: admin.id, role: 'invigilator' }))).message).toBe('adminStaff.cannotChangeOwnRole');
    const busy = await makeStaff(fx.db, 'invigilator');
    const exam = makeExam(fx.db);
    assignInvigilator({ db: fx.db, roomId: createRoom({ db: fx.db, examId: exam.id, name: 'R' }).id, userId: busy.id });
    expect((await trpcRefusal(api.update({ userId: busy.id, role: 'admin' }))).message).toBe('adminStaff.hasAssignments');
    const cand = await makeCandidate(fx.db);
    expect((await trpcRefusal(api.update({ userId: cand.id, name: 'x' }))).code).toBe('NOT_FOUND');
  });

  it('resetPassword: a generated password is returned once and works; the old one and old sessions stop working', async () => {
    const { api } = await asAdmin(fx.db);
    const inv = await makeStaff(fx.db, 'invigilator');
    const { token: old } = await login({ db: fx.db, kind: 'staff', identifier: inv.username!, password: PASSWORD });
    const res = await api.resetPassword({ userId: inv.id });
    expect(res.generated).toBe(true);
    expect(res.password).toMatch(/^[A-Za-z2-9]{12}$/);
    expect(userFromSession({ db: fx.db, token: old })).toBeNull();
    await expect(login({ db: fx.db, kind: 'staff', identifier: inv.username!, password: PASSWORD })).rejects.toMatchObject({ key: 'auth.badCredentials' });
    await expect(login({ db: fx.db, kind: 'staff', identifier: inv.username!, password: res.password })).resolves.toBeTruthy();
    await expect(api.resetPassword({ userId: inv.id, password: 'chosen-by-admin' })).resolves.toEqual({ password: 'chosen-by-admin', generated: false });
    const [entry] = fx.db.select().from(auditLog).where(eq(auditLog.action, 'staff.password_reset')).all();
    // The password itself is never recorded.
    expect(JSON.stringify(entry!.detail)).not.toContain(res.password);
  });

  it('archive: the account cannot log in (its sessions end); unarchive restores it', async () => {
    const { api } = await asAdmin(fx.db);
    const inv = await makeStaff(fx.db, 'invigilator');
    const { token } = await login({ db: fx.db, kind: 'staff', identifier: inv.username!, password: PASSWORD });
    await api.archive({ userId: inv.id });
    expect(userFromSession({ db: fx.db, token })).toBeNull();
    expect(fx.db.select().from(sessions).where(eq(sessions.userId, inv.id)).all()).toEqual([]);
    await expect(login({ db: fx.db, kind: 'staff', identifier: inv.username!, password: PASSWORD })).rejects.toMatchObject({ key: 'auth.badCredentials' });
    expect((await api.list({})).map((u) => u.id)).not.toContain(inv.id);
    expect((await api.list({ includeArchived: true })).find((u) => u.id === inv.id)?.archivedAt).toBeInstanceOf(Date);
    await api.unarchive({ userId: inv.id });
    await expect(login({ db: fx.db, kind: 'staff', identifier: inv.username!, password: PASSWORD })).resolves.toBeTruthy();
    expect(actions(fx.db)).toEqual(['staff.archived', 'staff.unarchived']);
  });

  it('an archived support agent is given no help chats by auto-assign; unarchived, their desk settings are as they were', async () => {
    const { api } = await asAdmin(fx.db);
    const { candidates } = await makeSittingScenario(fx.db, { candidates: 2 });
    const agent = await makeSupportAgent(fx.db, { capacity: 3 });
    await api.archive({ userId: agent.id });

    const asked = await callerFor(makeContext(fx.db, candidates[0]!)).help.open({ category: 'technical', body: '摄像头打不开' });
    expect(asked).toMatchObject({ status: 'queued', agentName: null });

    await api.unarchive({ userId: agent.id });
    expect(fx.db.select().from(supportAgents).where(eq(supportAgents.userId, agent.id)).get()).toMatchObject({ capacity: 3, accepting: true });
    const next = await callerFor(makeContext(fx.db, candidates[1]!)).help.open({ category: 'technical', body: '麦克风没有声音' });
    expect(next).toMatchObject({ status: 'assigned', agentName: agent.name });
  });

  it('refuses archiving yourself and the last active admin (translated)', async () => {
    const { admin, ctx, api } = await asAdmin(fx.db);
    const self = await httpCall({ ctx, path: 'admin.staff.archive', input: { userId: admin.id } });
    expect(self.body.error.json.message).toBe('不能归档自己的账号');
    const selfEn = await httpCall({ ctx: withLocale(ctx, 'en'), path: 'admin.staff.archive', input: { userId: admin.id } });
    expect(selfEn.body.error.json.message).toBe('You cannot archive your own account');

    // With two admins, one may archive the other.
    const other = await makeStaff(fx.db, 'admin');
    await api.archive({ userId: other.id });
    await api.unarchive({ userId: other.id });

    // The last-admin rule holds even for a caller whose own account was archived meanwhile
    // (a request in flight): `admin` is archived by `other`, who is then the last active admin.
    await callerFor(makeContext(fx.db, other)).admin.staff.archive({ userId: admin.id });
    const zh = await httpCall({ ctx, path: 'admin.staff.archive', input: { userId: other.id } });
    const en = await httpCall({ ctx: withLocale(ctx, 'en'), path: 'admin.staff.update', input: { userId: other.id, role: 'support' } });
    expect(zh.body.error.json.message).toBe('这是最后一个可用的管理员账号，不能归档或改为其他角色');
    expect(en.body.error.json.message).toBe('This is the last active admin account; it cannot be archived or given another role');
    expect(fx.db.select().from(users).where(eq(users.id, other.id)).get()).toMatchObject({ archivedAt: null, role: 'admin' });
  });

  it("setAgent sets a support agent's capacity (1..50) and accepting; refused for non-support accounts", async () => {
    const { api } = await asAdmin(fx.db);
    const sup = await api.create({ role: 'support', name: 'S', username: 'sup1', password: 'long-enough' });
    await expect(api.setAgent({ userId: sup.id, capacity: 12, accepting: false })).resolves.toEqual({ capacity: 12, accepting: false });
    expect(fx.db.select().from(supportAgents).where(eq(supportAgents.userId, sup.id)).get()).toMatchObject({ capacity: 12, accepting: false });
    const inv = await makeStaff(fx.db, 'invigilator');
    expect((await trpcRefusal(api.setAgent({ userId: inv.id, capacity: 3, accepting: true }))).message).toBe('adminStaff.notSupport');
    expect((await trpcRefusal(api.setAgent({ userId: sup.id, capacity: 51, accepting: true }))).code).toBe('BAD_REQUEST');
    expect(actions(fx.db)).toContain('staff.agent_updated');
  });
});

describe('admin.staff: role refusals', () => {
  it.each(['candidate', 'invigilator', 'support'] as const)('a %s gets FORBIDDEN from every procedure', async (role) => {
    const user = role === 'candidate' ? await makeCandidate(fx.db) : await makeStaff(fx.db, role);
    const api = callerFor(makeContext(fx.db, user)).admin.staff;
    const calls = [
      api.list({}),
      api.create({ role: 'admin', name: 'x', username: 'sneaky', password: 'long-enough' }),
      api.update({ userId: user.id, role: 'admin' }),
      api.resetPassword({ userId: user.id }),
      api.archive({ userId: user.id }),
      api.unarchive({ userId: user.id }),
      api.setAgent({ userId: user.id, capacity: 5, accepting: true }),
    ];
    for (const call of calls) expect((await trpcRefusal(call)).code).toBe('FORBIDDEN');
    expect(fx.db.select().from(users).where(eq(users.username, 'sneaky')).get()).toBeUndefined();
  });
});
