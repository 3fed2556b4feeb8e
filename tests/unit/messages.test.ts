import { describe, expect, it } from 'vitest';
import { messageReceipts } from '@/db/schema';
import { acknowledge, listMessages, markRead, unreadCount } from '@/server/services/messages';
import { createMessage, createRoom, registerCandidate } from '@/server/services/setup';
import { makeCandidate, makeRoomScenario } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, makeContext, trpcRefusal } from '../helpers/unit-support';

const fx = useTestDb();

const T1 = new Date('2030-06-01T08:00:00.000Z');
const T2 = new Date('2030-06-01T08:05:00.000Z');

/**
 * Exam 1 has rooms R1 (c1) and R2 (c2); exam 2 has room R3 (c3); c4 is registered nowhere.
 * One message per audience, created in this order.
 */
async function audiences() {
  const one = await makeRoomScenario(fx.db);
  const c1 = one.candidates[0]!;
  const r2 = createRoom({ db: fx.db, examId: one.exam.id, name: 'R2' });
  const c2 = await makeCandidate(fx.db);
  registerCandidate({ db: fx.db, examId: one.exam.id, roomId: r2.id, candidateId: c2.id, seat: 1 });
  const two = await makeRoomScenario(fx.db);
  const c3 = two.candidates[0]!;
  const c4 = await makeCandidate(fx.db);

  const m = {
    all: createMessage({ db: fx.db, audience: 'all', title: '系统维护通知', body: '今晚 22:00 维护。' }),
    exam1: createMessage({ db: fx.db, audience: 'exam', examId: one.exam.id, title: '考试一通知', body: '请提前入场。', priority: 'urgent' }),
    room1: createMessage({ db: fx.db, audience: 'room', roomId: one.room.id, title: 'R1 通知', body: '监考老师已到位。', mustAcknowledge: true }),
    exam2: createMessage({ db: fx.db, audience: 'exam', examId: two.exam.id, title: '考试二通知', body: '附件已更新。' }),
    toC3: createMessage({ db: fx.db, audience: 'candidate', candidateId: c3.id, title: '个人通知', body: '请补充联系方式。' }),
  };
  return { c1, c2, c3, c4, m };
}

const idsOf = (rows: { id: number }[]) => rows.map((r) => r.id);
const newestFirst = (...rows: { id: number }[]) => idsOf(rows).sort((a, b) => b - a);

describe('who receives a message', () => {
  it('a candidate sees messages to everyone, to their exam and to their room, newest first', async () => {
    const { c1, m } = await audiences();
    expect(idsOf(listMessages({ db: fx.db, candidateId: c1.id }))).toEqual(newestFirst(m.all, m.exam1, m.room1));
  });

  it('a candidate in another room of the same exam sees the exam’s message but not the other room’s', async () => {
    const { c2, m } = await audiences();
    expect(idsOf(listMessages({ db: fx.db, candidateId: c2.id }))).toEqual(newestFirst(m.all, m.exam1));
  });

  it('a candidate of another exam sees that exam’s message and the one addressed to them, not exam 1’s', async () => {
    const { c3, m } = await audiences();
    expect(idsOf(listMessages({ db: fx.db, candidateId: c3.id }))).toEqual(newestFirst(m.all, m.exam2, m.toC3));
  });

  it('a candidate registered nowhere sees only the messages to everyone', async () => {
    const { c4, m } = await audiences();
    expect(idsOf(listMessages({ db: fx.db, candidateId: c4.id }))).toEqual([m.all.id]);
  });

  it('a candidate sees title, body, priority and whether to acknowledge, unread at first', async () => {
    const { c1, m } = await audiences();
    const row = listMessages({ db: fx.db, candidateId: c1.id }).find((r) => r.id === m.room1.id);
    expect(row).toMatchObject({ title: 'R1 通知', body: '监考老师已到位。', priority: 'normal', mustAcknowledge: true, readAt: null, acknowledgedAt: null });
    expect(listMessages({ db: fx.db, candidateId: c1.id }).find((r) => r.id === m.exam1.id)!.priority).toBe('urgent');
  });
});

