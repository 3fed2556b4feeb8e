import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registrations } from '@/db/schema';
import { AppError } from '@/server/errors';
import {
  acceptNotice,
  drawLot,
  endsAt,
  enterExam,
  examSession,
  finishExam,
  listCandidateExams,
  questionMaterial,
  SAVE_GRACE_MS,
} from '@/server/services/exams';
import { makeQuestionSheet, makeRoomScenario, PROMPTS } from '../fixtures/factories';
import { createTestDb } from '../helpers/db';
import { callerFor, httpCall, makeContext, registrationRow, setServerClock, timelineOf, trpcRefusal } from '../helpers/unit-support';

let db: ReturnType<typeof createTestDb>;
beforeEach(() => {
  db = createTestDb();
});
afterEach(() => {
  vi.useRealTimers();
  db.cleanup();
});

const NOW = new Date('2030-06-01T08:00:00.000Z');
const MIN = 60_000;
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);

/** Entry opens at NOW and closes 30 minutes later; the exam starts at NOW + 30 min and lasts 90. */
const WINDOW = { now: NOW, opensIn: 0, closesIn: 30, startsIn: 30, durationMinutes: 90 } as const;

async function refusal(p: Promise<unknown> | (() => unknown)) {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(err, 'expected the call to be refused').toBeInstanceOf(AppError);
  return err as AppError;
}

describe('a candidate entering: what must come first', () => {
  it('a written-exam candidate who has not accepted the notice is refused with exam.notAccepted and stays outside', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: WINDOW, ready: false });
    const cand = candidates[0]!;

    const err = await refusal(enterExam({ db, candidateId: cand.id, examId: exam.id, now: NOW }));

    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED', key: 'exam.notAccepted' });
    expect(registrationRow(db, cand.id, exam.id).enteredAt).toBeNull();
    expect(timelineOf(db, cand.id, 'exam_entered')).toEqual([]);
  });

  it('an interview candidate who has not drawn a lot is refused with exam.lotRequired, even with the notice accepted', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: { ...WINDOW, kind: 'interview' }, ready: false });
    const cand = candidates[0]!;
    acceptNotice({ db, candidateId: cand.id, examId: exam.id, now: NOW });

    const err = await refusal(enterExam({ db, candidateId: cand.id, examId: exam.id, now: NOW }));

    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED', key: 'exam.lotRequired' });
    expect(registrationRow(db, cand.id, exam.id).enteredAt).toBeNull();
  });

  it('an interview candidate who drew a lot but has not accepted the notice is refused with exam.notAccepted', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: { ...WINDOW, kind: 'interview' }, ready: false });
    const cand = candidates[0]!;
    drawLot({ db, candidateId: cand.id, examId: exam.id, now: NOW });

    const err = await refusal(enterExam({ db, candidateId: cand.id, examId: exam.id, now: NOW }));

    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED', key: 'exam.notAccepted' });
  });

  it('an interview candidate who drew a lot and accepted the notice enters at the first millisecond of the window', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: { ...WINDOW, kind: 'interview' }, ready: false });
    const cand = candidates[0]!;
    drawLot({ db, candidateId: cand.id, examId: exam.id, now: plus(NOW, -5 * MIN) });
    acceptNotice({ db, candidateId: cand.id, examId: exam.id, now: plus(NOW, -4 * MIN) });

    const res = await enterExam({ db, candidateId: cand.id, examId: exam.id, now: exam.entryOpensAt });

    expect(res.exam.id).toBe(exam.id);
    expect(registrationRow(db, cand.id, exam.id).enteredAt).toEqual(exam.entryOpensAt);
  });

  it('a candidate who accepted the notice is still refused 1 ms before the window opens and at the millisecond it closes', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: WINDOW });
    const cand = candidates[0]!;

    const early = await refusal(enterExam({ db, candidateId: cand.id, examId: exam.id, now: plus(exam.entryOpensAt, -1) }));
    const late = await refusal(enterExam({ db, candidateId: cand.id, examId: exam.id, now: exam.entryClosesAt }));

    expect(early.key).toBe('exam.entryNotOpen');
    expect(late.key).toBe('exam.entryClosed');
    expect(registrationRow(db, cand.id, exam.id).enteredAt).toBeNull();
  });

  it('a candidate who has not accepted the notice is refused through the router with PRECONDITION_FAILED exam.notAccepted', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: WINDOW, ready: false });
    setServerClock(plus(NOW, MIN));

    const err = await trpcRefusal(callerFor(makeContext(db, candidates[0]!)).exam.enter({ examId: exam.id }));

    expect(err.code).toBe('PRECONDITION_FAILED');
    expect(err.cause).toMatchObject({ key: 'exam.notAccepted' });
  });
});

