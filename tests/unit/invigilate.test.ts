import { candidateIdentity } from '@/server/livekit/tokens';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { chiefInvigilators, exams, lastViewed, presetMessages, users } from '@/db/schema';
import { DEMO_EXAM_TITLE, DEMO_INTERVIEW_TITLE, DEMO_PRESETS, seedDemo } from '@/db/seed';
import { getBus } from '@/server/events/bus';
import { handleLivekitWebhook } from '@/server/livekit/webhook';
import { recordSystemCheck } from '@/server/services/candidates';
import { enterExam, finishExam, reportIntegrity } from '@/server/services/exams';
import { addTime, chiefOverview, createFlag, endExam, markViewed, resolveFlag, roomState, sendMessage } from '@/server/services/invigilate';
import { acknowledge } from '@/server/services/messages';
import { assignInvigilator, createRoom, registerCandidate } from '@/server/services/setup';
import { makeCandidate, makeChief, makeRoomScenario, makeSittingScenario, makeStaff } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import {
  auditRows,
  callerFor,
  makeContext,
  registrationRow,
  signWebhook,
  trpcRefusal,
  webhookBody,
  type WebhookBodyOpts,
  asStaff,
} from '../helpers/unit-support';

const fx = useTestDb();

const MIN = 60_000;
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);

async function deliver(o: WebhookBodyOpts) {
  const rawBody = webhookBody(o);
  const res = await handleLivekitWebhook({ db: fx.db, bus: getBus(), rawBody, authorization: await signWebhook(rawBody) });
  expect(res.stored).toBeDefined();
  return res.stored!;
}

