import { describe, expect, it } from 'vitest';
import { messages, type User } from '@/db/schema';
import { getBus } from '@/server/events/bus';
import { registerCandidate } from '@/server/services/setup';
import { makeRoomScenario, makeSittingScenario } from '../fixtures/factories';
import { follow, openLive, sessionTokenFor } from '../helpers/live';
import { useTestDb } from '../helpers/unit-db';
import { auditRows, callerFor, makeContext, registrationRow, timelineOf, trpcRefusal } from '../helpers/unit-support';

const fx = useTestDb();

const MIN = 60_000;

/** A candidate's exam page following staff commands on its live connection (after `after`, when it resumes). */
async function commandsOf(user: User, examId: number, after?: number) {
  const topic = `commands:${examId}` as const;
  const live = await follow(fx.db, user, [topic], { cursors: after != null ? [[topic, after]] : [], signal: fx.stop.signal });
  expect(live.opened).toEqual([topic]);
  return {
    next: () => live.next(topic),
    /** For "nothing more" checks: undefined when nothing came within `ms`. */
    nextWithin: (ms: number) => live.within(ms, topic),
    close: live.close,
  };
}

describe('messages from the invigilator', () => {
  it('an invigilator’s message to one candidate reaches that candidate’s exam page live, and no one else’s', async () => {
    const { exam, room, invigilator, candidates } = await makeSittingScenario(fx.db, { candidates: 2 });
    const [to, other] = candidates;
    const page = await commandsOf(to!, exam.id);
    const otherPage = await commandsOf(other!, exam.id);

    const { messageId } = await callerFor(makeContext(fx.db, invigilator)).invigilate.sendMessage({
      roomId: room.id,
      candidateId: to!.id,
      text: '请将摄像头对准正脸，保持面部在画面中。',
    });

    const got = await page.next();
    expect(got.data).toEqual({ type: 'message', messageId, text: '请将摄像头对准正脸，保持面部在画面中。', at: expect.any(Date) });
    const [event] = timelineOf(fx.db, to!.id, 'staff_message');
    expect(got.id).toBe(event!.id);
    expect(event!.payload).toEqual({ messageId, audience: 'candidate' });
    expect(await otherPage.nextWithin(100)).toBeUndefined();
    expect(timelineOf(fx.db, other!.id, 'staff_message')).toEqual([]);

    expect(fx.db.select().from(messages).all()).toEqual([
      expect.objectContaining({
        id: messageId,
        audience: 'candidate',
        examId: exam.id,
        roomId: room.id,
        candidateId: to!.id,
        title: '请将摄像头对准正脸，保持面部在画面中。',
        priority: 'urgent',
        mustAcknowledge: true,
        sentBy: invigilator.id,
      }),
    ]);
    expect(auditRows(fx.db)).toEqual([
      expect.objectContaining({
        actorId: invigilator.id,
        action: 'message.sent',
        roomId: room.id,
        candidateId: to!.id,
        detail: expect.objectContaining({ messageId }),
      }),
    ]);
    // The message centre shows it too, waiting for the acknowledgement.
    expect(await callerFor(makeContext(fx.db, to!)).messages.list()).toEqual([
      expect.objectContaining({ id: messageId, mustAcknowledge: true, acknowledgedAt: null }),
    ]);
  });

  it('an invigilator’s message to the room reaches every candidate of the room, one event each, and no candidate of another room', async () => {
    const { exam, room, invigilator, candidates } = await makeSittingScenario(fx.db, { candidates: 3 });
    const elsewhere = await makeSittingScenario(fx.db);
    const pages = await Promise.all(candidates.map((c) => commandsOf(c, exam.id)));
    const outsider = await commandsOf(elsewhere.candidates[0]!, elsewhere.exam.id);

    const { messageId } = await callerFor(makeContext(fx.db, invigilator)).invigilate.sendMessage({ roomId: room.id, text: '距离考试结束还有 15 分钟。' });

    for (const page of pages) expect((await page.next()).data).toMatchObject({ type: 'message', messageId, text: '距离考试结束还有 15 分钟。' });
    for (const c of candidates) expect(timelineOf(fx.db, c.id, 'staff_message').map((e) => e.payload)).toEqual([{ messageId, audience: 'room' }]);
    expect(await outsider.nextWithin(100)).toBeUndefined();
    expect(fx.db.select().from(messages).all()).toEqual([expect.objectContaining({ audience: 'room', roomId: room.id, candidateId: null })]);
    expect(auditRows(fx.db)).toEqual([expect.objectContaining({ action: 'message.sent', roomId: room.id, candidateId: null })]);
  });

  it('a long message gets its first line, shortened, as its title in the message centre', async () => {
    const { room, invigilator, candidates } = await makeSittingScenario(fx.db);
    const text = `${'请注意'.repeat(20)}\n第二行`;
    await callerFor(makeContext(fx.db, invigilator)).invigilate.sendMessage({ roomId: room.id, candidateId: candidates[0]!.id, text });
    const [m] = fx.db.select().from(messages).all();
    expect(m!.body).toBe(text);
    expect(m!.title).toHaveLength(40);
    expect(m!.title.endsWith('…')).toBe(true);
  });

  it('a message needs 1 to 1000 characters and a candidate of the room', async () => {
    const { room, invigilator } = await makeSittingScenario(fx.db);
    const other = await makeRoomScenario(fx.db);
    const caller = callerFor(makeContext(fx.db, invigilator));

    expect((await trpcRefusal(caller.invigilate.sendMessage({ roomId: room.id, text: '  ' }))).code).toBe('BAD_REQUEST');
    expect((await trpcRefusal(caller.invigilate.sendMessage({ roomId: room.id, text: '字'.repeat(1001) }))).code).toBe('BAD_REQUEST');
    const err = await trpcRefusal(caller.invigilate.sendMessage({ roomId: room.id, candidateId: other.candidates[0]!.id, text: '你好' }));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.cause).toMatchObject({ key: 'invigilate.candidateNotInRoom' });
    expect(fx.db.select().from(messages).all()).toEqual([]);
    expect(auditRows(fx.db)).toEqual([]);
  });
});

