import { asc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { helpEvents, type User } from '@/db/schema';
import { recordSystemCheck } from '@/server/services/candidates';
import type { StaffThreadSummary, ThreadSummary } from '@/server/services/help';
import { makeCandidate, makeChief, makeRoomScenario, makeSittingScenario, makeStaff, makeSupportAgent } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, httpCall, makeContext, trpcRefusal, withLocale } from '../helpers/unit-support';

const fx = useTestDb();

const as = (u: User) => callerFor(makeContext(fx.db, u));
const staffThread = (view: { thread: ThreadSummary | StaffThreadSummary }) => view.thread as StaffThreadSummary;
const eventTypes = (threadId: number) =>
  fx.db
    .select({ type: helpEvents.type })
    .from(helpEvents)
    .where(eq(helpEvents.threadId, threadId))
    .orderBy(asc(helpEvents.id))
    .all()
    .map((e) => e.type);

describe('help: candidate side', () => {
  it('opens a thread in the current exam room, lists it, and refuses a second open one', async () => {
    const { exam, room, candidates } = await makeSittingScenario(fx.db, { candidates: 1 });
    const cand = candidates[0]!;
    const summary = await as(cand).help.open({ category: 'technical', body: '  摄像头打不开  ' });
    expect(summary).toMatchObject({ category: 'technical', status: 'queued', agentName: null, queuePosition: 1, unread: 0 });

    const view = await as(cand).help.thread({ threadId: summary.id });
    expect(view.messages).toEqual([expect.objectContaining({ kind: 'candidate', body: '摄像头打不开', authorName: cand.name })]);
    expect(view.thread).not.toHaveProperty('candidate');

    const admin = await makeStaff(fx.db, 'admin');
    const staffView = await as(admin).help.thread({ threadId: summary.id });
    expect(staffView.thread).toMatchObject({ examId: exam.id, roomId: room.id, seat: 1, candidate: { id: cand.id, name: cand.name } });
    expect(staffThread(staffView).candidate.idNumberMasked).toMatch(/^\d{4}\*{10}[\dX]{4}$/);

    expect((await as(cand).help.myThreads()).map((t) => t.id)).toEqual([summary.id]);

    const err = await trpcRefusal(as(cand).help.open({ category: 'other', body: '再问一次' }));
    expect(err.code).toBe('CONFLICT');
    const res = await httpCall({ ctx: makeContext(fx.db, cand), path: 'help.open', input: { category: 'other', body: '再问一次' } });
    expect(res.status).toBe(409);
    expect(res.body.error.json.message).toBe('您已有一个正在处理的求助，请在该会话中继续留言。');
  });

  it('a candidate outside any exam today opens a thread without exam or room', async () => {
    const cand = await makeCandidate(fx.db);
    const t = await as(cand).help.open({ category: 'other', body: '怎么修改手机号？' });
    const admin = await makeStaff(fx.db, 'admin');
    expect((await as(admin).help.thread({ threadId: t.id })).thread).toMatchObject({ examId: null, roomId: null, seat: null });
  });

  it('empty and too long bodies get clear translated errors', async () => {
    const cand = await makeCandidate(fx.db);
    const ctx = makeContext(fx.db, cand);
    const empty = await httpCall({ ctx, path: 'help.open', input: { category: 'technical', body: '   ' } });
    expect(empty.status).toBe(400);
    expect(empty.body.error.json.data.fieldErrors).toEqual({ body: '不能为空' });

    const long = await httpCall({ ctx: withLocale(ctx, 'en'), path: 'help.open', input: { category: 'technical', body: 'x'.repeat(2001) } });
    expect(long.status).toBe(400);
    expect(long.body.error.json.data.fieldErrors).toEqual({ body: 'Too long, at most 2,000 characters' });

    const t = await as(cand).help.open({ category: 'technical', body: 'x'.repeat(2000) });
    const send = await httpCall({ ctx: withLocale(ctx, 'en'), path: 'help.send', input: { threadId: t.id, body: '' } });
    expect(send.body.error.json.data.fieldErrors).toEqual({ body: 'Required' });

    const badCategory = await httpCall({ ctx, path: 'help.open', input: { category: 'billing', body: 'hi' } });
    expect(badCategory.status).toBe(400);
    expect(Object.keys(badCategory.body.error.json.data.fieldErrors)).toEqual(['category']);
  });
});