describe('the grid’s snapshot', () => {
  it('an invigilator sees each candidate’s lot, phase, end, clock offset, open flags, last view and pending messages', async () => {
    const { exam, room, invigilator, candidates } = await makeRoomScenario(fx.db, {
      candidates: 4,
      exam: { kind: 'interview', opensIn: -10, closesIn: 60, startsIn: 30, durationMinutes: 20 },
    });
    const [c1, c2, c3, c4] = candidates as [(typeof candidates)[0], (typeof candidates)[0], (typeof candidates)[0], (typeof candidates)[0]];
    for (const c of [c1, c2, c3]) await enterExam({ db: fx.db, candidateId: c.id, examId: exam.id });
    finishExam({ db: fx.db, candidateId: c3.id, examId: exam.id, reason: 'ended' });
    recordSystemCheck({
      db: fx.db,
      candidateId: c1.id,
      clockOffsetMs: 900,
      roundTripMs: 40,
      appVersion: '1',
      displays: 'single',
      mediaSupported: true,
      userAgent: 'x',
    });
    recordSystemCheck({
      db: fx.db,
      candidateId: c1.id,
      clockOffsetMs: -250,
      roundTripMs: 40,
      appVersion: '1',
      displays: 'single',
      mediaSupported: true,
      userAgent: 'x',
    });
    reportIntegrity({ db: fx.db, candidateId: c2.id, examId: exam.id, signal: 'page_hidden', at: new Date() });
    const second = await makeStaff(fx.db, 'invigilator');
    assignInvigilator({ db: fx.db, roomId: room.id, userId: second.id });
    const t1 = new Date(Date.now() - 5 * MIN);
    const t2 = new Date(Date.now() - 2 * MIN);
    markViewed({ db: fx.db, caller: asStaff(second), roomId: room.id, candidateIds: [c1.id], now: t2 });
    markViewed({ db: fx.db, caller: asStaff(invigilator), roomId: room.id, candidateIds: [c1.id, c2.id], now: t1 });
    sendMessage({ db: fx.db, caller: asStaff(invigilator), roomId: room.id, candidateId: c1.id, text: '请坐正' });
    addTime({ db: fx.db, caller: asStaff(invigilator), roomId: room.id, candidateId: c2.id, minutes: 10, reason: '设备故障' });

    const state = await callerFor(makeContext(fx.db, invigilator)).invigilate.roomState({ roomId: room.id });

    const end = plus(exam.startsAt, 20 * MIN);
    const flagId = state.tiles[1]!.openFlags[0]?.id;
    expect(state.room).toEqual({ id: room.id, name: room.name });
    expect(state.exam).toMatchObject({ id: exam.id, kind: 'interview' });
    expect(state.tiles).toEqual([
      expect.objectContaining({
        candidateId: c1.id,
        seat: 1,
        lotNumber: 1,
        phase: 'waiting',
        endsAt: end,
        extraMinutes: 0,
        finishReason: null,
        clockOffsetMs: -250,
        openFlags: [],
        lastViewedAt: t2,
        pendingAcks: 1,
      }),
      expect.objectContaining({
        candidateId: c2.id,
        seat: 2,
        lotNumber: 2,
        phase: 'waiting',
        endsAt: plus(end, 10 * MIN),
        extraMinutes: 10,
        clockOffsetMs: null,
        openFlags: [{ id: flagId, type: 'tab_hidden' }],
        lastViewedAt: t1,
        pendingAcks: 0,
      }),
      expect.objectContaining({ candidateId: c3.id, phase: 'finished', finishReason: 'ended', openFlags: [], lastViewedAt: null }),
      expect.objectContaining({ candidateId: c4.id, phase: 'before_entry', finishReason: null, pc: { status: 'not_joined', tracks: [], since: null } }),
    ]);
    expect(state.flagCounts.tab_hidden).toEqual({ open: 1, confirmed: 0, dismissed: 0 });
    expect(state.lastEventId).toBeGreaterThan(0);
  });

  it('a candidate is in progress after the start, and shown as timed out once the end and grace have passed, without a write', async () => {
    const { exam, room, invigilator, candidates } = await makeRoomScenario(fx.db, { exam: { startsIn: 30, durationMinutes: 60 } });
    const cand = candidates[0]!;
    await enterExam({ db: fx.db, candidateId: cand.id, examId: exam.id });
    const staff = { db: fx.db, caller: asStaff(invigilator), roomId: room.id };

    expect(roomState({ ...staff, now: plus(exam.startsAt, MIN) }).tiles[0]).toMatchObject({ phase: 'in_progress', finishReason: null });
    expect(roomState({ ...staff, now: plus(exam.startsAt, 63 * MIN) }).tiles[0]).toMatchObject({ phase: 'finished', finishReason: 'timeout' });
    expect(registrationRow(fx.db, cand.id, exam.id).finishedAt).toBeNull();
  });

  it('room.byId returns the same tiles as invigilate.roomState, for grids still on the old call', async () => {
    const { room, invigilator } = await makeSittingScenario(fx.db, { candidates: 2 });
    const caller = callerFor(makeContext(fx.db, invigilator));
    const [a, b] = await Promise.all([caller.room.byId({ roomId: room.id }), caller.invigilate.roomState({ roomId: room.id })]);
    expect(a.tiles).toEqual(b.tiles);
    expect(a.lastEventId).toBe(b.lastEventId);
  });
});

