import { describe, expect, it } from 'vitest';
import { auditLog, events, flags, lastViewed, messages, presetMessages, registrations, type User } from '@/db/schema';
import { reportIntegrity } from '@/server/services/exams';
import { assignInvigilator, createRoom, registerCandidate } from '@/server/services/setup';
import { makeCandidate, makeChief, makeSittingScenario, makeStaff } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { auditRows, callerFor, makeContext, trpcRefusal } from '../helpers/unit-support';

const fx = useTestDb();

type Caller = ReturnType<typeof callerFor>;
type Target = { roomId: number; candidateId: number; flagId: number; examId: number; presetId: number };

/**
 * Every invigilator-console procedure on room A of exam 1, with valid inputs, in an order that
 * can all succeed for one caller (the flag is resolved once, the exam ended last).
 */
const ROOM_PROCEDURES = {
  'invigilate.roomState': (c: Caller, t: Target) => c.invigilate.roomState({ roomId: t.roomId }),
  'invigilate.timeline': (c: Caller, t: Target) => c.invigilate.timeline({ roomId: t.roomId, candidateId: t.candidateId }),
  'invigilate.flags': (c: Caller, t: Target) => c.invigilate.flags({ roomId: t.roomId }),
  'invigilate.createFlag': (c: Caller, t: Target) => c.invigilate.createFlag({ roomId: t.roomId, candidateId: t.candidateId, note: '可疑' }),
  'invigilate.resolveFlag': (c: Caller, t: Target) => c.invigilate.resolveFlag({ flagId: t.flagId, resolution: 'confirmed' }),
  'invigilate.sendMessage (one)': (c: Caller, t: Target) => c.invigilate.sendMessage({ roomId: t.roomId, candidateId: t.candidateId, text: '请坐好' }),
  'invigilate.sendMessage (room)': (c: Caller, t: Target) => c.invigilate.sendMessage({ roomId: t.roomId, text: '全场提醒' }),
  'invigilate.addTime': (c: Caller, t: Target) => c.invigilate.addTime({ roomId: t.roomId, candidateId: t.candidateId, minutes: 5, reason: '故障' }),
  'invigilate.markViewed': (c: Caller, t: Target) => c.invigilate.markViewed({ roomId: t.roomId, candidateIds: [t.candidateId] }),
  'invigilate.presets': (c: Caller, t: Target) => c.invigilate.presets({ examId: t.examId }),
  'invigilate.addPreset': (c: Caller, t: Target) => c.invigilate.addPreset({ examId: t.examId, text: '请保持安静。' }),
  'invigilate.removePreset': (c: Caller, t: Target) => c.invigilate.removePreset({ presetId: t.presetId }),
  'room.byId': (c: Caller, t: Target) => c.room.byId({ roomId: t.roomId }),
  'room.watchToken': (c: Caller, t: Target) => c.room.watchToken({ roomId: t.roomId }),
  'invigilate.endExam': (c: Caller, t: Target) => c.invigilate.endExam({ roomId: t.roomId, candidateId: t.candidateId, reason: '违纪' }),
} satisfies Record<string, (c: Caller, t: Target) => Promise<unknown>>;
const NAMES = Object.keys(ROOM_PROCEDURES) as (keyof typeof ROOM_PROCEDURES)[];
/** The presets are the exam's: any room's staff of the exam may use them. */
const EXAM_SCOPED: string[] = ['invigilate.presets', 'invigilate.addPreset', 'invigilate.removePreset'];
const ROOM_SCOPED = NAMES.filter((n) => !EXAM_SCOPED.includes(n));
/** The actions that write an audit row, one each. */
const AUDITED = ['flag.created', 'flag.resolved', 'message.sent', 'message.sent', 'time.added', 'preset.added', 'preset.removed', 'exam.ended'];

/**
 * Exam 1: room A (invigilator A, two sitting candidates, one open flag, one preset) and room B
 * (invigilator B, one candidate), a chief who is assigned to neither room. Exam 2: its own room,
 * invigilator and chief.
 */
async function world() {
  const a = await makeSittingScenario(fx.db, { candidates: 2 });
  const roomB = createRoom({ db: fx.db, examId: a.exam.id, name: '第 2 考场' });
  const invigilatorB = await makeStaff(fx.db, 'invigilator');
  assignInvigilator({ db: fx.db, roomId: roomB.id, userId: invigilatorB.id });
  const candidateB = await makeCandidate(fx.db);
  registerCandidate({ db: fx.db, examId: a.exam.id, roomId: roomB.id, candidateId: candidateB.id, seat: 1 });
  const chief = await makeChief(fx.db, a.exam.id);
  const other = await makeSittingScenario(fx.db);
  const otherChief = await makeChief(fx.db, other.exam.id);
  const cand = a.candidates[0]!;
  reportIntegrity({ db: fx.db, candidateId: cand.id, examId: a.exam.id, signal: 'page_hidden', at: new Date() });
  const flagId = fx.db.select().from(flags).get()!.id;
  const presetId = fx.db.insert(presetMessages).values({ examId: a.exam.id, text: '请将摄像头对准正脸。' }).returning().get().id;
  const target: Target = { roomId: a.room.id, candidateId: cand.id, flagId, examId: a.exam.id, presetId };
  return { ...a, target, roomB, invigilatorB, candidateB, chief, other, otherChief };
}

