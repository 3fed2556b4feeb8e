import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '@/db/schema';
import type { HelpTyping } from '@/server/events/bus';
import type { DeskUpdate, MineUpdate, PositionUpdate } from '@/server/services/help';
import { makeSittingScenario, makeSupportAgent } from '../fixtures/factories';
import { createTestDb } from '../helpers/db';
import { callerFor, makeContext, openSubscription, trpcRefusal } from '../helpers/unit-support';

let db: ReturnType<typeof createTestDb>;
let stops: AbortController[];
beforeEach(() => {
  db = createTestDb();
  stops = [];
});
afterEach(() => {
  for (const s of stops) s.abort();
  db.cleanup();
});

const as = (u: User) => callerFor(makeContext(db, u));

/** A caller whose subscriptions end with the returned controller (or at the end of the test). */
function subscriber(u: User) {
  const stop = new AbortController();
  stops.push(stop);
  return { caller: callerFor(makeContext(db, u), { signal: stop.signal }), stop };
}

const isPosition = (v: unknown): v is PositionUpdate => !!v && typeof v === 'object' && (v as PositionUpdate).kind === 'position';

/** The next tracked item of a candidate stream (position updates are checked apart). */
async function nextTracked(sub: Awaited<ReturnType<typeof openSubscription<MineUpdate>>>) {
  for (;;) {
    const v = await sub.next();
    if (!isPosition(v)) return v;
  }
}

describe('help.onMine', () => {
  it('resuming from lastEventId delivers exactly the events missed while disconnected, once, in order; notes never', async () => {
    const { candidates } = await makeSittingScenario(db, { candidates: 1 });
    const cand = candidates[0]!;
    const agent = await makeSupportAgent(db);
    const t = await as(cand).help.open({ category: 'technical', body: '听不到声音' });

    const first = subscriber(cand);
    const sub1 = await openSubscription<MineUpdate>(first.caller.help.onMine({}));
    // Without a cursor the stream starts with the candidate's own history: opened, assigned.
    const opened = await nextTracked(sub1);
    expect(opened.data.event.type).toBe('opened');
    expect(opened.data.message).toMatchObject({ kind: 'candidate', body: '听不到声音' });
    expect((await nextTracked(sub1)).data.event.type).toBe('assigned');

    await as(agent).help.send({ threadId: t.id, body: '一' });
    await as(agent).help.send({ threadId: t.id, body: '二' });
    const a = await nextTracked(sub1);
    const b = await nextTracked(sub1);
    expect([a.data.message?.body, b.data.message?.body]).toEqual(['一', '二']);
    expect(b.data.thread).toMatchObject({ id: t.id, status: 'assigned', agentName: agent.name, unread: 2 });
    expect(Number(b.id)).toBeGreaterThan(Number(a.id));

    first.stop.abort();
    await sub1.close();

    await as(agent).help.send({ threadId: t.id, body: '备注：网络差', kind: 'note' });
    await as(agent).help.send({ threadId: t.id, body: '三' });
    await as(cand).help.send({ threadId: t.id, body: '四' });
    await as(agent).help.send({ threadId: t.id, body: '五' });

    const second = subscriber(cand);
    const sub2 = await openSubscription<MineUpdate>(second.caller.help.onMine({ lastEventId: b.id }));
    const missed = [await nextTracked(sub2), await nextTracked(sub2), await nextTracked(sub2)];
    expect(missed.map((m) => m.data.message?.body)).toEqual(['三', '四', '五']);
    expect(missed.map((m) => m.data.message?.kind)).toEqual(['agent', 'candidate', 'agent']);
    const ids = missed.map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((x, y) => x - y));

    // Live again, with nothing repeated in between.
    await as(agent).help.send({ threadId: t.id, body: '六' });
    expect((await nextTracked(sub2)).data.message?.body).toBe('六');
  });

  it('the queue position moves live as threads ahead are taken', async () => {
    const { candidates } = await makeSittingScenario(db, { candidates: 3 });
    const agent = await makeSupportAgent(db, { accepting: false });
    const [a, b, c] = candidates as [User, User, User];
    const ta = await as(a).help.open({ category: 'technical', body: 'A' });
    const tb = await as(b).help.open({ category: 'technical', body: 'B' });
    const tc = await as(c).help.open({ category: 'technical', body: 'C' });
    expect(tc.queuePosition).toBe(3);

    const sub = await openSubscription<MineUpdate | PositionUpdate>(subscriber(c).caller.help.onMine({}));
    expect((await sub.next()).data).toMatchObject({ event: { type: 'opened' }, thread: { queuePosition: 3 } });

    await as(agent).help.claim({ threadId: ta.id });
    expect(await sub.next()).toEqual({ kind: 'position', threadId: tc.id, queuePosition: 2 });
    await as(agent).help.send({ threadId: tb.id, body: '您好' });
    expect(await sub.next()).toEqual({ kind: 'position', threadId: tc.id, queuePosition: 1 });

    await as(agent).help.claim({ threadId: tc.id });
    const claimed = await sub.next();
    expect(claimed.data).toMatchObject({ event: { type: 'claimed' }, thread: { status: 'assigned', queuePosition: null, agentName: agent.name } });
  });

  it('only candidates subscribe to their own stream', async () => {
    const agent = await makeSupportAgent(db);
    expect((await trpcRefusal(subscriber(agent).caller.help.onMine({}))).code).toBe('FORBIDDEN');
  });
});

