import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '@/db/schema';
import type { DeskUpdate, MineUpdate, PositionUpdate } from '@/server/services/help';
import type { LiveTopic } from '@/server/live/types';
import { makeSittingScenario, makeSupportAgent } from '../fixtures/factories';
import { createTestDb } from '../helpers/db';
import { follow } from '../helpers/live';
import { callerFor, makeContext } from '../helpers/unit-support';

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

/**
 * A page's live connection following one topic as `u` (a real session), resuming after `after`;
 * it ends with `stop` (or at the end of the test).
 */
async function subscribe<T extends LiveTopic>(u: User, topic: T, after?: number) {
  const stop = new AbortController();
  stops.push(stop);
  const live = await follow(db, u, [topic], { cursors: after != null ? [[topic, after]] : [], signal: stop.signal });
  return { live, stop, refused: live.refused, next: () => live.next(topic), nextWithin: (ms: number) => live.within(ms, topic) };
}

const isPosition = (v: unknown): v is PositionUpdate => !!v && typeof v === 'object' && (v as PositionUpdate).kind === 'position';

/** The next tracked item of a candidate's help topic (position updates are checked apart). */
async function nextTracked(sub: Awaited<ReturnType<typeof subscribe<'help'>>>) {
  for (;;) {
    const v = await sub.next();
    if (!isPosition(v.data)) return { id: v.id!, data: v.data as MineUpdate };
  }
}

/** A desk update's unread count as `reader`'s console shows it: theirs if they have read some of the thread, else everyone's. */
const unreadFor = (u: DeskUpdate, reader: User) => u.unread.by[reader.id] ?? u.unread.none;

describe('the help topic (a candidate’s own threads)', () => {
  it('resuming from its cursor delivers exactly the events missed while disconnected, once, in order; notes never', async () => {
    const { candidates } = await makeSittingScenario(db, { candidates: 1 });
    const cand = candidates[0]!;
    const agent = await makeSupportAgent(db);
    const t = await as(cand).help.open({ category: 'technical', body: '听不到声音' });

    const sub1 = await subscribe(cand, 'help');
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
    expect(b.id).toBeGreaterThan(a.id);

    sub1.stop.abort();

    await as(agent).help.send({ threadId: t.id, body: '备注：网络差', kind: 'note' });
    await as(agent).help.send({ threadId: t.id, body: '三' });
    await as(cand).help.send({ threadId: t.id, body: '四' });
    await as(agent).help.send({ threadId: t.id, body: '五' });

    const sub2 = await subscribe(cand, 'help', b.id);
    const missed = [await nextTracked(sub2), await nextTracked(sub2), await nextTracked(sub2)];
    expect(missed.map((m) => m.data.message?.body)).toEqual(['三', '四', '五']);
    expect(missed.map((m) => m.data.message?.kind)).toEqual(['agent', 'candidate', 'agent']);
    const ids = missed.map((m) => m.id);
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

    const sub = await subscribe(c, 'help');
    expect((await sub.next()).data).toMatchObject({ event: { type: 'opened' }, thread: { queuePosition: 3 } });

    await as(agent).help.claim({ threadId: ta.id });
    // Positions are state, not events: no id to resume from.
    expect(await sub.next()).toEqual({ event: 'help', id: undefined, data: { kind: 'position', threadId: tc.id, queuePosition: 2 } });
    await as(agent).help.send({ threadId: tb.id, body: '您好' });
    expect(await sub.next()).toEqual({ event: 'help', id: undefined, data: { kind: 'position', threadId: tc.id, queuePosition: 1 } });

    await as(agent).help.claim({ threadId: tc.id });
    const claimed = await sub.next();
    expect(claimed.data).toMatchObject({ event: { type: 'claimed' }, thread: { status: 'assigned', queuePosition: null, agentName: agent.name } });
  });

  it('only candidates follow their own help topic', async () => {
    const agent = await makeSupportAgent(db);
    expect((await subscribe(agent, 'help')).refused).toEqual([expect.objectContaining({ topic: 'help', code: 'FORBIDDEN', key: 'auth.wrongRole' })]);
  });
});