describe('a candidate’s timeline', () => {
  it('an invigilator sees events, flags, messages and actions merged, newest first, each once', async () => {
    const { exam, room, invigilator, candidates } = await makeSittingScenario(fx.db);
    const cand = candidates[0]!;
    const staff = { db: fx.db, caller: asStaff(invigilator), roomId: room.id, candidateId: cand.id };
    const F = plus(new Date(), 10 * MIN);
    await deliver({
      event: 'participant_joined',
      room: room.livekitRoom,
      identity: candidateIdentity(cand.id, 'pc'),
      createdAt: Math.floor(F.getTime() / 1000) - 60,
    });
    await deliver({
      event: 'track_published',
      room: room.livekitRoom,
      identity: candidateIdentity(cand.id, 'pc'),
      track: { source: 'SCREEN_SHARE' },
      createdAt: Math.floor(F.getTime() / 1000) - 50,
    });
    reportIntegrity({ db: fx.db, candidateId: cand.id, examId: exam.id, signal: 'page_hidden', at: plus(F, 30_000), detail: 'alt-tab', now: plus(F, 30_000) });
    const { messageId } = sendMessage({ ...staff, text: '请回到考试页面', now: plus(F, MIN) });
    const { flagId } = createFlag({ ...staff, note: '疑似查看手机', now: plus(F, 2 * MIN) });
    addTime({ ...staff, minutes: 5, reason: '网络中断', now: plus(F, 3 * MIN) });
    acknowledge({ db: fx.db, candidateId: cand.id, messageId, now: plus(F, 4 * MIN) });
    resolveFlag({ ...staff, flagId, resolution: 'dismissed', note: '误报', now: plus(F, 5 * MIN) });
    endExam({ ...staff, reason: '提前离场', now: plus(F, 6 * MIN) });

    const items = await callerFor(makeContext(fx.db, invigilator)).invigilate.timeline({ roomId: room.id, candidateId: cand.id });

    const autoFlag = items.find((i) => i.kind === 'flag' && i.flagType === 'tab_hidden')!;
    expect(items.map((i) => [i.kind, i.type])).toEqual([
      ['action', 'exam.ended'],
      ['flag', 'dismissed'],
      ['message', 'acknowledged'],
      ['action', 'time.added'],
      ['flag', 'raised'],
      ['message', 'sent'],
      ['event', 'integrity.page_hidden'],
      ['event', 'track_published'],
      ['event', 'participant_joined'],
      // Raised when the report arrived (now), before the times above that were set in the future.
      ['flag', 'raised'],
      ['event', 'exam_entered'],
    ]);
    expect(autoFlag).toMatchObject({ type: 'raised', flagType: 'tab_hidden' });
    expect(items[0]).toMatchObject({ text: '提前离场', by: invigilator.name, at: plus(F, 6 * MIN) });
    expect(items[1]).toMatchObject({ flagId, flagType: 'manual', text: '误报', by: invigilator.name });
    expect(items[2]).toMatchObject({ messageId, at: plus(F, 4 * MIN) });
    expect(items[3]).toMatchObject({ text: '网络中断', detail: expect.objectContaining({ minutes: 5 }) });
    expect(items[4]).toMatchObject({ flagId, text: '疑似查看手机', by: invigilator.name });
    expect(items[5]).toMatchObject({ messageId, text: '请回到考试页面', by: invigilator.name });
    expect(items[6]).toMatchObject({ text: 'alt-tab', device: 'pc' });
    expect(items[7]).toMatchObject({ source: 'screen_share', device: 'pc' });
    expect(new Set(items.map((i) => i.id)).size).toBe(items.length);

    const latest = await callerFor(makeContext(fx.db, invigilator)).invigilate.timeline({ roomId: room.id, candidateId: cand.id, limit: 3 });
    expect(latest).toEqual(items.slice(0, 3));
  });

  it('a candidate’s timeline shows only this room: the same candidate’s events in another exam stay out', async () => {
    const a = await makeSittingScenario(fx.db);
    const cand = a.candidates[0]!;
    const b = await makeSittingScenario(fx.db);
    registerCandidate({ db: fx.db, examId: b.exam.id, roomId: b.room.id, candidateId: cand.id, seat: 5 });
    sendMessage({ db: fx.db, caller: asStaff(b.invigilator), roomId: b.room.id, candidateId: cand.id, text: 'B 的消息' });

    const items = await callerFor(makeContext(fx.db, a.invigilator)).invigilate.timeline({ roomId: a.room.id, candidateId: cand.id });

    expect(items.map((i) => i.type)).toEqual(['exam_entered']);
  });
});