describe('help.onDesk', () => {
  it('carries notes to staff, resumes exactly after lastEventId, and limits invigilators to their rooms', async () => {
    const one = await makeSittingScenario(db, { candidates: 1 });
    const two = await makeSittingScenario(db, { candidates: 1 });
    const agent = await makeSupportAgent(db, { accepting: false });
    const t1 = await as(one.candidates[0]!).help.open({ category: 'technical', body: '一号' });

    const agentSub = await openSubscription<DeskUpdate>(subscriber(agent).caller.help.onDesk({}));
    const invSub = await openSubscription<DeskUpdate>(subscriber(one.invigilator).caller.help.onDesk({}));

    const t2 = await as(two.candidates[0]!).help.open({ category: 'content', body: '二号' });
    await as(agent).help.send({ threadId: t1.id, body: '内部备注', kind: 'note' });

    const opened = await agentSub.next();
    expect(opened.data).toMatchObject({ event: { type: 'opened', threadId: t2.id }, thread: { id: t2.id, status: 'queued', unread: 1 } });
    const note = await agentSub.next();
    expect(note.data.message).toMatchObject({ kind: 'note', body: '内部备注', authorName: agent.name });
    expect(note.data.event.staffOnly).toBe(true);

    // The invigilator of room one sees the note on their room's thread, and not room two's thread.
    const invNote = await invSub.next();
    expect(invNote.id).toBe(note.id);
    expect(invNote.data.thread).toMatchObject({ id: t1.id, roomId: one.room.id, seat: 1 });

    // Resuming after the first event replays the rest, once.
    const again = await openSubscription<DeskUpdate>(subscriber(agent).caller.help.onDesk({ lastEventId: opened.id }));
    expect((await again.next()).id).toBe(note.id);
    await as(agent).help.resolve({ threadId: t2.id });
    expect((await again.next()).data).toMatchObject({ event: { type: 'resolved' }, thread: { id: t2.id, status: 'resolved' } });
    expect((await agentSub.next()).data.event.type).toBe('resolved');
    // The invigilator's next event is their own room's, not the resolution in room two.
    await as(one.candidates[0]!).help.send({ threadId: t1.id, body: '还在等' });
    expect((await invSub.next()).data.message).toMatchObject({ body: '还在等' });
  });

  it('candidates have no desk stream', async () => {
    const { candidates } = await makeSittingScenario(db, { candidates: 1 });
    expect((await trpcRefusal(subscriber(candidates[0]!).caller.help.onDesk({}))).code).toBe('FORBIDDEN');
  });
});

describe('help.onTyping', () => {
  it('each side sees the other side typing, never its own', async () => {
    const { candidates, invigilator } = await makeSittingScenario(db, { candidates: 2 });
    const cand = candidates[0]!;
    const agent = await makeSupportAgent(db);
    const t = await as(cand).help.open({ category: 'technical', body: '你好' });

    const candSub = await openSubscription<HelpTyping>(subscriber(cand).caller.help.onTyping({ threadId: t.id }));
    const agentSub = await openSubscription<HelpTyping>(subscriber(agent).caller.help.onTyping({ threadId: t.id }));

    await as(cand).help.typing({ threadId: t.id });
    await as(agent).help.typing({ threadId: t.id });
    expect(await candSub.next()).toEqual({ threadId: t.id, side: 'agent', userId: agent.id, name: agent.name });
    expect(await agentSub.next()).toEqual({ threadId: t.id, side: 'candidate', userId: cand.id, name: cand.name });

    await as(invigilator).help.typing({ threadId: t.id });
    expect(await candSub.next()).toMatchObject({ side: 'agent', userId: invigilator.id });

    // Another candidate may neither listen nor type here.
    expect((await trpcRefusal(subscriber(candidates[1]!).caller.help.onTyping({ threadId: t.id }))).code).toBe('NOT_FOUND');
  });
});