describe('reading and acknowledging', () => {
  it('a candidate’s unread count drops as they read or acknowledge, and another candidate’s does not', async () => {
    const { c1, c2, m } = await audiences();
    expect(unreadCount({ db: fx.db, candidateId: c1.id })).toBe(3);
    expect(unreadCount({ db: fx.db, candidateId: c2.id })).toBe(2);

    markRead({ db: fx.db, candidateId: c1.id, messageId: m.all.id, now: T1 });
    expect(unreadCount({ db: fx.db, candidateId: c1.id })).toBe(2);
    acknowledge({ db: fx.db, candidateId: c1.id, messageId: m.room1.id, now: T1 });
    expect(unreadCount({ db: fx.db, candidateId: c1.id })).toBe(1);

    // Receipts are per candidate: c1 reading the message to everyone does not read it for c2.
    expect(unreadCount({ db: fx.db, candidateId: c2.id })).toBe(2);
  });

  it('a candidate marking a message read twice keeps the first read time', async () => {
    const { c1, m } = await audiences();

    markRead({ db: fx.db, candidateId: c1.id, messageId: m.exam1.id, now: T1 });
    markRead({ db: fx.db, candidateId: c1.id, messageId: m.exam1.id, now: T2 });

    const row = listMessages({ db: fx.db, candidateId: c1.id }).find((r) => r.id === m.exam1.id)!;
    expect(row.readAt).toEqual(T1);
    expect(row.acknowledgedAt).toBeNull();
    expect(fx.db.select().from(messageReceipts).all()).toHaveLength(1);
  });

  it('a candidate acknowledging an unread message marks it read and acknowledged at once', async () => {
    const { c1, m } = await audiences();

    acknowledge({ db: fx.db, candidateId: c1.id, messageId: m.room1.id, now: T1 });

    expect(listMessages({ db: fx.db, candidateId: c1.id }).find((r) => r.id === m.room1.id)).toMatchObject({ readAt: T1, acknowledgedAt: T1 });
  });

  it('a candidate acknowledging a message read earlier keeps the read time; acknowledging again keeps the first', async () => {
    const { c1, m } = await audiences();
    const T3 = new Date(T2.getTime() + 60_000);

    markRead({ db: fx.db, candidateId: c1.id, messageId: m.room1.id, now: T1 });
    acknowledge({ db: fx.db, candidateId: c1.id, messageId: m.room1.id, now: T2 });
    acknowledge({ db: fx.db, candidateId: c1.id, messageId: m.room1.id, now: T3 });
    markRead({ db: fx.db, candidateId: c1.id, messageId: m.room1.id, now: T3 });

    expect(listMessages({ db: fx.db, candidateId: c1.id }).find((r) => r.id === m.room1.id)).toMatchObject({ readAt: T1, acknowledgedAt: T2 });
  });
});

describe('messages addressed to someone else', () => {
  it('a candidate marking read a message to another room gets NOT_FOUND and no receipt is written', async () => {
    const { c2, m } = await audiences();

    const err = await trpcRefusal(callerFor(makeContext(fx.db, c2)).messages.markRead({ messageId: m.room1.id }));

    expect(err.code).toBe('NOT_FOUND');
    expect(err.cause).toMatchObject({ key: 'messages.notFound' });
    expect(fx.db.select().from(messageReceipts).all()).toEqual([]);
  });

  it('a candidate acknowledging a message addressed to another candidate gets NOT_FOUND and no receipt is written', async () => {
    const { c1, m } = await audiences();

    const err = await trpcRefusal(callerFor(makeContext(fx.db, c1)).messages.acknowledge({ messageId: m.toC3.id }));

    expect(err.code).toBe('NOT_FOUND');
    expect(fx.db.select().from(messageReceipts).all()).toEqual([]);
  });

  it('a candidate marking read a message of another exam, or one that does not exist, gets NOT_FOUND', async () => {
    const { c1, m } = await audiences();
    const caller = callerFor(makeContext(fx.db, c1));

    expect((await trpcRefusal(caller.messages.markRead({ messageId: m.exam2.id }))).code).toBe('NOT_FOUND');
    expect((await trpcRefusal(caller.messages.markRead({ messageId: m.toC3.id + 1000 }))).code).toBe('NOT_FOUND');
  });

  it('a candidate’s own messages work through the router: list, unread count, read, acknowledge', async () => {
    const { c1, m } = await audiences();
    const caller = callerFor(makeContext(fx.db, c1));

    expect(await caller.messages.unreadCount()).toBe(3);
    await caller.messages.markRead({ messageId: m.exam1.id });
    await caller.messages.acknowledge({ messageId: m.room1.id });

    expect(await caller.messages.unreadCount()).toBe(1);
    const list = await caller.messages.list();
    expect(list.find((r) => r.id === m.room1.id)!.acknowledgedAt).toBeInstanceOf(Date);
  });
});