describe('a candidate entering with an extended display', () => {
  it('is refused with exam.extendedDisplay, stays outside, and the attempt is on their room’s timeline', async () => {
    const { exam, room, candidates } = await makeRoomScenario(db, { exam: WINDOW });
    const cand = candidates[0]!;

    const err = await refusal(enterExam({ db, candidateId: cand.id, examId: exam.id, displays: 'extended', now: NOW }));

    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED', key: 'exam.extendedDisplay' });
    expect(registrationRow(db, cand.id, exam.id).enteredAt).toBeNull();
    const flagged = timelineOf(db, cand.id, 'integrity.extended_display');
    expect(flagged).toHaveLength(1);
    expect(flagged[0]).toMatchObject({ roomId: room.id, candidateId: cand.id, device: 'pc', payload: { at: 'entry' } });
    expect(timelineOf(db, cand.id, 'exam_entered')).toEqual([]);
  });

  it('enters once the extra display is unplugged (single display reported)', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: WINDOW });
    const cand = candidates[0]!;
    await refusal(enterExam({ db, candidateId: cand.id, examId: exam.id, displays: 'extended', now: NOW }));

    const res = await enterExam({ db, candidateId: cand.id, examId: exam.id, displays: 'single', now: plus(NOW, MIN) });

    expect(res.exam.id).toBe(exam.id);
    expect(registrationRow(db, cand.id, exam.id).enteredAt).toEqual(plus(NOW, MIN));
  });

  it('a candidate already inside who comes back with an extended display is refused again and it is recorded again', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: WINDOW });
    const cand = candidates[0]!;
    await enterExam({ db, candidateId: cand.id, examId: exam.id, displays: 'single', now: NOW });

    const err = await refusal(enterExam({ db, candidateId: cand.id, examId: exam.id, displays: 'extended', now: plus(NOW, 40 * MIN) }));

    expect(err.key).toBe('exam.extendedDisplay');
    expect(timelineOf(db, cand.id, 'integrity.extended_display')).toHaveLength(1);
    expect(registrationRow(db, cand.id, exam.id).enteredAt).toEqual(NOW);
  });
});

describe('a candidate coming back into the exam', () => {
  it('who already entered is let back in after the entry window closed, while one who never entered is not', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: WINDOW, candidates: 2 });
    const [inside, late] = candidates;
    await enterExam({ db, candidateId: inside!.id, examId: exam.id, now: plus(NOW, MIN) });
    const afterClose = plus(exam.entryClosesAt, 10 * MIN);

    const back = await enterExam({ db, candidateId: inside!.id, examId: exam.id, now: afterClose });
    const err = await refusal(enterExam({ db, candidateId: late!.id, examId: exam.id, now: afterClose }));

    expect(back.exam.id).toBe(exam.id);
    expect(err.key).toBe('exam.entryClosed');
  });

  it('keeps the time of the first entry and records a single exam_entered event, however often they enter', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: WINDOW });
    const cand = candidates[0]!;

    await enterExam({ db, candidateId: cand.id, examId: exam.id, now: plus(NOW, MIN) });
    await enterExam({ db, candidateId: cand.id, examId: exam.id, now: plus(NOW, 2 * MIN) });
    await enterExam({ db, candidateId: cand.id, examId: exam.id, now: plus(exam.startsAt, MIN) });

    expect(registrationRow(db, cand.id, exam.id).enteredAt).toEqual(plus(NOW, MIN));
    expect(timelineOf(db, cand.id, 'exam_entered')).toHaveLength(1);
  });

  it('who submitted is refused with exam.alreadyFinished, even inside the entry window', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: { ...WINDOW, startsIn: 5 } });
    const cand = candidates[0]!;
    await enterExam({ db, candidateId: cand.id, examId: exam.id, now: NOW });
    finishExam({ db, candidateId: cand.id, examId: exam.id, reason: 'submitted', now: plus(exam.startsAt, MIN) });

    const err = await refusal(enterExam({ db, candidateId: cand.id, examId: exam.id, now: plus(exam.startsAt, 2 * MIN) }));

    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED', key: 'exam.alreadyFinished' });
  });

  it('whose exam ran out while away is refused after end + grace, and is recorded as timed out at the end', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: WINDOW });
    const cand = candidates[0]!;
    await enterExam({ db, candidateId: cand.id, examId: exam.id, now: NOW });
    const end = endsAt(exam, registrationRow(db, cand.id, exam.id));

    const err = await refusal(enterExam({ db, candidateId: cand.id, examId: exam.id, now: plus(end, SAVE_GRACE_MS + 1) }));

    expect(err.key).toBe('exam.alreadyFinished');
    expect(registrationRow(db, cand.id, exam.id)).toMatchObject({ finishedAt: end, finishReason: 'timeout' });
  });
});