describe('help: who sees what', () => {
  it('a candidate sees only their own threads; anyone else gets NOT_FOUND', async () => {
    const { candidates } = await makeSittingScenario(fx.db, { candidates: 2 });
    const [a, b] = candidates as [User, User];
    const t = await as(a).help.open({ category: 'content', body: '第三题题干不完整' });
    expect(await as(b).help.myThreads()).toEqual([]);
    for (const call of [
      as(b).help.thread({ threadId: t.id }),
      as(b).help.send({ threadId: t.id, body: '我来回答' }),
      as(b).help.markRead({ threadId: t.id, messageId: 1 }),
      as(b).help.typing({ threadId: t.id }),
    ]) {
      expect((await trpcRefusal(call)).code).toBe('NOT_FOUND');
    }
    // Candidates have no desk.
    expect((await trpcRefusal(as(a).help.queue({ scope: 'open' }))).code).toBe('FORBIDDEN');
    expect((await trpcRefusal(as(a).help.claim({ threadId: t.id }))).code).toBe('FORBIDDEN');
    expect((await trpcRefusal(as(a).help.canned.list())).code).toBe('FORBIDDEN');
    // Staff cannot open threads as candidates.
    const support = await makeStaff(fx.db, 'support');
    expect((await trpcRefusal(as(support).help.open({ category: 'other', body: 'x' }))).code).toBe('FORBIDDEN');
  });

  it('invigilators see only the threads of their rooms (assigned or as chief); support and admin see all', async () => {
    const one = await makeSittingScenario(fx.db, { candidates: 1 });
    const two = await makeSittingScenario(fx.db, { candidates: 1 });
    const t1 = await as(one.candidates[0]!).help.open({ category: 'technical', body: '屏幕共享失败' });
    const t2 = await as(two.candidates[0]!).help.open({ category: 'technical', body: '麦克风没声音' });

    expect((await as(one.invigilator).help.queue({ scope: 'open' })).map((t) => t.id)).toEqual([t1.id]);
    expect((await as(one.invigilator).help.thread({ threadId: t1.id })).thread.id).toBe(t1.id);
    expect((await trpcRefusal(as(one.invigilator).help.thread({ threadId: t2.id }))).code).toBe('NOT_FOUND');
    expect((await trpcRefusal(as(one.invigilator).help.claim({ threadId: t2.id }))).code).toBe('NOT_FOUND');
    expect((await trpcRefusal(as(one.invigilator).help.context({ threadId: t2.id }))).code).toBe('NOT_FOUND');

    const chief = await makeChief(fx.db, two.exam.id);
    expect((await as(chief).help.queue({ scope: 'open' })).map((t) => t.id)).toEqual([t2.id]);

    const support = await makeStaff(fx.db, 'support');
    const admin = await makeStaff(fx.db, 'admin');
    expect((await as(support).help.queue({ scope: 'open' })).map((t) => t.id).sort()).toEqual([t1.id, t2.id]);
    expect((await as(admin).help.queue({ scope: 'open' })).map((t) => t.id).sort()).toEqual([t1.id, t2.id]);
  });

  it('roomThreads lists a room’s open threads for its invigilators and refuses others', async () => {
    const one = await makeSittingScenario(fx.db, { candidates: 2 });
    const two = await makeRoomScenario(fx.db);
    const t = await as(one.candidates[0]!).help.open({ category: 'technical', body: '黑屏了' });
    expect(await as(one.invigilator).help.roomThreads({ roomId: one.room.id })).toEqual([
      { threadId: t.id, candidateId: one.candidates[0]!.id, status: 'queued' },
    ]);
    expect((await trpcRefusal(as(two.invigilator).help.roomThreads({ roomId: one.room.id }))).code).toBe('FORBIDDEN');
    const support = await makeSupportAgent(fx.db, { accepting: false });
    await as(support).help.resolve({ threadId: t.id });
    expect(await as(one.invigilator).help.roomThreads({ roomId: one.room.id })).toEqual([]);
  });
});