/** Everything a console action could change. */
const snapshot = () => ({
  flags: fx.db.select().from(flags).all(),
  messages: fx.db.select().from(messages).all(),
  audit: fx.db.select().from(auditLog).all(),
  events: fx.db.select().from(events).all(),
  registrations: fx.db.select().from(registrations).all(),
  lastViewed: fx.db.select().from(lastViewed).all(),
  presets: fx.db.select().from(presetMessages).all(),
});

async function refusedEverywhere(user: User | null, names: readonly (keyof typeof ROOM_PROCEDURES)[], target: Target) {
  const codes: Record<string, string> = {};
  for (const name of names) codes[name] = (await trpcRefusal(ROOM_PROCEDURES[name](callerFor(makeContext(fx.db, user)), target))).code;
  return codes;
}
const all = (names: readonly string[], code: string) => Object.fromEntries(names.map((n) => [n, code]));

describe('who may use the invigilator console', () => {
  it('the room’s own invigilator may do everything, and each action writes one audit row by them', async () => {
    const w = await world();
    const caller = callerFor(makeContext(fx.db, w.invigilator));
    for (const name of NAMES) await ROOM_PROCEDURES[name](caller, w.target);
    expect(auditRows(fx.db).map((r) => r.action)).toEqual(AUDITED);
    expect(new Set(auditRows(fx.db).map((r) => r.actorId))).toEqual(new Set([w.invigilator.id]));
  });

  it('an invigilator of another room of the same exam is refused every room action with FORBIDDEN room.notAssigned, and nothing changes', async () => {
    const w = await world();
    const before = snapshot();
    expect(await refusedEverywhere(w.invigilatorB, ROOM_SCOPED, w.target)).toEqual(all(ROOM_SCOPED, 'FORBIDDEN'));
    const err = await trpcRefusal(
      callerFor(makeContext(fx.db, w.invigilatorB)).invigilate.endExam({ roomId: w.room.id, candidateId: w.target.candidateId, reason: 'x' }),
    );
    expect(err.cause).toMatchObject({ key: 'room.notAssigned' });
    expect(snapshot()).toEqual(before);
  });

  it('an invigilator of another exam is refused everything, presets included, and nothing changes', async () => {
    const w = await world();
    const before = snapshot();
    expect(await refusedEverywhere(w.other.invigilator, NAMES, w.target)).toEqual(all(NAMES, 'FORBIDDEN'));
    const err = await trpcRefusal(callerFor(makeContext(fx.db, w.other.invigilator)).invigilate.addPreset({ examId: w.exam.id, text: 'x' }));
    expect(err.cause).toMatchObject({ key: 'invigilate.notExamStaff' });
    expect(snapshot()).toEqual(before);
  });

  it('a candidate is refused every console procedure with FORBIDDEN auth.wrongRole, even for their own room, and nothing changes', async () => {
    const w = await world();
    const before = snapshot();
    expect(await refusedEverywhere(w.candidates[0]!, NAMES, w.target)).toEqual(all(NAMES, 'FORBIDDEN'));
    const err = await trpcRefusal(callerFor(makeContext(fx.db, w.candidates[0]!)).invigilate.myChiefExams());
    expect(err.cause).toMatchObject({ key: 'auth.wrongRole' });
    expect(snapshot()).toEqual(before);
  });

  it('an anonymous visitor is refused everything with UNAUTHORIZED; support staff with FORBIDDEN', async () => {
    const w = await world();
    const before = snapshot();
    expect(await refusedEverywhere(null, NAMES, w.target)).toEqual(all(NAMES, 'UNAUTHORIZED'));
    expect(await refusedEverywhere(await makeStaff(fx.db, 'support'), NAMES, w.target)).toEqual(all(NAMES, 'FORBIDDEN'));
    expect(snapshot()).toEqual(before);
  });

  it('the chief invigilator may do everything in every room of their exam, audited as themselves', async () => {
    const w = await world();
    const caller = callerFor(makeContext(fx.db, w.chief));
    for (const name of NAMES) await ROOM_PROCEDURES[name](caller, w.target);
    await caller.invigilate.sendMessage({ roomId: w.roomB.id, candidateId: w.candidateB.id, text: 'B 考场消息' });
    expect((await caller.invigilate.roomState({ roomId: w.roomB.id })).tiles.map((t) => t.candidateId)).toEqual([w.candidateB.id]);
    expect(auditRows(fx.db).map((r) => r.action)).toEqual([...AUDITED, 'message.sent']);
    expect(new Set(auditRows(fx.db).map((r) => r.actorId))).toEqual(new Set([w.chief.id]));
  });

  it('the chief invigilator of another exam is refused this exam’s rooms, and nothing changes', async () => {
    const w = await world();
    const before = snapshot();
    expect(await refusedEverywhere(w.otherChief, NAMES, w.target)).toEqual(all(NAMES, 'FORBIDDEN'));
    expect(snapshot()).toEqual(before);
  });

  it('an admin may do everything without an assignment', async () => {
    const w = await world();
    const admin = await makeStaff(fx.db, 'admin');
    const caller = callerFor(makeContext(fx.db, admin));
    for (const name of NAMES) await ROOM_PROCEDURES[name](caller, w.target);
    expect(auditRows(fx.db).map((r) => r.action)).toEqual(AUDITED);
  });
});