describe('the desk topic', () => {
  it('carries notes to staff, resumes exactly after its cursor, limits invigilators to their rooms, and gives each reader their unread count', async () => {
    const one = await makeSittingScenario(db, { candidates: 1 });
    const two = await makeSittingScenario(db, { candidates: 1 });
    const agent = await makeSupportAgent(db, { accepting: false });
    const t1 = await as(one.candidates[0]!).help.open({ category: 'technical', body: '一号' });

    const agentSub = await subscribe(agent, 'desk');
    const invSub = await subscribe(one.invigilator, 'desk');

    const t2 = await as(two.candidates[0]!).help.open({ category: 'content', body: '二号' });
    await as(agent).help.send({ threadId: t1.id, body: '内部备注', kind: 'note' });

    const opened = await agentSub.next();
    expect(opened.data).toMatchObject({ event: { type: 'opened', threadId: t2.id }, thread: { id: t2.id, status: 'queued' } });
    expect(unreadFor(opened.data, agent)).toBe(1);
    const note = await agentSub.next();
    expect(note.data.message).toMatchObject({ kind: 'note', body: '内部备注', authorName: agent.name });
    expect(note.data.event.staffOnly).toBe(true);

    // The invigilator of room one sees the note on their room's thread, and not room two's thread.
    const invNote = await invSub.next();
    expect(invNote.id).toBe(note.id);
    expect(invNote.data.thread).toMatchObject({ id: t1.id, roomId: one.room.id, seat: 1 });

    // Resuming after the first event replays the rest, once.
    const again = await subscribe(agent, 'desk', opened.id);
    expect((await again.next()).id).toBe(note.id);
    await as(agent).help.resolve({ threadId: t2.id });
    expect((await again.next()).data).toMatchObject({ event: { type: 'resolved' }, thread: { id: t2.id, status: 'resolved' } });
    expect((await agentSub.next()).data.event.type).toBe('resolved');
    // The agent has read the thread up to its first message; the invigilator has read nothing.
    const [firstMessage] = (await as(agent).help.thread({ threadId: t1.id })).messages;
    await as(agent).help.markRead({ threadId: t1.id, messageId: firstMessage!.id });
    // The invigilator's next event is their own room's, not the resolution in room two.
    await as(one.candidates[0]!).help.send({ threadId: t1.id, body: '还在等' });
    const waiting = await invSub.next();
    expect(waiting.data.message).toMatchObject({ body: '还在等' });
    // One update for every desk: each reader picks their own count from it.
    expect(unreadFor(waiting.data, one.invigilator)).toBe(2);
    expect(unreadFor(waiting.data, agent)).toBe(1);
    const agentWaiting = await agentSub.next();
    expect(agentWaiting.id).toBe(waiting.id);
    expect(unreadFor(agentWaiting.data, agent)).toBe(1);
  });

  it('candidates have no desk topic', async () => {
    const { candidates } = await makeSittingScenario(db, { candidates: 1 });
    expect((await subscribe(candidates[0]!, 'desk')).refused).toEqual([expect.objectContaining({ topic: 'desk', code: 'FORBIDDEN', key: 'auth.wrongRole' })]);
  });
});

describe('the typing topic', () => {
  it('each side sees the other side typing, never its own', async () => {
    const { candidates, invigilator } = await makeSittingScenario(db, { candidates: 2 });
    const cand = candidates[0]!;
    const agent = await makeSupportAgent(db);
    const t = await as(cand).help.open({ category: 'technical', body: '你好' });

    const topic = `typing:${t.id}` as const;
    const candSub = await subscribe(cand, topic);
    const agentSub = await subscribe(agent, topic);

    await as(cand).help.typing({ threadId: t.id });
    await as(agent).help.typing({ threadId: t.id });
    expect((await candSub.next()).data).toEqual({ threadId: t.id, side: 'agent', userId: agent.id, name: agent.name });
    expect((await agentSub.next()).data).toEqual({ threadId: t.id, side: 'candidate', userId: cand.id, name: cand.name });

    await as(invigilator).help.typing({ threadId: t.id });
    expect((await candSub.next()).data).toMatchObject({ side: 'agent', userId: invigilator.id });
    // Never one's own side: the agent's own typing did not come back to the agent.
    expect(await agentSub.nextWithin(100)).toBeUndefined();

    // Another candidate may neither listen nor type here.
    expect((await subscribe(candidates[1]!, topic)).refused).toEqual([expect.objectContaining({ topic, code: 'NOT_FOUND' })]);
  });
});
