import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { messageReceipts, type User } from '@/db/schema';
import { getBus } from '@/server/events/bus';
import { flushDeliveries } from '@/server/services/messages';
import { createMessage, createRoom, registerCandidate } from '@/server/services/setup';
import { makeCandidate, makeRoomScenario, makeStaff } from '../fixtures/factories';
import { follow } from '../helpers/live';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, makeContext } from '../helpers/unit-support';

const fx = useTestDb();

const as = (user: User, signal = fx.stop.signal) => callerFor(makeContext(fx.db, user), { signal }).messages;
const note = (title: string) => ({ title, body: `${title}：正文` });

/**
 * A candidate's page following the `messages` topic on its live connection, resuming after
 * `after`. The backfill runs when the topic opens (before the `open` frame), not at the test's
 * first `next()`.
 */
async function stream(user: User, after?: number, signal = fx.stop.signal) {
  const live = await follow(fx.db, user, ['messages'], { cursors: after != null ? [['messages', after]] : [], signal });
  expect(live.opened).toEqual(['messages']);
  return {
    next: () => live.next('messages'),
    /** For "nothing more" checks: undefined when nothing came within `ms`. */
    nextWithin: (ms: number) => live.within(ms, 'messages'),
    close: live.close,
  };
}

const receipt = (messageId: number, candidateId: number) =>
  fx.db
    .select()
    .from(messageReceipts)
    .where(and(eq(messageReceipts.messageId, messageId), eq(messageReceipts.candidateId, candidateId)))
    .get();

/** Room A (a1, a2) and room B (b1) of one exam, and an admin to send. */
async function world() {
  const s = await makeRoomScenario(fx.db, { candidates: 2 });
  const roomB = createRoom({ db: fx.db, examId: s.exam.id, name: 'B' });
  const b1 = await makeCandidate(fx.db);
  registerCandidate({ db: fx.db, examId: s.exam.id, roomId: roomB.id, candidateId: b1.id, seat: 1 });
  return { ...s, roomB, a1: s.candidates[0]!, a2: s.candidates[1]!, b1, admin: await makeStaff(fx.db, 'admin') };
}

describe('the messages topic', () => {
  it('a candidate receives live only the messages addressed to them, each with its tracked id', async () => {
    const w = await world();
    const a1 = await stream(w.a1);
    const b1 = await stream(w.b1);
    const admin = as(w.admin);
    const toB = await admin.send({ audience: 'room', roomId: w.roomB.id, ...note('B 考场') });
    const toA2 = await admin.send({ audience: 'candidate', candidateId: w.a2.id, ...note('给 a2') });
    const toA = await admin.send({ audience: 'room', roomId: w.room.id, ...note('A 考场'), priority: 'urgent', mustAcknowledge: true });

    const got = await a1.next();
    expect(got.id).toBe(toA.messageId);
    expect(got.data).toMatchObject({
      id: toA.messageId,
      title: 'A 考场',
      body: 'A 考场：正文',
      priority: 'urgent',
      mustAcknowledge: true,
      readAt: null,
      acknowledgedAt: null,
    });
    expect(got.data.createdAt).toBeInstanceOf(Date);
    expect((await b1.next()).id).toBe(toB.messageId);
    expect(toA2.messageId).toBeLessThan(toA.messageId);
  });

  it('a dropped stream resumed with its last id gets exactly the messages sent meanwhile, once', async () => {
    const w = await world();
    const admin = as(w.admin);
    const first = new AbortController();
    const sub = await stream(w.a1, undefined, first.signal);
    const one = await admin.send({ audience: 'all', ...note('第一条') });
    const got = await sub.next();
    expect(got.id).toBe(one.messageId);
    first.abort();
    await sub.close();

    const two = await admin.send({ audience: 'exam', examId: w.exam.id, ...note('第二条') });
    await admin.send({ audience: 'room', roomId: w.roomB.id, ...note('别的考场') });
    const three = await admin.send({ audience: 'candidate', candidateId: w.a1.id, ...note('第三条') });

    const resumed = await stream(w.a1, got.id);
    expect((await resumed.next()).id).toBe(two.messageId);
    expect((await resumed.next()).id).toBe(three.messageId);
    const four = await admin.send({ audience: 'all', ...note('第四条') });
    expect((await resumed.next()).id).toBe(four.messageId);
  });

  it('a candidate offline at send time gets the message on their next connection, and only once', async () => {
    const w = await world();
    const { messageId } = await as(w.admin).send({ audience: 'room', roomId: w.room.id, ...note('离线时发送') });

    const back = await stream(w.a1);
    expect((await back.next()).data).toMatchObject({ id: messageId, title: '离线时发送' });
    flushDeliveries({ db: fx.db, bus: getBus() });
    await back.close();

    // Delivered now: a later page load does not show it again (the message centre lists it).
    const later = await stream(w.a1);
    const next = await as(w.admin).send({ audience: 'all', ...note('之后的') });
    expect((await later.next()).id).toBe(next.messageId);
  });

  it('a page load replays what still demands attention: unacknowledged, and urgent unread', async () => {
    const w = await world();
    const admin = as(w.admin);
    const ack = await admin.send({ audience: 'room', roomId: w.room.id, ...note('需确认'), mustAcknowledge: true });
    const urgent = await admin.send({ audience: 'room', roomId: w.room.id, ...note('紧急'), priority: 'urgent' });
    const normal = await admin.send({ audience: 'room', roomId: w.room.id, ...note('普通') });
    const first = await stream(w.a1);
    expect([(await first.next()).id, (await first.next()).id, (await first.next()).id]).toEqual([ack, urgent, normal].map((m) => m.messageId));
    flushDeliveries({ db: fx.db, bus: getBus() });
    await first.close();

    const reload = await stream(w.a1);
    expect((await reload.next()).id).toBe(ack.messageId);
    expect((await reload.next()).id).toBe(urgent.messageId);
    await as(w.a1).acknowledge({ messageId: ack.messageId });
    await as(w.a1).markRead({ messageId: urgent.messageId });
    await reload.close();

    const settled = await stream(w.a1);
    expect(await settled.nextWithin(200)).toBeUndefined();
  });

  it('an invigilator’s exam-page message is left to the exam page, not replayed by the message stream', async () => {
    const w = await world();
    await callerFor(makeContext(fx.db, w.invigilator)).invigilate.sendMessage({ roomId: w.room.id, text: '请调整摄像头' });
    const sub = await stream(w.a1);
    expect(await sub.nextWithin(200)).toBeUndefined();
  });

  it('a registration made after the stream opened still lets a message to that room through', async () => {
    const w = await world();
    const late = await makeCandidate(fx.db);
    const sub = await stream(late);
    registerCandidate({ db: fx.db, examId: w.exam.id, roomId: w.roomB.id, candidateId: late.id, seat: 2 });
    const { messageId } = await as(w.admin).send({ audience: 'room', roomId: w.roomB.id, ...note('新加入') });
    expect((await sub.next()).id).toBe(messageId);
  });

  it('staff cannot open a candidate’s messages topic', async () => {
    const w = await world();
    const live = await follow(fx.db, w.admin, ['messages'], { signal: fx.stop.signal });
    expect(live.refused).toEqual([expect.objectContaining({ topic: 'messages', code: 'FORBIDDEN', key: 'auth.wrongRole' })]);
    expect(live.opened).toEqual([]);
  });
});

