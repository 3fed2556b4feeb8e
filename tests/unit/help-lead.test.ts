import { and, desc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, helpEvents, helpThreads, type User } from '@/db/schema';
import { firstResponseBreached, SLA_RED_MS } from '@/server/help-sla';
import { setAgent, setStaffArchived } from '@/server/services/admin/staff';
import { claim, openThread, resolve, send, upsertDesk } from '@/server/services/help';
import { startOfDay } from '@/server/services/help-lead';
import { deskOpened } from '@/server/services/help-presence';
import { makeCandidate, makeSittingScenario, makeStaff, makeSupportAgent } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { asCaller, callerFor, httpCall, makeContext, trpcRefusal } from '../helpers/unit-support';

const fx = useTestDb();
const as = (u: User) => callerFor(makeContext(fx.db, u));
const MIN = 60_000;

async function makeLead() {
  const lead = await makeSupportAgent(fx.db, { accepting: false });
  upsertDesk(fx.db, lead.id, { lead: true });
  return lead;
}

/** Two agents, A holding one conversation, and one candidate still waiting; nobody takes new ones automatically. */
async function deskScenario() {
  const a = await makeSupportAgent(fx.db, { accepting: false, capacity: 4 });
  const b = await makeSupportAgent(fx.db, { accepting: false, capacity: 3 });
  const { room, invigilator, candidates } = await makeSittingScenario(fx.db, { candidates: 2 });
  const held = openThread({ db: fx.db, candidateId: candidates[0]!.id, category: 'technical', body: '摄像头黑屏', now: new Date(Date.now() - 8 * MIN) });
  claim({ db: fx.db, caller: asCaller(a), threadId: held.id });
  const waiting = openThread({ db: fx.db, candidateId: candidates[1]!.id, category: 'content', body: '附件打不开', now: new Date(Date.now() - 3 * MIN) });
  return { a, b, room, invigilator, held, waiting };
}

describe('help lead: who may open it', () => {
  it('a plain support agent and an invigilator are refused the lead procedures, with a translated reason', async () => {
    const { a, b, invigilator, held } = await deskScenario();
    expect(await as(a).help.lead.amI()).toBe(false);
    for (const call of [as(a).help.lead.overview(), as(a).help.lead.reassign({ threadId: held.id, toAgentId: b.id })]) {
      const err = await trpcRefusal(call);
      expect(err.code).toBe('FORBIDDEN');
    }
    const res = await httpCall({ ctx: makeContext(fx.db, a), path: 'help.lead.overview', input: undefined, method: 'GET' });
    expect(res.status).toBe(403);
    expect(res.body.error.json.message).toBe('只有值班长和管理员可以使用值班长视图。');
    expect((await trpcRefusal(as(invigilator).help.lead.overview())).code).toBe('FORBIDDEN');
    // Nothing moved.
    expect(fx.db.select().from(helpThreads).where(eq(helpThreads.id, held.id)).get()!.agentId).toBe(a.id);
  });

  it('an admin marks a support agent as lead in the staff page (audited); admins are leads anyway', async () => {
    const admin = await makeStaff(fx.db, 'admin');
    const agent = await makeSupportAgent(fx.db);
    await as(admin).admin.staff.setAgent({ userId: agent.id, capacity: 5, accepting: true, lead: true });
    expect(await as(agent).help.lead.amI()).toBe(true);
    expect((await as(admin).admin.staff.list({ role: 'support' })).find((u) => u.id === agent.id)?.agent).toEqual({ capacity: 5, accepting: true, lead: true });
    const row = fx.db.select().from(auditLog).where(eq(auditLog.action, 'staff.agent_updated')).orderBy(desc(auditLog.id)).get();
    expect(row?.detail).toMatchObject({ userId: agent.id, lead: true });
    // Saving capacity alone (no `lead`) leaves the lead as it was.
    setAgent({ db: fx.db, actorId: admin.id, userId: agent.id, capacity: 6, accepting: true });
    expect(await as(agent).help.lead.amI()).toBe(true);
    expect(await as(admin).help.lead.amI()).toBe(true);
  });
});