describe('row-level checks inside an allowed room', () => {
  it('an invigilator naming another room’s candidate through their own room gets NOT_FOUND invigilate.candidateNotInRoom, and nothing changes', async () => {
    const w = await world();
    const caller = callerFor(makeContext(fx.db, w.invigilator));
    const before = snapshot();
    const t = { ...w.target, candidateId: w.candidateB.id };
    for (const name of [
      'invigilate.timeline',
      'invigilate.createFlag',
      'invigilate.sendMessage (one)',
      'invigilate.addTime',
      'invigilate.markViewed',
      'invigilate.endExam',
    ] as const) {
      const err = await trpcRefusal(ROOM_PROCEDURES[name](caller, t));
      expect([name, err.code, (err.cause as { key?: string }).key]).toEqual([name, 'NOT_FOUND', 'invigilate.candidateNotInRoom']);
    }
    expect(snapshot()).toEqual(before);
  });

  it('an invigilator resolving a flag of another room is refused with FORBIDDEN and the flag stays open', async () => {
    const w = await world();
    const err = await trpcRefusal(callerFor(makeContext(fx.db, w.invigilatorB)).invigilate.resolveFlag({ flagId: w.target.flagId, resolution: 'dismissed' }));
    expect(err.code).toBe('FORBIDDEN');
    expect(fx.db.select().from(flags).get()!.status).toBe('open');
    expect(auditRows(fx.db)).toEqual([]);
  });

  it('an invigilator of another room of the same exam may use the exam’s presets (they are the exam’s, not the room’s)', async () => {
    const w = await world();
    const caller = callerFor(makeContext(fx.db, w.invigilatorB));
    expect((await caller.invigilate.presets({ examId: w.exam.id })).map((p) => p.id)).toEqual([w.target.presetId]);
    await caller.invigilate.removePreset({ presetId: w.target.presetId });
    expect(await caller.invigilate.presets({ examId: w.exam.id })).toEqual([]);
  });

  it('an exam or room that does not exist is NOT_FOUND', async () => {
    const w = await world();
    const caller = callerFor(makeContext(fx.db, w.invigilator));
    expect((await trpcRefusal(caller.invigilate.roomState({ roomId: 9999 }))).cause).toMatchObject({ key: 'room.notFound' });
    expect((await trpcRefusal(caller.invigilate.presets({ examId: 9999 }))).cause).toMatchObject({ key: 'invigilate.examNotFound' });
    expect((await trpcRefusal(caller.invigilate.removePreset({ presetId: 9999 }))).cause).toMatchObject({ key: 'invigilate.presetNotFound' });
  });
});

describe('the chief’s overview', () => {
  it('only the exam’s chief (or an admin) sees the overview; the room’s own invigilator and other chiefs are refused', async () => {
    const w = await world();
    const admin = await makeStaff(fx.db, 'admin');
    await callerFor(makeContext(fx.db, w.chief)).invigilate.chiefOverview({ examId: w.exam.id });
    await callerFor(makeContext(fx.db, admin)).invigilate.chiefOverview({ examId: w.exam.id });
    for (const user of [w.invigilator, w.otherChief]) {
      const err = await trpcRefusal(callerFor(makeContext(fx.db, user)).invigilate.chiefOverview({ examId: w.exam.id }));
      expect(err.code).toBe('FORBIDDEN');
      expect(err.cause).toMatchObject({ key: 'invigilate.notChief' });
    }
    expect((await trpcRefusal(callerFor(makeContext(fx.db, w.candidates[0]!)).invigilate.chiefOverview({ examId: w.exam.id }))).code).toBe('FORBIDDEN');
  });

  it('the chief can open every room of their exam through the room procedures too', async () => {
    const w = await world();
    const caller = callerFor(makeContext(fx.db, w.chief));
    for (const roomId of [w.room.id, w.roomB.id]) {
      expect((await caller.room.byId({ roomId })).room.id).toBe(roomId);
      expect(await caller.room.watchToken({ roomId })).toBeTruthy();
    }
    expect((await trpcRefusal(caller.room.byId({ roomId: w.other.room.id }))).code).toBe('FORBIDDEN');
  });
});