describe('a candidate’s exam time', () => {
  it('ends at start + duration + the extra minutes staff granted, in the listing and in the session', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: WINDOW });
    const cand = candidates[0]!;
    const plain = plus(exam.startsAt, 90 * MIN);
    expect(listCandidateExams({ db, candidateId: cand.id, now: NOW })[0]!.endsAt).toEqual(plain);

    db.update(registrations).set({ extraMinutes: 15 }).where(eq(registrations.candidateId, cand.id)).run();

    const extended = plus(exam.startsAt, (90 + 15) * MIN);
    expect(endsAt(exam, { extraMinutes: 15 })).toEqual(extended);
    expect(listCandidateExams({ db, candidateId: cand.id, now: NOW })[0]!.endsAt).toEqual(extended);
    expect(examSession({ db, candidateId: cand.id, examId: exam.id, now: NOW }).exam.endsAt).toEqual(extended);
  });

  it('goes through before_entry, waiting, in_progress (at exactly the start) and finished', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: WINDOW });
    const cand = candidates[0]!;
    const phase = (now: Date) => examSession({ db, candidateId: cand.id, examId: exam.id, now }).phase;

    expect(phase(NOW)).toBe('before_entry');
    await enterExam({ db, candidateId: cand.id, examId: exam.id, now: plus(NOW, MIN) });
    expect(phase(plus(NOW, MIN))).toBe('waiting');
    expect(phase(plus(exam.startsAt, -1))).toBe('waiting');
    expect(phase(exam.startsAt)).toBe('in_progress');
    finishExam({ db, candidateId: cand.id, examId: exam.id, reason: 'submitted', now: plus(exam.startsAt, 10 * MIN) });
    expect(phase(plus(exam.startsAt, 10 * MIN))).toBe('finished');
    expect(listCandidateExams({ db, candidateId: cand.id, now: plus(exam.startsAt, 10 * MIN) })[0]).toMatchObject({
      phase: 'finished',
      finishReason: 'submitted',
      finishedAt: plus(exam.startsAt, 10 * MIN),
    });
  });

  it('left running is not settled at end + grace, and is settled as timeout at its end time 1 ms later when the listing is read', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: WINDOW });
    const cand = candidates[0]!;
    await enterExam({ db, candidateId: cand.id, examId: exam.id, now: NOW });
    const end = plus(exam.startsAt, 90 * MIN);

    const atGrace = listCandidateExams({ db, candidateId: cand.id, now: plus(end, SAVE_GRACE_MS) })[0]!;
    expect(atGrace).toMatchObject({ phase: 'in_progress', finishedAt: null, finishReason: null });
    expect(registrationRow(db, cand.id, exam.id).finishedAt).toBeNull();

    const after = listCandidateExams({ db, candidateId: cand.id, now: plus(end, SAVE_GRACE_MS + 1) })[0]!;
    expect(after).toMatchObject({ phase: 'finished', finishedAt: end, finishReason: 'timeout' });
    expect(registrationRow(db, cand.id, exam.id)).toMatchObject({ finishedAt: end, finishReason: 'timeout' });
  });

  it('left running is settled as timeout when the session is read after end + grace, and the extra minutes move that moment', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: WINDOW });
    const cand = candidates[0]!;
    await enterExam({ db, candidateId: cand.id, examId: exam.id, now: NOW });
    db.update(registrations).set({ extraMinutes: 10 }).where(eq(registrations.candidateId, cand.id)).run();
    const plainEnd = plus(exam.startsAt, 90 * MIN);
    const end = plus(plainEnd, 10 * MIN);

    expect(examSession({ db, candidateId: cand.id, examId: exam.id, now: plus(plainEnd, SAVE_GRACE_MS + 1) }).phase).toBe('in_progress');
    const s = examSession({ db, candidateId: cand.id, examId: exam.id, now: plus(end, SAVE_GRACE_MS + 1) });

    expect(s.phase).toBe('finished');
    expect(s.registration).toMatchObject({ finishedAt: end, finishReason: 'timeout' });
  });

  it('of a candidate who never entered is not settled as a timeout', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: WINDOW });
    const cand = candidates[0]!;

    const row = listCandidateExams({ db, candidateId: cand.id, now: plus(exam.startsAt, 24 * 60 * MIN) })[0]!;

    expect(row).toMatchObject({ phase: 'before_entry', finishedAt: null });
    expect(registrationRow(db, cand.id, exam.id).finishReason).toBeNull();
  });
});