describe('delivery receipts', () => {
  it('a message handed to two tabs of one candidate is recorded delivered once, at the first time', async () => {
    const w = await world();
    const tab1 = await stream(w.a1);
    const tab2 = await stream(w.a1);
    const { messageId } = await as(w.admin).send({ audience: 'all', ...note('两个标签页') });
    await tab1.next();
    await tab2.next();
    const t1 = new Date('2030-01-01T08:00:00Z');
    // One row for the candidate, however many of their streams it reached.
    expect(flushDeliveries({ db: fx.db, bus: getBus(), now: t1 })).toEqual([{ messageId, candidateId: w.a1.id }]);

    // A third stream resuming from before it gets it again; the first delivery time stays.
    const tab3 = await stream(w.a1, 0);
    await tab3.next();
    expect(flushDeliveries({ db: fx.db, bus: getBus(), now: new Date('2030-01-01T08:00:05Z') })).toEqual([{ messageId, candidateId: w.a1.id }]);
    expect(receipt(messageId, w.a1.id)).toMatchObject({ deliveredAt: t1, readAt: null, acknowledgedAt: null });
    expect(fx.db.select().from(messageReceipts).all()).toHaveLength(1);
  });

  it('the sender’s live counts move as a broadcast reaches connected candidates, then as they read and acknowledge', async () => {
    const w = await world();
    const { messageId } = await as(w.admin).send({ audience: 'exam', examId: w.exam.id, ...note('全场'), mustAcknowledge: true });
    const topic = `stats:${messageId}` as const;
    const counts = await follow(fx.db, w.admin, [topic], { signal: fx.stop.signal });
    const nextStats = async () => (await counts.next(topic)).data;
    expect(await nextStats()).toMatchObject({ recipients: 3, delivered: 0 });

    const subs = await Promise.all([w.a1, w.a2, w.b1].map((c) => stream(c)));
    for (const s of subs) await s.next();
    flushDeliveries({ db: fx.db, bus: getBus() });
    expect(await nextStats()).toEqual({ messageId, recipients: 3, delivered: 3, read: 0, acknowledged: 0 });

    await as(w.b1).acknowledge({ messageId });
    let stats = await nextStats();
    // Changes inside one interval fold into one emit: wait for the one that has the acknowledgement.
    while (stats.acknowledged < 1) stats = await nextStats();
    expect(stats).toEqual({ messageId, recipients: 3, delivered: 3, read: 1, acknowledged: 1 });
  });

  it('a message to a candidate who never connects stays undelivered', async () => {
    const w = await world();
    const sub = await stream(w.a1);
    const { messageId } = await as(w.admin).send({ audience: 'room', roomId: w.room.id, ...note('只有 a1 在线') });
    await sub.next();
    flushDeliveries({ db: fx.db, bus: getBus() });
    expect(receipt(messageId, w.a1.id)?.deliveredAt).toBeInstanceOf(Date);
    expect(receipt(messageId, w.a2.id)).toBeUndefined();
  });

  it('the message centre list shows messages created directly too, and the stream replays them as undelivered', async () => {
    const w = await world();
    const m = createMessage({ db: fx.db, audience: 'candidate', candidateId: w.a1.id, title: '直接写入', body: '正文' });
    const sub = await stream(w.a1);
    expect((await sub.next()).id).toBe(m.id);
    expect((await as(w.a1).list()).map((r) => r.id)).toEqual([m.id]);
  });
});