describe('patrol', () => {
  it('an invigilator marking candidates viewed keeps one row per candidate for them, updated each time', async () => {
    const { room, invigilator, candidates } = await makeSittingScenario(fx.db, { candidates: 3 });
    const caller = callerFor(makeContext(fx.db, invigilator));
    const ids = candidates.map((c) => c.id);

    const first = await caller.invigilate.markViewed({ roomId: room.id, candidateIds: ids });
    const second = await caller.invigilate.markViewed({ roomId: room.id, candidateIds: [ids[0]!, ids[0]!] });

    const rows = fx.db.select().from(lastViewed).all();
    expect(rows).toHaveLength(3);
    expect(rows.find((r) => r.candidateId === ids[0])!.viewedAt).toEqual(second.viewedAt);
    expect(rows.find((r) => r.candidateId === ids[1])!.viewedAt).toEqual(first.viewedAt);
    expect(auditRows(fx.db)).toEqual([]);
  });

  it('marking more than 40 candidates, none, or one outside the room is refused and nothing is written', async () => {
    const { room, invigilator } = await makeSittingScenario(fx.db);
    const outsider = (await makeRoomScenario(fx.db)).candidates[0]!;
    const caller = callerFor(makeContext(fx.db, invigilator));
    expect((await trpcRefusal(caller.invigilate.markViewed({ roomId: room.id, candidateIds: Array.from({ length: 41 }, (_, i) => i + 1) }))).code).toBe(
      'BAD_REQUEST',
    );
    expect((await trpcRefusal(caller.invigilate.markViewed({ roomId: room.id, candidateIds: [] }))).code).toBe('BAD_REQUEST');
    const err = await trpcRefusal(caller.invigilate.markViewed({ roomId: room.id, candidateIds: [outsider.id] }));
    expect(err.cause).toMatchObject({ key: 'invigilate.candidateNotInRoom' });
    expect(fx.db.select().from(lastViewed).all()).toEqual([]);
  });
});

describe('preset messages', () => {
  it('an invigilator adds, lists and removes the exam’s presets, each change audited', async () => {
    const { exam, invigilator } = await makeSittingScenario(fx.db);
    const caller = callerFor(makeContext(fx.db, invigilator));

    const a = await caller.invigilate.addPreset({ examId: exam.id, text: '  请保持安静。 ' });
    const b = await caller.invigilate.addPreset({ examId: exam.id, text: '请勿离开座位。' });
    expect((await caller.invigilate.presets({ examId: exam.id })).map((p) => [p.id, p.text])).toEqual([
      [a.id, '请保持安静。'],
      [b.id, '请勿离开座位。'],
    ]);
    await caller.invigilate.removePreset({ presetId: a.id });

    expect((await caller.invigilate.presets({ examId: exam.id })).map((p) => p.id)).toEqual([b.id]);
    expect(auditRows(fx.db).map((r) => [r.action, r.detail.presetId])).toEqual([
      ['preset.added', a.id],
      ['preset.added', b.id],
      ['preset.removed', a.id],
    ]);
  });

  it('a preset needs 1 to 300 characters', async () => {
    const { exam, invigilator } = await makeSittingScenario(fx.db);
    const caller = callerFor(makeContext(fx.db, invigilator));
    expect((await trpcRefusal(caller.invigilate.addPreset({ examId: exam.id, text: ' ' }))).code).toBe('BAD_REQUEST');
    expect((await trpcRefusal(caller.invigilate.addPreset({ examId: exam.id, text: '长'.repeat(301) }))).code).toBe('BAD_REQUEST');
    expect(fx.db.select().from(presetMessages).all()).toEqual([]);
  });
});