describe('resuming the command stream', () => {
  it('a candidate’s page reconnecting with the last event id gets exactly the commands it missed, once, then live ones', async () => {
    const { exam, room, invigilator, candidates } = await makeSittingScenario(fx.db);
    const cand = candidates[0]!;
    const staff = callerFor(makeContext(fx.db, invigilator)).invigilate;
    const send = (text: string) => staff.sendMessage({ roomId: room.id, candidateId: cand.id, text });

    const first = await commandsOf(cand, exam.id);
    const m1 = await send('第一条');
    const seen = await first.next();
    expect(seen.data).toMatchObject({ messageId: m1.messageId });
    await first.close();

    // Offline: staff send a message and add time meanwhile.
    const m2 = await send('第二条');
    await staff.addTime({ roomId: room.id, candidateId: cand.id, minutes: 10, reason: '网络中断' });
    const m3 = await send('第三条');

    const again = await commandsOf(cand, exam.id, seen.id);
    const missed = [await again.next(), await again.next(), await again.next()];
    expect(missed.map((c) => c.data.type)).toEqual(['message', 'extra_time', 'message']);
    expect(missed.map((c) => (c.data.type === 'message' ? c.data.messageId : c.data.type))).toEqual([m2.messageId, 'extra_time', m3.messageId]);
    expect(missed.map((c) => c.id)).toEqual(
      timelineOf(fx.db, cand.id)
        .filter((e) => e.id > seen.id! && ['staff_message', 'extra_time'].includes(e.type))
        .map((e) => e.id),
    );

    // An event seen in the backfill that also reaches the bus is not yielded twice.
    const replay = timelineOf(fx.db, cand.id, 'staff_message').at(-1)!;
    getBus().emit(`candidate:${cand.id}`, replay);
    const m4 = await send('第四条');
    expect((await again.next()).data).toMatchObject({ messageId: m4.messageId });
    expect(await again.nextWithin(100)).toBeUndefined();
  });

  it('a candidate’s page opened afresh gets the messages not yet acknowledged, not the acknowledged ones', async () => {
    const { exam, room, invigilator, candidates } = await makeSittingScenario(fx.db);
    const cand = candidates[0]!;
    const staff = callerFor(makeContext(fx.db, invigilator)).invigilate;
    const acked = await staff.sendMessage({ roomId: room.id, candidateId: cand.id, text: '已读消息' });
    const pending = await staff.sendMessage({ roomId: room.id, text: '未确认的全场消息' });
    await callerFor(makeContext(fx.db, cand)).messages.acknowledge({ messageId: acked.messageId });

    const page = await commandsOf(cand, exam.id);

    expect((await page.next()).data).toMatchObject({ type: 'message', messageId: pending.messageId, text: '未确认的全场消息' });
    expect(await page.nextWithin(100)).toBeUndefined();
  });

  it('commands of another exam the candidate sits do not reach this exam’s page', async () => {
    const a = await makeSittingScenario(fx.db);
    const cand = a.candidates[0]!;
    const b = await makeRoomScenario(fx.db);
    registerCandidate({ db: fx.db, examId: b.exam.id, roomId: b.room.id, candidateId: cand.id, seat: 9 });
    const page = await commandsOf(cand, a.exam.id);

    await callerFor(makeContext(fx.db, b.invigilator)).invigilate.sendMessage({ roomId: b.room.id, candidateId: cand.id, text: '另一场考试的消息' });
    const own = await callerFor(makeContext(fx.db, a.invigilator)).invigilate.sendMessage({ roomId: a.room.id, candidateId: cand.id, text: '本场消息' });

    expect((await page.next()).data).toMatchObject({ messageId: own.messageId });
  });

  it('over SSE, a browser reconnecting with Last-Event-ID gets the missed commands with their ids', async () => {
    const { exam, room, invigilator, candidates } = await makeSittingScenario(fx.db);
    const cand = candidates[0]!;
    const staff = callerFor(makeContext(fx.db, invigilator)).invigilate;
    await staff.sendMessage({ roomId: room.id, candidateId: cand.id, text: '一' });
    const [first] = timelineOf(fx.db, cand.id, 'staff_message');
    await staff.addTime({ roomId: room.id, candidateId: cand.id, minutes: 5, reason: '补时' });

    // The cursor travels in Last-Event-ID as `topic=id`, as the browser's live connection sends it.
    const topic = `commands:${exam.id}` as const;
    const live = await openLive({ db: fx.db, token: sessionTokenFor(fx.db, cand), topics: [topic], cursors: [[topic, first!.id]], signal: fx.stop.signal });
    if (live.json) throw new Error(`refused: ${live.json.error}`);
    expect(live.res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const [extra] = timelineOf(fx.db, cand.id, 'extra_time');

    expect((await live.next('open')).data).toEqual({ topics: [topic] });
    const got = await live.next(topic);
    expect(got.id).toBe(extra!.id);
    expect(got.data).toMatchObject({ type: 'extra_time', minutes: 5 });
    expect(await live.within(100, topic)).toBeUndefined();
  });
});

describe('acknowledgements', () => {
  it('a candidate acknowledging a message shows up live in the room, and the tile’s pending count drops; a second acknowledgement adds nothing', async () => {
    const { exam, room, invigilator, candidates } = await makeSittingScenario(fx.db);
    const cand = candidates[0]!;
    const staff = callerFor(makeContext(fx.db, invigilator));
    const { messageId } = await staff.invigilate.sendMessage({ roomId: room.id, candidateId: cand.id, text: '请保持屏幕共享开启。' });
    const state = await staff.invigilate.roomState({ roomId: room.id });
    expect(state.tiles[0]!.pendingAcks).toBe(1);
    const topic = `room:${room.id}` as const;
    const grid = await follow(fx.db, invigilator, [topic], { cursors: [[topic, state.lastEventId]], signal: fx.stop.signal });
    const sub = { next: () => grid.next(topic), nextWithin: (ms: number) => grid.within(ms, topic) };

    await callerFor(makeContext(fx.db, cand)).messages.acknowledge({ messageId });
    await callerFor(makeContext(fx.db, cand)).messages.acknowledge({ messageId });

    const ack = await sub.next();
    expect(ack.data.event).toMatchObject({ type: 'message_acknowledged', candidateId: cand.id, roomId: room.id, payload: { messageId } });
    expect(ack.data.tile!.pendingAcks).toBe(0);
    expect(await sub.nextWithin(100)).toBeUndefined();
    expect(timelineOf(fx.db, cand.id, 'message_acknowledged')).toHaveLength(1);
    // Acknowledging is not an incident: the exam goes on.
    expect((await callerFor(makeContext(fx.db, cand)).exam.session({ examId: exam.id })).phase).toBe('in_progress');
  });

  it('a room-wide message is pending for each candidate until each acknowledges it', async () => {
    const { room, invigilator, candidates } = await makeSittingScenario(fx.db, { candidates: 2 });
    const staff = callerFor(makeContext(fx.db, invigilator));
    const { messageId } = await staff.invigilate.sendMessage({ roomId: room.id, text: '全场提醒' });
    await callerFor(makeContext(fx.db, candidates[1]!)).messages.acknowledge({ messageId });

    const { tiles } = await staff.invigilate.roomState({ roomId: room.id });

    expect(tiles.map((t) => [t.candidateId, t.pendingAcks])).toEqual([
      [candidates[0]!.id, 1],
      [candidates[1]!.id, 0],
    ]);
  });
});

describe('extra time', () => {
  it('an invigilator adding 10 then 5 minutes moves the candidate’s end in exam.session and in the command, audited each time', async () => {
    const { exam, room, invigilator, candidates } = await makeSittingScenario(fx.db);
    const cand = candidates[0]!;
    const before = (await callerFor(makeContext(fx.db, cand)).exam.session({ examId: exam.id })).exam.endsAt;
    const page = await commandsOf(cand, exam.id);
    const staff = callerFor(makeContext(fx.db, invigilator)).invigilate;

    const r1 = await staff.addTime({ roomId: room.id, candidateId: cand.id, minutes: 10, reason: '摄像头故障' });
    const r2 = await staff.addTime({ roomId: room.id, candidateId: cand.id, minutes: 5, reason: '网络中断' });

    expect(r1).toEqual({ endsAt: new Date(before.getTime() + 10 * MIN), extraMinutes: 10 });
    expect(r2).toEqual({ endsAt: new Date(before.getTime() + 15 * MIN), extraMinutes: 15 });
    expect((await page.next()).data).toEqual({ type: 'extra_time', endsAt: r1.endsAt, minutes: 10 });
    expect((await page.next()).data).toEqual({ type: 'extra_time', endsAt: r2.endsAt, minutes: 5 });
    const session = await callerFor(makeContext(fx.db, cand)).exam.session({ examId: exam.id });
    expect(session.exam.endsAt).toEqual(r2.endsAt);
    expect(session.registration.extraMinutes).toBe(15);
    expect(auditRows(fx.db).map((a) => [a.action, a.candidateId, a.detail.minutes, a.detail.reason])).toEqual([
      ['time.added', cand.id, 10, '摄像头故障'],
      ['time.added', cand.id, 5, '网络中断'],
    ]);
    const tile = (await staff.roomState({ roomId: room.id })).tiles[0]!;
    expect(tile).toMatchObject({ endsAt: r2.endsAt, extraMinutes: 15, phase: 'in_progress' });
  });

  it('extra time is 1 to 120 minutes with a reason; a finished exam gets none, and nothing is audited', async () => {
    const { exam, room, invigilator, candidates } = await makeSittingScenario(fx.db);
    const cand = candidates[0]!;
    const staff = callerFor(makeContext(fx.db, invigilator)).invigilate;
    for (const input of [
      { minutes: 0, reason: '原因' },
      { minutes: 121, reason: '原因' },
      { minutes: 1.5, reason: '原因' },
      { minutes: 5, reason: '' },
    ]) {
      expect((await trpcRefusal(staff.addTime({ roomId: room.id, candidateId: cand.id, ...input }))).code).toBe('BAD_REQUEST');
    }
    await callerFor(makeContext(fx.db, cand)).exam.finish({ examId: exam.id, reason: 'submitted' });
    const err = await trpcRefusal(staff.addTime({ roomId: room.id, candidateId: cand.id, minutes: 5, reason: '补时' }));
    expect(err.cause).toMatchObject({ key: 'exam.alreadyFinished' });
    expect(registrationRow(fx.db, cand.id, exam.id).extraMinutes).toBe(0);
    expect(auditRows(fx.db)).toEqual([]);
  });
});

describe('ending a candidate’s exam', () => {
  it('an invigilator ending a candidate’s exam finishes it with reason staff: the page is told, the session is finished, saves are refused', async () => {
    const { exam, room, invigilator, candidates } = await makeSittingScenario(fx.db, { candidates: 2 });
    const [cand, other] = candidates;
    const candidate = callerFor(makeContext(fx.db, cand!));
    await candidate.exam.saveAnswers({ examId: exam.id, answers: [{ questionId: 'q3', value: '写到一半', revision: 1 }] });
    const page = await commandsOf(cand!, exam.id);

    const res = await callerFor(makeContext(fx.db, invigilator)).invigilate.endExam({ roomId: room.id, candidateId: cand!.id, reason: '使用手机，经确认违纪' });

    expect(res).toMatchObject({ finishReason: 'staff' });
    expect((await page.next()).data).toEqual({ type: 'ended', reason: 'staff' });
    const session = await candidate.exam.session({ examId: exam.id });
    expect(session).toMatchObject({ phase: 'finished', registration: { finishReason: 'staff', finishedAt: res.finishedAt } });
    const save = await trpcRefusal(candidate.exam.saveAnswers({ examId: exam.id, answers: [{ questionId: 'q3', value: '继续写', revision: 2 }] }));
    expect(save.cause).toMatchObject({ key: 'exam.alreadyFinished' });
    expect((await trpcRefusal(candidate.exam.questions({ examId: exam.id }))).cause).toMatchObject({ key: 'exam.alreadyFinished' });
    // The candidate's own submit afterwards keeps the staff's finish.
    expect(await candidate.exam.finish({ examId: exam.id, reason: 'submitted' })).toMatchObject({ finishReason: 'staff', finishedAt: res.finishedAt });

    expect(timelineOf(fx.db, cand!.id, 'exam_ended_by_staff').map((e) => e.payload)).toEqual([{ reason: 'staff', note: '使用手机，经确认违纪' }]);
    expect(timelineOf(fx.db, cand!.id, 'exam_finished')).toEqual([]);
    expect(auditRows(fx.db)).toEqual([
      expect.objectContaining({
        actorId: invigilator.id,
        action: 'exam.ended',
        roomId: room.id,
        candidateId: cand!.id,
        detail: { reason: '使用手机，经确认违纪' },
      }),
    ]);
    expect(registrationRow(fx.db, other!.id, exam.id).finishedAt).toBeNull();
  });

  it('ending an exam that is already finished is refused with exam.alreadyFinished and audited nowhere', async () => {
    const { exam, room, invigilator, candidates } = await makeSittingScenario(fx.db);
    const cand = candidates[0]!;
    const staff = callerFor(makeContext(fx.db, invigilator)).invigilate;
    await staff.endExam({ roomId: room.id, candidateId: cand.id, reason: '第一次' });

    const err = await trpcRefusal(staff.endExam({ roomId: room.id, candidateId: cand.id, reason: '第二次' }));

    expect(err.code).toBe('PRECONDITION_FAILED');
    expect(err.cause).toMatchObject({ key: 'exam.alreadyFinished' });
    expect(auditRows(fx.db)).toHaveLength(1);
    expect(timelineOf(fx.db, cand.id, 'exam_ended_by_staff')).toHaveLength(1);
    expect(registrationRow(fx.db, cand.id, exam.id).finishReason).toBe('staff');
  });
});

describe('who may listen for commands', () => {
  it('a candidate not registered for the exam gets NOT_FOUND before the stream opens; staff get FORBIDDEN; anonymous UNAUTHORIZED', async () => {
    const { exam, invigilator } = await makeSittingScenario(fx.db);
    const stranger = (await makeRoomScenario(fx.db)).candidates[0]!;
    const topic = `commands:${exam.id}` as const;

    const notMine = await follow(fx.db, stranger, [topic], { signal: fx.stop.signal });
    expect(notMine.refused).toEqual([expect.objectContaining({ topic, code: 'NOT_FOUND', key: 'exam.notRegistered' })]);
    expect(notMine.opened).toEqual([]);
    const staff = await follow(fx.db, invigilator, [topic], { signal: fx.stop.signal });
    expect(staff.refused).toEqual([expect.objectContaining({ topic, code: 'FORBIDDEN', key: 'auth.wrongRole' })]);
    expect(staff.opened).toEqual([]);
    const anonymous = await openLive({ db: fx.db, token: null, topics: [topic], signal: fx.stop.signal });
    expect(anonymous.res.status).toBe(401);
    expect(anonymous.json).toMatchObject({ error: 'auth.required' });
  });
});