describe('question material is withheld until the start', () => {
  async function waiting() {
    const s = await makeRoomScenario(db, { exam: WINDOW });
    makeQuestionSheet(db, s.exam.id);
    await enterExam({ db, candidateId: s.candidates[0]!.id, examId: s.exam.id, now: plus(NOW, MIN) });
    return { ...s, cand: s.candidates[0]! };
  }

  it('a waiting candidate asking 1 ms before the start is refused with exam.notStarted and told the start time', async () => {
    const { exam, cand } = await waiting();

    const err = await refusal(() => questionMaterial({ db, candidateId: cand.id, examId: exam.id, now: plus(exam.startsAt, -1) }));

    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED', key: 'exam.notStarted' });
    expect(err.params.startsAt).toEqual(exam.startsAt);
  });

  it('a waiting candidate asking at exactly the start gets the sheets and their questions', async () => {
    const { exam, cand } = await waiting();

    const m = questionMaterial({ db, candidateId: cand.id, examId: exam.id, now: exam.startsAt });

    expect(m.sheets).toHaveLength(1);
    expect(m.sheets[0]!.questions.map((q) => q.prompt)).toEqual([PROMPTS.single, PROMPTS.multiple, PROMPTS.text]);
    expect(m.answers).toEqual([]);
  });

  it('a registered candidate who has not entered is refused with exam.notEntered, even after the start', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: WINDOW });
    makeQuestionSheet(db, exam.id);

    const err = await refusal(() => questionMaterial({ db, candidateId: candidates[0]!.id, examId: exam.id, now: plus(exam.startsAt, MIN) }));

    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED', key: 'exam.notEntered' });
  });

  it('a waiting candidate calling exam.questions through the router is refused 1 ms before the start and served at the start', async () => {
    const { exam, cand } = await waiting();
    const caller = callerFor(makeContext(db, cand));

    setServerClock(plus(exam.startsAt, -1));
    const err = await trpcRefusal(caller.exam.questions({ examId: exam.id }));
    expect(err.code).toBe('PRECONDITION_FAILED');
    expect(err.cause).toMatchObject({ key: 'exam.notStarted' });

    setServerClock(exam.startsAt);
    const m = await caller.exam.questions({ examId: exam.id });
    expect(m.sheets[0]!.questions.map((q) => q.id)).toEqual(['q1', 'q2', 'q3']);
  });

  it('a waiting candidate fetching exam.questions over HTTP 1 ms early gets 412 and not a word of the questions', async () => {
    const { exam, cand } = await waiting();
    const ctx = makeContext(db, cand, { locale: 'zh-CN' });

    setServerClock(plus(exam.startsAt, -1));
    const early = await httpCall({ ctx, path: 'exam.questions', input: { examId: exam.id }, method: 'GET' });

    expect(early.status).toBe(412);
    expect(early.body.error.json.data.appCode).toBe('exam.notStarted');
    expect(early.body.error.json.message).toMatch(/^考试尚未开始/);
    for (const prompt of Object.values(PROMPTS)) expect(early.text).not.toContain(prompt);
    expect(early.text).not.toContain('ZQX-');

    // The same search finds the prompts once they are due, so the absence above means something.
    setServerClock(exam.startsAt);
    const due = await httpCall({ ctx, path: 'exam.questions', input: { examId: exam.id }, method: 'GET' });
    expect(due.status).toBe(200);
    for (const prompt of Object.values(PROMPTS)) expect(due.text).toContain(prompt);
  });

  it('a waiting candidate’s exam.session over HTTP carries no question text', async () => {
    const { exam, cand } = await waiting();
    setServerClock(plus(exam.startsAt, -1));

    const res = await httpCall({ ctx: makeContext(db, cand), path: 'exam.session', input: { examId: exam.id }, method: 'GET' });

    expect(res.status).toBe(200);
    expect(res.body.result.data.json.phase).toBe('waiting');
    expect(res.text).not.toContain('ZQX-');
  });
});