describe('help: assignment', () => {
  it('auto-assigns to the least loaded accepting agent up to capacity; resolving frees a slot for the oldest queued thread', async () => {
    const { candidates } = await makeSittingScenario(fx.db, { candidates: 4 });
    const agentA = await makeSupportAgent(fx.db, { capacity: 2 });
    const agentB = await makeSupportAgent(fx.db, { capacity: 1 });
    const off = await makeSupportAgent(fx.db, { capacity: 5, accepting: false });
    const threads = [];
    for (const c of candidates) threads.push(await as(c).help.open({ category: 'technical', body: `求助 ${c.id}` }));
    const [t1, t2, t3, t4] = threads as [(typeof threads)[0], (typeof threads)[0], (typeof threads)[0], (typeof threads)[0]];

    // A (0 open) gets t1, then B (0 open, higher id) gets t2, then A again (1 < 2); B is full.
    expect(t1).toMatchObject({ status: 'assigned', agentName: agentA.name, queuePosition: null });
    expect(t2).toMatchObject({ status: 'assigned', agentName: agentB.name });
    expect(t3).toMatchObject({ status: 'assigned', agentName: agentA.name });
    expect(t4).toMatchObject({ status: 'queued', agentName: null, queuePosition: 1 });
    expect(eventTypes(t1.id)).toEqual(['opened', 'assigned']);

    const loads = await as(off).help.agents();
    expect(loads.map((a) => [a.id, a.openThreads, a.capacity, a.accepting])).toEqual([
      [agentA.id, 2, 2, true],
      [agentB.id, 1, 1, true],
      [off.id, 0, 5, false],
    ]);

    await as(agentB).help.resolve({ threadId: t2.id });
    const mine = await as(candidates[3]!).help.myThreads();
    expect(mine[0]).toMatchObject({ id: t4.id, status: 'assigned', agentName: agentB.name });
    expect(eventTypes(t4.id)).toEqual(['opened', 'assigned']);
    expect(eventTypes(t2.id)).toEqual(['opened', 'assigned', 'resolved']);
  });

  it('turning accepting on, or raising capacity, takes queued threads at once', async () => {
    const { candidates } = await makeSittingScenario(fx.db, { candidates: 3 });
    const agent = await makeSupportAgent(fx.db, { capacity: 1, accepting: false });
    const admin = await makeStaff(fx.db, 'admin');
    for (const c of candidates) await as(c).help.open({ category: 'other', body: '请问' });
    expect((await as(agent).help.queue({ scope: 'open' })).every((t) => t.status === 'queued')).toBe(true);

    expect(await as(agent).help.setAccepting({ accepting: true })).toMatchObject({ id: agent.id, accepting: true, openThreads: 1 });
    expect(await as(admin).help.setCapacity({ agentId: agent.id, capacity: 3 })).toMatchObject({ capacity: 3, openThreads: 3 });
    expect((await as(agent).help.queue({ scope: 'mine' })).length).toBe(3);

    // Capacity is an admin setting, within 1..50, for support agents only.
    expect((await trpcRefusal(as(agent).help.setCapacity({ agentId: agent.id, capacity: 9 }))).code).toBe('FORBIDDEN');
    expect((await trpcRefusal(as(admin).help.setCapacity({ agentId: agent.id, capacity: 51 }))).code).toBe('BAD_REQUEST');
    expect((await trpcRefusal(as(admin).help.setCapacity({ agentId: candidates[0]!.id, capacity: 3 }))).code).toBe('NOT_FOUND');
  });

  it('claiming: the first agent wins, the second is refused with a clear error; an agent reply to a queued thread claims it', async () => {
    const { candidates } = await makeSittingScenario(fx.db, { candidates: 2 });
    const a = await makeSupportAgent(fx.db, { accepting: false });
    const b = await makeSupportAgent(fx.db, { accepting: false });
    const t = await as(candidates[0]!).help.open({ category: 'technical', body: '卡住了' });

    expect(await as(a).help.claim({ threadId: t.id })).toMatchObject({ status: 'assigned', agent: { id: a.id, name: a.name } });
    // Claiming again is harmless.
    expect(await as(a).help.claim({ threadId: t.id })).toMatchObject({ agent: { id: a.id } });
    const err = await trpcRefusal(as(b).help.claim({ threadId: t.id }));
    expect(err.code).toBe('CONFLICT');
    const res = await httpCall({ ctx: withLocale(makeContext(fx.db, b), 'en'), path: 'help.claim', input: { threadId: t.id } });
    expect(res.body.error.json.message).toBe('Another agent has already taken this conversation.');
    expect(eventTypes(t.id)).toEqual(['opened', 'claimed']);

    const t2 = await as(candidates[1]!).help.open({ category: 'content', body: '题目看不清' });
    await as(b).help.send({ threadId: t2.id, body: '您好，我来帮您看看。' });
    const view = await as(b).help.thread({ threadId: t2.id });
    expect(view.thread).toMatchObject({ status: 'assigned', agent: { id: b.id } });
    expect(staffThread(view).firstResponseAt).toBeInstanceOf(Date);
    expect(eventTypes(t2.id)).toEqual(['opened', 'claimed', 'message']);
  });

  it('transfers to another support agent (or admin) only, freeing the first agent’s slot', async () => {
    const { candidates } = await makeSittingScenario(fx.db, { candidates: 2 });
    const a = await makeSupportAgent(fx.db, { capacity: 1 });
    const b = await makeSupportAgent(fx.db, { capacity: 1, accepting: false });
    const t1 = await as(candidates[0]!).help.open({ category: 'technical', body: '一' });
    const t2 = await as(candidates[1]!).help.open({ category: 'technical', body: '二' });
    expect(t1.agentName).toBe(a.name);
    expect(t2.status).toBe('queued');

    const moved = await as(a).help.transfer({ threadId: t1.id, toAgentId: b.id });
    expect(moved).toMatchObject({ status: 'assigned', agent: { id: b.id } });
    // A's slot went to the waiting thread in the same step.
    expect((await as(candidates[1]!).help.myThreads())[0]).toMatchObject({ status: 'assigned', agentName: a.name });
    expect(eventTypes(t1.id)).toEqual(['opened', 'assigned', 'transferred']);

    const refused = await trpcRefusal(as(a).help.transfer({ threadId: t1.id, toAgentId: candidates[0]!.id }));
    expect(refused.code).toBe('NOT_FOUND');
    const admin = await makeStaff(fx.db, 'admin');
    expect(await as(a).help.transfer({ threadId: t1.id, toAgentId: admin.id })).toMatchObject({ agent: { id: admin.id } });
  });

  it('resolve and reopen; a candidate writing to a resolved thread puts it back in the queue', async () => {
    const { candidates } = await makeSittingScenario(fx.db, { candidates: 1 });
    const cand = candidates[0]!;
    const agent = await makeSupportAgent(fx.db, { accepting: false });
    const t = await as(cand).help.open({ category: 'technical', body: '断网了' });
    await as(agent).help.send({ threadId: t.id, body: '请刷新页面' });
    const resolved = await as(agent).help.resolve({ threadId: t.id });
    expect(resolved).toMatchObject({ status: 'resolved' });
    expect(resolved.resolvedAt).toBeInstanceOf(Date);
    expect((await trpcRefusal(as(agent).help.resolve({ threadId: t.id }))).code).toBe('BAD_REQUEST');
    // Agents reopen before writing again.
    expect((await trpcRefusal(as(agent).help.send({ threadId: t.id, body: '还在吗' }))).code).toBe('BAD_REQUEST');

    await as(cand).help.send({ threadId: t.id, body: '又断了' });
    const again = (await as(cand).help.myThreads())[0]!;
    expect(again).toMatchObject({ status: 'queued', agentName: null, queuePosition: 1 });
    const staffView = staffThread(await as(agent).help.thread({ threadId: t.id }));
    expect(staffView.firstResponseAt).toBeNull();
    expect(staffView.resolvedAt).toBeNull();

    expect((await trpcRefusal(as(agent).help.reopen({ threadId: t.id }))).code).toBe('BAD_REQUEST');
    await as(agent).help.resolve({ threadId: t.id });
    expect(await as(agent).help.reopen({ threadId: t.id })).toMatchObject({ status: 'queued', agent: null });
    expect(eventTypes(t.id)).toEqual(['opened', 'claimed', 'message', 'resolved', 'reopened', 'message', 'resolved', 'reopened']);

    // One open thread per candidate: a resolved thread is not reopened over a newer open one.
    await as(agent).help.resolve({ threadId: t.id });
    await as(cand).help.open({ category: 'other', body: '新问题' });
    expect((await trpcRefusal(as(agent).help.reopen({ threadId: t.id }))).code).toBe('CONFLICT');
  });
});

