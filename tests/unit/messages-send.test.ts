import { describe, expect, it } from 'vitest';
import { messageReceipts, messages, type User } from '@/db/schema';
import { acknowledge, markRead, sentMessages } from '@/server/services/messages';
import { assignInvigilator, createRoom, registerCandidate } from '@/server/services/setup';
import { makeCandidate, makeChief, makeRoomScenario, makeStaff } from '../fixtures/factories';
import { follow } from '../helpers/live';
import { useTestDb } from '../helpers/unit-db';
import { auditRows, callerFor, httpCall, makeContext, trpcRefusal, withLocale, asStaff } from '../helpers/unit-support';

const fx = useTestDb();

const as = (user: User | null) => callerFor(makeContext(fx.db, user), { signal: fx.stop.signal }).messages;
/** A sender's page following a message's counts on its live connection (`stats:<id>`). */
async function statsOf(user: User, messageId: number) {
  const topic = `stats:${messageId}` as const;
  const live = await follow(fx.db, user, [topic], { signal: fx.stop.signal });
  return {
    refused: live.refused,
    async next() {
      const f = await live.next(topic);
      // Stats are state, not events: nothing to resume from.
      expect(f.id).toBeUndefined();
      return f.data;
    },
  };
}

const text = { title: '考试须知更新', body: '请在开考前 15 分钟完成设备检查。' };

/**
 * Exam 1: room A (invigilator A, candidates a1, a2) and room B (invigilator B, candidate b1);
 * exam 2: room C (candidate c1). One admin, one support agent, a chief of exam 1.
 */
async function world() {
  const a = await makeRoomScenario(fx.db, { candidates: 2 });
  const roomB = createRoom({ db: fx.db, examId: a.exam.id, name: 'B' });
  const invigilatorB = await makeStaff(fx.db, 'invigilator');
  assignInvigilator({ db: fx.db, roomId: roomB.id, userId: invigilatorB.id });
  const b1 = await makeCandidate(fx.db);
  registerCandidate({ db: fx.db, examId: a.exam.id, roomId: roomB.id, candidateId: b1.id, seat: 1 });
  const c = await makeRoomScenario(fx.db, { candidates: 1 });
  return {
    exam1: a.exam,
    exam2: c.exam,
    roomA: a.room,
    roomB,
    roomC: c.room,
    invigilatorA: a.invigilator,
    invigilatorB,
    a1: a.candidates[0]!,
    a2: a.candidates[1]!,
    b1,
    c1: c.candidates[0]!,
    admin: await makeStaff(fx.db, 'admin'),
    support: await makeStaff(fx.db, 'support'),
    chief: await makeChief(fx.db, a.exam.id),
  };
}