describe('help lead: the overview', () => {
  it('shows agents with presence and load, the queue, the longest wait, late first responses today, and rooms asking', async () => {
    const lead = await makeLead();
    const { a, b, room, invigilator, held, waiting } = await deskScenario();
    const desk = new AbortController();
    deskOpened(a.id, desk.signal);

    const view = await as(lead).help.lead.overview();
    const agentA = view.agents.find((x) => x.id === a.id)!;
    const agentB = view.agents.find((x) => x.id === b.id)!;
    expect(agentA).toMatchObject({ online: true, accepting: false, capacity: 4, openThreads: 1, lead: false });
    expect(agentA.threads.map((t) => t.id)).toEqual([held.id]);
    expect(agentB).toMatchObject({ online: false, capacity: 3, openThreads: 0, threads: [] });
    expect(view.agents.find((x) => x.id === lead.id)?.lead).toBe(true);
    // Online agents first.
    expect(view.agents[0]!.id).toBe(a.id);

    expect(view.queue.map((t) => t.id)).toEqual([waiting.id]);
    expect(Date.now() - view.queue[0]!.queuedAt.getTime()).toBeGreaterThanOrEqual(3 * MIN);
    // The held thread waited 8 minutes with no reply yet: late. The waiting one (3 minutes) is not yet.
    expect(view.breachesToday).toBe(1);
    expect(view.slaMs).toBe(SLA_RED_MS);

    expect(view.rooms).toHaveLength(1);
    expect(view.rooms[0]).toMatchObject({ id: room.id, name: room.name, invigilators: [{ id: invigilator.id, name: invigilator.name }] });
    expect(view.rooms[0]!.threads.map((t) => t.id).sort()).toEqual([held.id, waiting.id].sort());

    desk.abort();
    expect((await as(lead).help.lead.overview()).agents.find((x) => x.id === a.id)?.online).toBe(false);
  });

  it('counts a first response as late only past the red mark, and only for threads queued today', () => {
    const now = new Date('2026-12-05T04:00:00Z'); // 12:00 in Beijing
    const queuedAt = new Date(now.getTime() - 10 * MIN);
    expect(firstResponseBreached({ status: 'assigned', queuedAt, firstResponseAt: new Date(queuedAt.getTime() + 4 * MIN) }, now.getTime())).toBe(false);
    expect(firstResponseBreached({ status: 'assigned', queuedAt, firstResponseAt: new Date(queuedAt.getTime() + 6 * MIN) }, now.getTime())).toBe(true);
    expect(firstResponseBreached({ status: 'queued', queuedAt, firstResponseAt: null }, now.getTime())).toBe(true);
    expect(
      firstResponseBreached({ status: 'resolved', queuedAt, firstResponseAt: null, resolvedAt: new Date(queuedAt.getTime() + 2 * MIN) }, now.getTime()),
    ).toBe(false);
    // "Today" is the exam office's day (Beijing): 00:30 there is still 16:30 the day before in UTC.
    expect(startOfDay(now)).toEqual(new Date('2026-12-04T16:00:00Z'));
    expect(startOfDay(new Date('2026-12-04T16:30:00Z'))).toEqual(new Date('2026-12-04T16:00:00Z'));
  });

  it('a reply in time is not a breach', async () => {
    const lead = await makeLead();
    const { a, held } = await deskScenario();
    // A replied 8 minutes late (the thread was opened 8 minutes ago): one breach, not two.
    send({ db: fx.db, caller: asCaller(a), threadId: held.id, body: '请刷新页面试试' });
    expect((await as(lead).help.lead.overview()).breachesToday).toBe(1);
    const fresh = openThread({ db: fx.db, candidateId: (await makeCandidate(fx.db)).id, category: 'other', body: '怎么修改手机号？' });
    send({ db: fx.db, caller: asCaller(a), threadId: fresh.id, body: '请稍等' });
    expect((await as(lead).help.lead.overview()).breachesToday).toBe(1);
  });
});