describe('help: chat', () => {
  it('notes are for staff only: the candidate’s thread view never contains them', async () => {
    const { candidates, invigilator } = await makeSittingScenario(fx.db, { candidates: 1 });
    const cand = candidates[0]!;
    const agent = await makeSupportAgent(fx.db, { accepting: false });
    const t = await as(cand).help.open({ category: 'technical', body: '看不到题目' });
    await as(agent).help.send({ threadId: t.id, body: '疑似浏览器缓存问题', kind: 'note' });
    await as(agent).help.send({ threadId: t.id, body: '请按 Ctrl+F5 刷新' });

    const candView = await as(cand).help.thread({ threadId: t.id });
    expect(candView.messages.map((m) => m.kind)).toEqual(['candidate', 'agent']);
    // A note does not claim the thread; the reply does.
    expect(eventTypes(t.id)).toEqual(['opened', 'message', 'claimed', 'message']);
    const staffView = await as(invigilator).help.thread({ threadId: t.id });
    expect(staffView.messages.map((m) => [m.kind, m.authorName])).toEqual([
      ['candidate', cand.name],
      ['note', agent.name],
      ['agent', agent.name],
    ]);
    // A candidate cannot write a note.
    await as(cand).help.send({ threadId: t.id, body: '好的', kind: 'note' });
    expect((await as(cand).help.thread({ threadId: t.id })).messages.at(-1)).toMatchObject({ kind: 'candidate', body: '好的' });
  });

  it('unread counts per side, and markRead never moves back', async () => {
    const { candidates } = await makeSittingScenario(fx.db, { candidates: 1 });
    const cand = candidates[0]!;
    const agent = await makeSupportAgent(fx.db);
    const t = await as(cand).help.open({ category: 'technical', body: '你好' });
    expect((await as(agent).help.queue({ scope: 'mine' }))[0]).toMatchObject({ id: t.id, unread: 1, lastMessagePreview: '你好' });

    const m1 = await as(agent).help.send({ threadId: t.id, body: '您好' });
    const m2 = await as(agent).help.send({ threadId: t.id, body: '请描述问题' });
    await as(agent).help.send({ threadId: t.id, body: '内部备注', kind: 'note' });
    // Writing marks everything before as read for the writer; notes never count for the candidate.
    expect((await as(agent).help.queue({ scope: 'mine' }))[0]!.unread).toBe(0);
    expect((await as(cand).help.myThreads())[0]!.unread).toBe(2);

    expect(await as(cand).help.markRead({ threadId: t.id, messageId: m2.id })).toEqual({ lastReadMessageId: m2.id });
    expect((await as(cand).help.myThreads())[0]!.unread).toBe(0);
    expect(await as(cand).help.markRead({ threadId: t.id, messageId: m1.id })).toEqual({ lastReadMessageId: m2.id });
    expect((await as(cand).help.myThreads())[0]!.unread).toBe(0);

    const other = await as(cand).help.thread({ threadId: t.id });
    expect(other.thread.unread).toBe(0);
    expect((await trpcRefusal(as(cand).help.markRead({ threadId: t.id, messageId: 99_999 }))).code).toBe('NOT_FOUND');
  });

  it('the queue: open threads oldest queued first, with preview, waiting agent, and scopes', async () => {
    const { candidates } = await makeSittingScenario(fx.db, { candidates: 3 });
    const agent = await makeSupportAgent(fx.db, { accepting: false });
    const [a, b, c] = candidates as [User, User, User];
    const ta = await as(a).help.open({ category: 'technical', body: 'A' });
    const tb = await as(b).help.open({ category: 'technical', body: 'B' });
    const tc = await as(c).help.open({ category: 'technical', body: 'C' });
    await as(agent).help.claim({ threadId: ta.id });
    await as(agent).help.resolve({ threadId: tc.id });
    expect((await as(agent).help.queue({ scope: 'open' })).map((t) => [t.id, t.status])).toEqual([
      [tb.id, 'queued'],
      [ta.id, 'assigned'],
    ]);
    expect((await as(agent).help.queue({ scope: 'mine' })).map((t) => t.id)).toEqual([ta.id]);
    expect((await as(agent).help.queue({ scope: 'resolved' })).map((t) => t.id)).toEqual([tc.id]);
    expect((await as(agent).help.queue()).map((t) => t.id)).toEqual([tb.id, ta.id]);
  });

  it('canned replies: listed for all staff, managed by support and admin', async () => {
    const support = await makeStaff(fx.db, 'support');
    const admin = await makeStaff(fx.db, 'admin');
    const { invigilator } = await makeRoomScenario(fx.db);
    const r = await as(support).help.canned.create({ title: ' 刷新页面 ', body: '请按 Ctrl+F5 刷新页面后重试。' });
    expect(r).toMatchObject({ title: '刷新页面', createdBy: support.id });
    expect((await as(invigilator).help.canned.list()).map((x) => x.title)).toEqual(['刷新页面']);
    expect((await trpcRefusal(as(invigilator).help.canned.create({ title: 'x', body: 'y' }))).code).toBe('FORBIDDEN');
    expect(await as(admin).help.canned.update({ id: r.id, title: '刷新', body: '请刷新。' })).toMatchObject({ id: r.id, title: '刷新' });
    const long = await httpCall({ ctx: makeContext(fx.db, support), path: 'help.canned.create', input: { title: 'x'.repeat(61), body: 'y' } });
    expect(long.body.error.json.data.fieldErrors).toEqual({ title: '太长了，最多 60 个字符' });
    expect(await as(support).help.canned.remove({ id: r.id })).toEqual({ ok: true });
    expect((await trpcRefusal(as(support).help.canned.remove({ id: r.id }))).code).toBe('NOT_FOUND');
    expect(await as(support).help.canned.list()).toEqual([]);
  });

  it('context: the candidate, exam, room, seat, live tile, checks with clock offset and recent timeline', async () => {
    const { exam, room, candidates, invigilator } = await makeSittingScenario(fx.db, { candidates: 1 });
    const cand = candidates[0]!;
    recordSystemCheck({
      db: fx.db,
      candidateId: cand.id,
      clockOffsetMs: -1234,
      roundTripMs: 40,
      appVersion: '1.0',
      displays: 'single',
      mediaSupported: true,
      userAgent: 'test',
    });
    const t = await as(cand).help.open({ category: 'technical', body: '时间不对' });
    const ctx = await as(invigilator).help.context({ threadId: t.id });
    expect(ctx.candidate).toMatchObject({ id: cand.id, name: cand.name });
    expect(ctx.candidate.idNumberMasked).not.toBe(cand.idNumber);
    expect(ctx.exam).toMatchObject({ id: exam.id, name: exam.title, kind: 'written' });
    expect(ctx.room).toEqual({ id: room.id, name: room.name });
    expect(ctx.seat).toBe(1);
    expect(ctx.registration!.enteredAt).toBeInstanceOf(Date);
    expect(ctx.live).toMatchObject({ candidateId: cand.id, pc: { status: 'not_joined' } });
    expect(ctx.systemCheck).toMatchObject({ clockOffsetMs: -1234 });
    expect(ctx.deviceCheck).toBeNull();
    expect(Array.isArray(ctx.timeline)).toBe(true);
    expect((await trpcRefusal(as(cand).help.context({ threadId: t.id }))).code).toBe('FORBIDDEN');
  });
});

describe('help: demo seed', () => {
  it('gives support1 a desk of 5, the canned replies and one resolved conversation, once', async () => {
    const { seedDemo } = await import('@/db/seed');
    const { DEMO_CANNED_REPLIES } = await import('@/db/seed-data');
    await seedDemo({ db: fx.db });
    await seedDemo({ db: fx.db });
    const admin = await makeStaff(fx.db, 'admin');
    const agents = await as(admin).help.agents();
    expect(agents).toEqual([expect.objectContaining({ name: '赵客服', capacity: 5, accepting: true, openThreads: 0 })]);
    expect((await as(admin).help.canned.list()).length).toBe(DEMO_CANNED_REPLIES.length);
    const resolved = await as(admin).help.queue({ scope: 'resolved' });
    expect(resolved).toHaveLength(1);
    expect(resolved[0]).toMatchObject({ status: 'resolved', agent: { name: '赵客服' }, candidate: { name: '肖敏雨' } });
    expect((await as(admin).help.thread({ threadId: resolved[0]!.id })).messages.map((m) => m.kind)).toEqual(['candidate', 'agent', 'candidate']);
  });
});