describe('messages.send: who may address whom', () => {
  it('an admin sends to everyone, an exam, a room and one candidate; recipients are counted at send', async () => {
    const w = await world();
    const admin = as(w.admin);
    expect((await admin.send({ audience: 'all', ...text })).recipients).toBe(4);
    expect((await admin.send({ audience: 'exam', examId: w.exam1.id, ...text })).recipients).toBe(3);
    expect((await admin.send({ audience: 'room', roomId: w.roomA.id, ...text })).recipients).toBe(2);
    expect((await admin.send({ audience: 'candidate', candidateId: w.c1.id, ...text })).recipients).toBe(1);
    expect(
      fx.db
        .select()
        .from(messages)
        .all()
        .map((m) => [m.audience, m.sentBy]),
    ).toEqual([
      ['all', w.admin.id],
      ['exam', w.admin.id],
      ['room', w.admin.id],
      ['candidate', w.admin.id],
    ]);
  });

  it('an invigilator sends to their own room and to a candidate in it, stored with that room', async () => {
    const w = await world();
    const inv = as(w.invigilatorA);
    await inv.send({ audience: 'room', roomId: w.roomA.id, ...text, priority: 'urgent', mustAcknowledge: true });
    await inv.send({ audience: 'candidate', roomId: w.roomA.id, candidateId: w.a2.id, ...text });
    const rows = fx.db.select().from(messages).all();
    expect(
      rows.map((m) => ({
        audience: m.audience,
        roomId: m.roomId,
        examId: m.examId,
        candidateId: m.candidateId,
        priority: m.priority,
        mustAcknowledge: m.mustAcknowledge,
      })),
    ).toEqual([
      { audience: 'room', roomId: w.roomA.id, examId: w.exam1.id, candidateId: null, priority: 'urgent', mustAcknowledge: true },
      { audience: 'candidate', roomId: w.roomA.id, examId: w.exam1.id, candidateId: w.a2.id, priority: 'normal', mustAcknowledge: false },
    ]);
  });

  it('an invigilator is refused another room, a candidate of another room, an exam they are not chief of, and everyone', async () => {
    const w = await world();
    const inv = as(w.invigilatorA);
    const room = await trpcRefusal(inv.send({ audience: 'room', roomId: w.roomB.id, ...text }));
    expect([room.code, room.cause]).toMatchObject(['FORBIDDEN', { key: 'room.notAssigned' }]);
    const cand = await trpcRefusal(inv.send({ audience: 'candidate', roomId: w.roomB.id, candidateId: w.b1.id, ...text }));
    expect([cand.code, cand.cause]).toMatchObject(['FORBIDDEN', { key: 'room.notAssigned' }]);
    const notHere = await trpcRefusal(inv.send({ audience: 'candidate', roomId: w.roomA.id, candidateId: w.b1.id, ...text }));
    expect([notHere.code, notHere.cause]).toMatchObject(['NOT_FOUND', { key: 'invigilate.candidateNotInRoom' }]);
    const noRoom = await trpcRefusal(inv.send({ audience: 'candidate', candidateId: w.a2.id, ...text }));
    expect([noRoom.code, noRoom.cause]).toMatchObject(['BAD_REQUEST', { key: 'messages.roomRequired' }]);
    const exam = await trpcRefusal(inv.send({ audience: 'exam', examId: w.exam1.id, ...text }));
    expect([exam.code, exam.cause]).toMatchObject(['FORBIDDEN', { key: 'messages.examForbidden' }]);
    const all = await trpcRefusal(inv.send({ audience: 'all', ...text }));
    expect([all.code, all.cause]).toMatchObject(['FORBIDDEN', { key: 'messages.allForbidden' }]);
    expect(fx.db.select().from(messages).all()).toEqual([]);
    expect(auditRows(fx.db)).toEqual([]);
  });

  it('scoped by exam: the chief of tomorrow’s exam cannot address a candidate sitting today in a room they do not hold, though the candidate also sits tomorrow', async () => {
    const w = await world();
    // c1 sits exam 2 today (room C); tomorrow they also sit exam 1 in room A, whose chief is w.chief.
    registerCandidate({ db: fx.db, examId: w.exam1.id, roomId: w.roomA.id, candidateId: w.c1.id, seat: 9 });
    const chief = as(w.chief);
    const today = await trpcRefusal(chief.send({ audience: 'candidate', roomId: w.roomC.id, candidateId: w.c1.id, ...text }));
    expect([today.code, today.cause]).toMatchObject(['FORBIDDEN', { key: 'room.notAssigned' }]);
    const unnamed = await trpcRefusal(chief.send({ audience: 'candidate', candidateId: w.c1.id, ...text }));
    expect([unnamed.code, unnamed.cause]).toMatchObject(['BAD_REQUEST', { key: 'messages.roomRequired' }]);
    expect(fx.db.select().from(messages).all()).toEqual([]);
    // Through the exam they hold, the message is that exam's.
    await chief.send({ audience: 'candidate', roomId: w.roomA.id, candidateId: w.c1.id, ...text });
    expect(fx.db.select().from(messages).get()).toMatchObject({ examId: w.exam1.id, roomId: w.roomA.id, candidateId: w.c1.id });
  });

  it('a chief invigilator sends to their whole exam and to any of its rooms, not to another exam', async () => {
    const w = await world();
    const chief = as(w.chief);
    expect((await chief.send({ audience: 'exam', examId: w.exam1.id, ...text })).recipients).toBe(3);
    expect((await chief.send({ audience: 'room', roomId: w.roomB.id, ...text })).recipients).toBe(1);
    const other = await trpcRefusal(chief.send({ audience: 'exam', examId: w.exam2.id, ...text }));
    expect(other.cause).toMatchObject({ key: 'messages.examForbidden' });
  });

  it('support sends to one candidate anywhere, and is refused rooms, exams and everyone', async () => {
    const w = await world();
    const support = as(w.support);
    expect((await support.send({ audience: 'candidate', candidateId: w.c1.id, ...text })).recipients).toBe(1);
    expect(fx.db.select().from(messages).get()).toMatchObject({ audience: 'candidate', candidateId: w.c1.id, roomId: null, examId: null });
    for (const refused of [support.send({ audience: 'room', roomId: w.roomA.id, ...text }), support.send({ audience: 'exam', examId: w.exam1.id, ...text })]) {
      expect((await trpcRefusal(refused)).cause).toMatchObject({ key: 'messages.supportCandidateOnly' });
    }
    expect((await trpcRefusal(support.send({ audience: 'all', ...text }))).cause).toMatchObject({ key: 'messages.allForbidden' });
  });

  it('a candidate or a visitor cannot send at all', async () => {
    const w = await world();
    expect((await trpcRefusal(as(w.a1).send({ audience: 'all', ...text }))).code).toBe('FORBIDDEN');
    expect((await trpcRefusal(as(null).send({ audience: 'all', ...text }))).code).toBe('UNAUTHORIZED');
  });
});