describe('the chief invigilator', () => {
  it('the chief sees every room of the exam with counts of not joined, live, problem and finished, and its invigilators', async () => {
    const a = await makeSittingScenario(fx.db, { candidates: 4 });
    // The first candidate entered but never joined LiveKit: not joined.
    const [, live, flagged, finished] = a.candidates;
    const roomB = createRoom({ db: fx.db, examId: a.exam.id, name: '第 2 考场' });
    const invigilatorB = await makeStaff(fx.db, 'invigilator');
    assignInvigilator({ db: fx.db, roomId: roomB.id, userId: invigilatorB.id });
    const reconnecting = await makeCandidate(fx.db);
    registerCandidate({ db: fx.db, examId: a.exam.id, roomId: roomB.id, candidateId: reconnecting.id, seat: 1, acceptedAt: new Date() });
    await enterExam({ db: fx.db, candidateId: reconnecting.id, examId: a.exam.id });
    const chief = await makeChief(fx.db, a.exam.id);
    const at = Math.floor(Date.now() / 1000);
    for (const c of [live!, flagged!]) {
      await deliver({ event: 'participant_joined', room: a.room.livekitRoom, identity: candidateIdentity(c.id, 'pc'), createdAt: at });
      await deliver({
        event: 'track_published',
        room: a.room.livekitRoom,
        identity: candidateIdentity(c.id, 'pc'),
        track: { source: 'SCREEN_SHARE' },
        createdAt: at,
      });
    }
    reportIntegrity({ db: fx.db, candidateId: flagged!.id, examId: a.exam.id, signal: 'fullscreen_left', at: new Date() });
    endExam({ db: fx.db, caller: asStaff(a.invigilator), roomId: a.room.id, candidateId: finished!.id, reason: '违纪' });
    await deliver({ event: 'participant_joined', room: roomB.livekitRoom, identity: candidateIdentity(reconnecting.id, 'pc'), createdAt: at });
    await deliver({ event: 'participant_connection_aborted', room: roomB.livekitRoom, identity: candidateIdentity(reconnecting.id, 'pc'), createdAt: at + 1 });

    const overview = await callerFor(makeContext(fx.db, chief)).invigilate.chiefOverview({ examId: a.exam.id });

    expect(overview.exam).toMatchObject({ id: a.exam.id, title: a.exam.title });
    expect(overview.rooms).toEqual(
      [
        {
          id: roomB.id,
          name: '第 2 考场',
          counts: { notJoined: 0, live: 0, problem: 1, finished: 0, total: 1 },
          invigilators: [{ id: invigilatorB.id, name: invigilatorB.name }],
          // One SFU (no LIVEKIT_URLS): no node to name.
          node: null,
          incidents: [],
        },
        {
          id: a.room.id,
          name: a.room.name,
          counts: { notJoined: 1, live: 1, problem: 1, finished: 1, total: 4 },
          invigilators: [{ id: a.invigilator.id, name: a.invigilator.name }],
          node: null,
          incidents: [],
        },
      ].sort((x, y) => (x.name < y.name ? -1 : 1)),
    );

    // With several SFU nodes, each room names the node LiveKit runs it on (tests/unit/placement.test.ts reads the real map).
    const located = await chiefOverview({
      db: fx.db,
      caller: asStaff(chief),
      examId: a.exam.id,
      locate: async (rooms) => new Map(rooms.map((r) => [r, r === roomB.livekitRoom ? 'sfu-2' : null])),
    });
    expect(Object.fromEntries(located.rooms.map((r) => [r.id, r.node]))).toEqual({ [roomB.id]: 'sfu-2', [a.room.id]: null });
  });

  it('an invigilator lists the exams where they are chief, and only those', async () => {
    const a = await makeSittingScenario(fx.db);
    const b = await makeSittingScenario(fx.db);
    createRoom({ db: fx.db, examId: a.exam.id, name: '第 2 考场' });
    const chief = await makeChief(fx.db, a.exam.id);
    await makeChief(fx.db, b.exam.id);

    expect(await callerFor(makeContext(fx.db, chief)).invigilate.myChiefExams()).toEqual([
      expect.objectContaining({ id: a.exam.id, title: a.exam.title, rooms: 2 }),
    ]);
    expect(await callerFor(makeContext(fx.db, a.invigilator)).invigilate.myChiefExams()).toEqual([]);
  });
});

describe('demo seed', () => {
  it('makes invig1 chief of the written exam and gives each demo exam the two preset warnings, once however often it runs', async () => {
    await seedDemo({ db: fx.db });
    await seedDemo({ db: fx.db });

    const invig1 = fx.db.select().from(users).where(eq(users.username, 'invig1')).get()!;
    const written = fx.db.select().from(exams).where(eq(exams.title, DEMO_EXAM_TITLE)).get()!;
    const interview = fx.db.select().from(exams).where(eq(exams.title, DEMO_INTERVIEW_TITLE)).get()!;
    expect(fx.db.select().from(chiefInvigilators).where(eq(chiefInvigilators.examId, written.id)).all()).toEqual([
      expect.objectContaining({ userId: invig1.id }),
    ]);
    for (const exam of [written, interview]) {
      expect(
        fx.db
          .select({ text: presetMessages.text })
          .from(presetMessages)
          .where(eq(presetMessages.examId, exam.id))
          .all()
          .map((p) => p.text),
      ).toEqual([...DEMO_PRESETS]);
    }
    expect(await callerFor(makeContext(fx.db, invig1)).invigilate.presets({ examId: written.id })).toHaveLength(2);
  });
});