describe('help lead: moving conversations', () => {
  it('moves a conversation from agent A to agent B: the thread, a transfer event for both desks, an audit row', async () => {
    const lead = await makeLead();
    const { a, b, room, held } = await deskScenario();
    const moved = await as(lead).help.lead.reassign({ threadId: held.id, toAgentId: b.id });
    expect(moved).toMatchObject({ id: held.id, status: 'assigned', agent: { id: b.id, name: b.name } });
    expect(fx.db.select().from(helpThreads).where(eq(helpThreads.id, held.id)).get()!.agentId).toBe(b.id);
    const event = fx.db.select().from(helpEvents).where(eq(helpEvents.threadId, held.id)).orderBy(desc(helpEvents.id)).get()!;
    expect(event).toMatchObject({ type: 'transferred', actorId: lead.id, staffOnly: false });
    expect(event.payload).toMatchObject({ fromAgentId: a.id, agentId: b.id, agentName: b.name });
    const row = fx.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'help.reassigned'), eq(auditLog.actorId, lead.id)))
      .get();
    expect(row).toMatchObject({ roomId: room.id, detail: { threadId: held.id, fromAgentId: a.id, toAgentId: b.id } });

    const view = await as(lead).help.lead.overview();
    expect(view.agents.find((x) => x.id === a.id)?.threads).toEqual([]);
    expect(view.agents.find((x) => x.id === b.id)?.threads.map((t) => t.id)).toEqual([held.id]);
  });

  it('an agent archived while holding a conversation still shows, so the lead can move it on', async () => {
    const lead = await makeLead();
    const admin = await makeStaff(fx.db, 'admin');
    const { a, b, held } = await deskScenario();
    setStaffArchived({ db: fx.db, actorId: admin.id, userId: a.id, archived: true, removeStaff: async () => {} });
    const row = (await as(lead).help.lead.overview()).agents.find((x) => x.id === a.id);
    expect(row).toMatchObject({ kind: 'archived', capacity: null, threads: [expect.objectContaining({ id: held.id })] });
    await as(lead).help.lead.reassign({ threadId: held.id, toAgentId: b.id });
    expect((await as(lead).help.lead.overview()).agents.some((x) => x.id === a.id)).toBe(false);
  });

  it('hands a waiting conversation to an agent', async () => {
    const admin = await makeStaff(fx.db, 'admin');
    const { b, waiting } = await deskScenario();
    await as(admin).help.lead.reassign({ threadId: waiting.id, toAgentId: b.id });
    expect(fx.db.select().from(helpThreads).where(eq(helpThreads.id, waiting.id)).get()).toMatchObject({ status: 'assigned', agentId: b.id });
  });

  it('refuses an archived agent, anyone not a support agent, and a finished conversation, each with a translated reason', async () => {
    const lead = await makeLead();
    const admin = await makeStaff(fx.db, 'admin');
    const { b, invigilator, held } = await deskScenario();
    const ctx = makeContext(fx.db, lead);
    const refusal = async (toAgentId: number, threadId = held.id) => {
      const res = await httpCall({ ctx, path: 'help.lead.reassign', input: { threadId, toAgentId } });
      return { status: res.status, message: res.body.error.json.message as string };
    };
    expect(await refusal(invigilator.id)).toEqual({ status: 400, message: '只能移交给在职的客服。' });
    expect(await refusal(admin.id)).toEqual({ status: 400, message: '只能移交给在职的客服。' });
    setStaffArchived({ db: fx.db, actorId: admin.id, userId: b.id, archived: true, removeStaff: async () => {} });
    expect(await refusal(b.id)).toEqual({ status: 409, message: `${b.name} 的账号已归档，不能接收会话。` });
    const en = await httpCall({ ctx: makeContext(fx.db, lead, { locale: 'en' }), path: 'help.lead.reassign', input: { threadId: held.id, toAgentId: b.id } });
    expect(en.body.error.json.message).toBe(`${b.name}'s account is archived and cannot take conversations.`);
    resolve({ db: fx.db, caller: asCaller(lead), threadId: held.id });
    const c = await makeSupportAgent(fx.db, { accepting: false });
    expect(await refusal(c.id)).toEqual({ status: 400, message: '该会话已经结束。' });
    expect(fx.db.select().from(auditLog).where(eq(auditLog.action, 'help.reassigned')).all()).toEqual([]);
  });
});