describe('messages.send: validation', () => {
  it('each audience names the id it is missing, in both languages', async () => {
    const w = await world();
    const admin = as(w.admin);
    for (const [audience, key] of [
      ['exam', 'messages.examRequired'],
      ['room', 'messages.roomRequired'],
      ['candidate', 'messages.candidateRequired'],
    ] as const) {
      const err = await trpcRefusal(admin.send({ audience, ...text }));
      expect([err.code, err.cause]).toMatchObject(['BAD_REQUEST', { key }]);
    }
    const zh = await httpCall({ ctx: makeContext(fx.db, w.admin), path: 'messages.send', input: { audience: 'exam', ...text } });
    expect(zh.status).toBe(400);
    expect(zh.body.error.json.message).toBe('发送给“某场考试”时，请选择考试。');
    const en = await httpCall({ ctx: withLocale(makeContext(fx.db, w.admin), 'en'), path: 'messages.send', input: { audience: 'room', ...text } });
    expect(en.body.error.json.message).toBe('To send to one room, choose the room.');
  });

  it('unknown exams, rooms and candidates are NOT_FOUND with their own message; a staff id is not a candidate', async () => {
    const w = await world();
    const admin = as(w.admin);
    expect((await trpcRefusal(admin.send({ audience: 'exam', examId: 99_999, ...text }))).cause).toMatchObject({ key: 'messages.examNotFound' });
    expect((await trpcRefusal(admin.send({ audience: 'room', roomId: 99_999, ...text }))).cause).toMatchObject({ key: 'room.notFound' });
    expect((await trpcRefusal(admin.send({ audience: 'candidate', candidateId: w.support.id, ...text }))).cause).toMatchObject({
      key: 'messages.candidateNotFound',
    });
    const notThere = await trpcRefusal(admin.send({ audience: 'candidate', candidateId: w.c1.id, roomId: w.roomA.id, ...text }));
    expect(notThere.cause).toMatchObject({ key: 'invigilate.candidateNotInRoom' });
  });

  it('an empty or too long title or body is refused field by field, after trimming', async () => {
    const w = await world();
    const res = await httpCall({
      ctx: withLocale(makeContext(fx.db, w.admin), 'en'),
      path: 'messages.send',
      input: { audience: 'all', title: '   ', body: 'x'.repeat(5001) },
    });
    expect(res.status).toBe(400);
    expect(res.body.error.json.data.fieldErrors).toEqual({ title: 'Required', body: 'Too long, at most 5,000 characters' });
    const long = await trpcRefusal(as(w.admin).send({ audience: 'all', title: 't'.repeat(101), body: 'ok' }));
    expect(long.code).toBe('BAD_REQUEST');
    expect(fx.db.select().from(messages).all()).toEqual([]);
  });

  it('stores the trimmed text and writes one audit row with the recipients, in the same transaction', async () => {
    const w = await world();
    const { messageId } = await as(w.invigilatorA).send({ audience: 'room', roomId: w.roomA.id, title: '  标题  ', body: '  正文  ', mustAcknowledge: true });
    expect(fx.db.select().from(messages).get()).toMatchObject({ id: messageId, title: '标题', body: '正文', priority: 'normal', mustAcknowledge: true });
    expect(auditRows(fx.db)).toMatchObject([
      {
        actorId: w.invigilatorA.id,
        action: 'message.sent',
        roomId: w.roomA.id,
        candidateId: null,
        detail: { messageId, audience: 'room', recipients: 2, mustAcknowledge: true },
      },
    ]);
  });
});

describe('messages.sent and messages.onStats', () => {
  it('staff see their own messages with counts; an admin sees everyone’s', async () => {
    const w = await world();
    const mine = await as(w.invigilatorA).send({ audience: 'room', roomId: w.roomA.id, ...text, mustAcknowledge: true });
    const theirs = await as(w.invigilatorB).send({ audience: 'room', roomId: w.roomB.id, ...text });
    markRead({ db: fx.db, candidateId: w.a1.id, messageId: mine.messageId });
    acknowledge({ db: fx.db, candidateId: w.a2.id, messageId: mine.messageId });

    const listA = await as(w.invigilatorA).sent();
    expect(listA.map((m) => m.id)).toEqual([mine.messageId]);
    expect(listA[0]).toMatchObject({
      audience: 'room',
      targetName: expect.stringContaining(w.roomA.name),
      stats: { recipients: 2, delivered: 2, read: 2, acknowledged: 1 },
    });
    expect((await as(w.admin).sent()).map((m) => m.id)).toEqual([theirs.messageId, mine.messageId]);
    expect(await as(w.support).sent()).toEqual([]);
  });

  it('the sender follows live counts as candidates read and acknowledge; others are refused', async () => {
    const w = await world();
    const { messageId } = await as(w.invigilatorA).send({ audience: 'room', roomId: w.roomA.id, ...text, mustAcknowledge: true });

    const sub = await statsOf(w.invigilatorA, messageId);
    expect(await sub.next()).toEqual({ messageId, recipients: 2, delivered: 0, read: 0, acknowledged: 0 });
    await as(w.a1).acknowledge({ messageId });
    expect(await sub.next()).toEqual({ messageId, recipients: 2, delivered: 1, read: 1, acknowledged: 1 });

    expect((await statsOf(w.invigilatorB, messageId)).refused).toEqual([expect.objectContaining({ code: 'FORBIDDEN', key: 'messages.notSender' })]);
    expect((await statsOf(w.a1, messageId)).refused).toEqual([expect.objectContaining({ code: 'FORBIDDEN', key: 'auth.wrongRole' })]);
    expect((await statsOf(w.admin, messageId + 100)).refused).toEqual([expect.objectContaining({ code: 'NOT_FOUND', key: 'messages.notFound' })]);
    const admin = await statsOf(w.admin, messageId);
    expect((await admin.next()).acknowledged).toBe(1);
  });

  it('counts come from the receipts: read and acknowledged imply delivered', async () => {
    const w = await world();
    const { messageId } = await as(w.admin).send({ audience: 'exam', examId: w.exam1.id, ...text });
    acknowledge({ db: fx.db, candidateId: w.b1.id, messageId });
    expect(fx.db.select().from(messageReceipts).all()).toMatchObject([{ candidateId: w.b1.id, deliveredAt: expect.any(Date), readAt: expect.any(Date) }]);
    expect(sentMessages({ db: fx.db, caller: asStaff(w.admin) })[0]!.stats).toEqual({ messageId, recipients: 3, delivered: 1, read: 1, acknowledged: 1 });
  });
});

describe('compose helpers', () => {
  it('offer each role only what it may address', async () => {
    const w = await world();
    expect((await as(w.admin).composeOptions()).audiences).toEqual(['all', 'exam', 'room', 'candidate']);
    expect(await as(w.support).composeOptions()).toEqual({ audiences: ['candidate'], exams: [], rooms: [] });
    const inv = await as(w.invigilatorA).composeOptions();
    expect(inv).toMatchObject({ audiences: ['room', 'candidate'], exams: [], rooms: [{ id: w.roomA.id }] });
    const chief = await as(w.chief).composeOptions();
    expect(chief.audiences).toEqual(['exam', 'room', 'candidate']);
    expect(chief.rooms.map((r) => r.id).sort()).toEqual([w.roomA.id, w.roomB.id].sort());
  });

  it('find candidates within the invigilator’s rooms only; support and admins search everyone', async () => {
    const w = await world();
    expect((await as(w.invigilatorA).findCandidates({ roomId: w.roomA.id })).map((c) => c.id)).toEqual([w.a1.id, w.a2.id]);
    expect((await trpcRefusal(as(w.invigilatorA).findCandidates({ roomId: w.roomB.id }))).cause).toMatchObject({ key: 'room.notAssigned' });
    expect(await as(w.invigilatorA).findCandidates({ search: w.b1.name })).toEqual([]);
    const found = await as(w.support).findCandidates({ search: w.b1.name });
    expect(found).toEqual([{ id: w.b1.id, name: w.b1.name, roomId: null, seat: null, idNumberMasked: expect.stringMatching(/^\d{4}\*+\w{4}$/) }]);
    expect(await as(w.support).findCandidates({ search: '%' })).toEqual([]);
  });
});
