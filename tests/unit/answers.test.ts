import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { answers, registrations } from '@/db/schema';
import { AppError } from '@/server/errors';
import { endsAt, enterExam, finishExam, questionMaterial, SAVE_GRACE_MS, saveAnswers, type AnswerSave } from '@/server/services/exams';
import { makeQuestionSheet, makeRoomScenario } from '../fixtures/factories';
import { createTestDb } from '../helpers/db';
import { callerFor, makeContext, registrationRow, setServerClock, timelineOf, trpcRefusal } from '../helpers/unit-support';

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

/** A written exam (q1 single, q2 multiple, q3 text) the candidate entered before the start. */
async function inExam() {
  const s = await makeRoomScenario(db, { exam: { now: NOW, opensIn: 0, closesIn: 30, startsIn: 30, durationMinutes: 90 } });
  makeQuestionSheet(db, s.exam.id);
  const cand = s.candidates[0]!;
  await enterExam({ db, candidateId: cand.id, examId: s.exam.id, now: plus(NOW, MIN) });
  const end = endsAt(s.exam, registrationRow(db, cand.id, s.exam.id));
  const during = plus(s.exam.startsAt, 10 * MIN);
  const save = (items: AnswerSave[], now = during) => saveAnswers({ db, candidateId: cand.id, examId: s.exam.id, items, now });
  const stored = () =>
    Object.fromEntries(
      db
        .select()
        .from(answers)
        .where(eq(answers.registrationId, registrationRow(db, cand.id, s.exam.id).id))
        .all()
        .map((a) => [a.questionId, { value: a.value, revision: a.revision }]),
    );
  return { ...s, cand, end, during, save, stored };
}

function refusal(fn: () => unknown) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err, 'expected the call to be refused').toBeInstanceOf(AppError);
  return err as AppError;
}

describe('autosave ordering', () => {
  it('a candidate’s stale save (revision 2 arriving after 3) does not overwrite the newer answer', async () => {
    const { save, stored } = await inExam();

    save([{ questionId: 'q3', value: '第三稿', revision: 3 }]);
    const late = save([{ questionId: 'q3', value: '第二稿', revision: 2 }]);

    expect(stored().q3).toEqual({ value: '第三稿', revision: 3 });
    // The reply tells the client which revision the server holds, so it can stop retrying.
    expect(late.saved).toEqual([{ questionId: 'q3', revision: 3 }]);
  });

  it('a candidate’s save with the same revision as the stored one changes nothing', async () => {
    const { save, stored } = await inExam();

    save([{ questionId: 'q3', value: 'first', revision: 3 }]);
    save([{ questionId: 'q3', value: 'replayed', revision: 3 }]);

    expect(stored().q3).toEqual({ value: 'first', revision: 3 });
  });

  it('a candidate’s revisions 2 and 3 in one batch keep revision 3, in either order', async () => {
    const { save, stored } = await inExam();

    save([
      { questionId: 'q3', value: 'r3', revision: 3 },
      { questionId: 'q3', value: 'r2', revision: 2 },
    ]);
    expect(stored().q3).toEqual({ value: 'r3', revision: 3 });

    save([
      { questionId: 'q1', value: 'A', revision: 2 },
      { questionId: 'q1', value: 'B', revision: 3 },
    ]);
    expect(stored().q1).toEqual({ value: 'B', revision: 3 });
  });

  it('a newer save replaces the answer, including a multiple-choice list', async () => {
    const { save, stored } = await inExam();

    save([{ questionId: 'q2', value: ['A'], revision: 1 }]);
    save([{ questionId: 'q2', value: ['A', 'C'], revision: 2 }]);

    expect(stored().q2).toEqual({ value: ['A', 'C'], revision: 2 });
  });

  it('revisions are per question: a high revision on one question does not hold back another', async () => {
    const { save, stored } = await inExam();

    save([{ questionId: 'q1', value: 'D', revision: 7 }]);
    const res = save([
      { questionId: 'q1', value: 'A', revision: 5 },
      { questionId: 'q3', value: '答案', revision: 1 },
    ]);

    expect(stored()).toEqual({ q1: { value: 'D', revision: 7 }, q3: { value: '答案', revision: 1 } });
    expect(res.saved.sort((a, b) => a.questionId.localeCompare(b.questionId))).toEqual([
      { questionId: 'q1', revision: 7 },
      { questionId: 'q3', revision: 1 },
    ]);
  });

  it('a candidate reopening the questions gets their saved answers back with revisions', async () => {
    const { exam, cand, save, during } = await inExam();
    save([
      { questionId: 'q1', value: 'B', revision: 2 },
      { questionId: 'q2', value: ['A', 'D'], revision: 1 },
    ]);

    const m = questionMaterial({ db, candidateId: cand.id, examId: exam.id, now: during });

    expect(m.answers.sort((a, b) => a.questionId.localeCompare(b.questionId))).toEqual([
      { questionId: 'q1', value: 'B', revision: 2 },
      { questionId: 'q2', value: ['A', 'D'], revision: 1 },
    ]);
  });
});

describe('autosave input that does not fit the exam', () => {
  it('a candidate saving an unknown question id gets BAD_REQUEST exam.unknownQuestion and nothing of the batch is written', async () => {
    const { exam, cand, during, stored } = await inExam();
    setServerClock(during);

    const err = await trpcRefusal(
      callerFor(makeContext(db, cand)).exam.saveAnswers({
        examId: exam.id,
        answers: [
          { questionId: 'q1', value: 'A', revision: 1 },
          { questionId: 'q3', value: 'text', revision: 1 },
          { questionId: 'q-from-another-exam', value: 'x', revision: 1 },
        ],
      }),
    );

    expect(err.code).toBe('BAD_REQUEST');
    expect(err.cause).toMatchObject({ key: 'exam.unknownQuestion', params: { questionId: 'q-from-another-exam' } });
    expect(stored()).toEqual({});
  });

  it('a candidate sending a list for a single-choice question gets BAD_REQUEST exam.answerShape and nothing is written', async () => {
    const { exam, cand, during, stored } = await inExam();
    setServerClock(during);

    const err = await trpcRefusal(
      callerFor(makeContext(db, cand)).exam.saveAnswers({
        examId: exam.id,
        answers: [
          { questionId: 'q3', value: 'text', revision: 1 },
          { questionId: 'q1', value: ['A', 'B'], revision: 1 },
        ],
      }),
    );

    expect(err.code).toBe('BAD_REQUEST');
    expect(err.cause).toMatchObject({ key: 'exam.answerShape', params: { questionId: 'q1' } });
    expect(stored()).toEqual({});
  });

  it('a candidate sending a single string for a multiple-choice question is refused with exam.answerShape', async () => {
    const { save, stored } = await inExam();

    const err = refusal(() => save([{ questionId: 'q2', value: 'A', revision: 1 }]));

    expect(err).toMatchObject({ code: 'BAD_REQUEST', key: 'exam.answerShape' });
    expect(stored()).toEqual({});
  });

  it('a candidate sending revision 0 or an empty batch gets BAD_REQUEST from the input schema', async () => {
    const { exam, cand, during } = await inExam();
    setServerClock(during);
    const caller = callerFor(makeContext(db, cand));

    const zero = await trpcRefusal(caller.exam.saveAnswers({ examId: exam.id, answers: [{ questionId: 'q1', value: 'A', revision: 0 }] }));
    const empty = await trpcRefusal(caller.exam.saveAnswers({ examId: exam.id, answers: [] }));

    expect([zero.code, empty.code]).toEqual(['BAD_REQUEST', 'BAD_REQUEST']);
  });
});

describe('when saves are accepted', () => {
  it('a waiting candidate saving 1 ms before the start is refused with exam.notStarted; at the start it is saved', async () => {
    const { exam, save, stored } = await inExam();

    const err = refusal(() => save([{ questionId: 'q1', value: 'A', revision: 1 }], plus(exam.startsAt, -1)));
    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED', key: 'exam.notStarted' });
    expect(stored()).toEqual({});

    save([{ questionId: 'q1', value: 'A', revision: 1 }], exam.startsAt);
    expect(stored().q1).toEqual({ value: 'A', revision: 1 });
  });

  it('a registered candidate who has not entered cannot save: exam.notEntered', async () => {
    const { exam, candidates } = await makeRoomScenario(db, { exam: { now: NOW } });
    makeQuestionSheet(db, exam.id);

    const err = refusal(() =>
      saveAnswers({
        db,
        candidateId: candidates[0]!.id,
        examId: exam.id,
        items: [{ questionId: 'q1', value: 'A', revision: 1 }],
        now: plus(exam.startsAt, MIN),
      }),
    );

    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED', key: 'exam.notEntered' });
  });

  it('a candidate whose saves were queued offline still gets them stored up to end + grace, and they are saved at the time received', async () => {
    const { save, stored, end } = await inExam();

    const res = save([{ questionId: 'q3', value: 'late but in grace', revision: 4 }], plus(end, SAVE_GRACE_MS));

    expect(res.savedAt).toEqual(plus(end, SAVE_GRACE_MS));
    expect(stored().q3).toEqual({ value: 'late but in grace', revision: 4 });
  });

  it('a candidate saving 1 ms after end + grace is refused with exam.alreadyFinished and is timed out at the end', async () => {
    const { exam, cand, save, stored, end } = await inExam();
    save([{ questionId: 'q3', value: 'in time', revision: 1 }], plus(end, -MIN));

    const err = refusal(() => save([{ questionId: 'q3', value: 'too late', revision: 2 }], plus(end, SAVE_GRACE_MS + 1)));

    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED', key: 'exam.alreadyFinished' });
    expect(stored().q3).toEqual({ value: 'in time', revision: 1 });
    expect(registrationRow(db, cand.id, exam.id)).toMatchObject({ finishedAt: end, finishReason: 'timeout' });
  });

  it('a candidate who submitted cannot save any more, and the submitted answers stay as they were', async () => {
    const { exam, cand, save, stored, during } = await inExam();
    save([{ questionId: 'q1', value: 'C', revision: 1 }]);
    finishExam({ db, candidateId: cand.id, examId: exam.id, reason: 'submitted', now: plus(during, MIN) });

    const err = refusal(() => save([{ questionId: 'q1', value: 'D', revision: 2 }], plus(during, 2 * MIN)));

    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED', key: 'exam.alreadyFinished' });
    expect(stored()).toEqual({ q1: { value: 'C', revision: 1 } });
  });
});

describe('finishing an exam', () => {
  it('a candidate finishing twice keeps the first finish (time and reason) and one exam_finished event', async () => {
    const { exam, cand, during } = await inExam();
    const first = finishExam({ db, candidateId: cand.id, examId: exam.id, reason: 'submitted', now: during });

    const second = finishExam({ db, candidateId: cand.id, examId: exam.id, reason: 'ended', now: plus(during, 5 * MIN) });

    expect(first).toEqual({ finishedAt: during, finishReason: 'submitted' });
    expect(second).toEqual(first);
    expect(registrationRow(db, cand.id, exam.id)).toMatchObject({ finishedAt: during, finishReason: 'submitted' });
    const events = timelineOf(db, cand.id, 'exam_finished');
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toEqual({ reason: 'submitted' });
  });

  it('a candidate asking to finish by time-out more than 5 s before the end is refused with exam.notOver and told the end', async () => {
    const { exam, cand, end } = await inExam();

    const err = refusal(() => finishExam({ db, candidateId: cand.id, examId: exam.id, reason: 'timeout', now: plus(end, -5_001) }));

    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED', key: 'exam.notOver' });
    expect(err.params.endsAt).toEqual(end);
    expect(registrationRow(db, cand.id, exam.id).finishedAt).toBeNull();
  });

  it('a candidate whose clock is 5 s ahead finishes by time-out at their own moment', async () => {
    const { exam, cand, end } = await inExam();

    const res = finishExam({ db, candidateId: cand.id, examId: exam.id, reason: 'timeout', now: plus(end, -5_000) });

    expect(res).toEqual({ finishedAt: plus(end, -5_000), finishReason: 'timeout' });
  });

  it('a candidate whose time-out arrives late is recorded as finished at the end time, not at arrival', async () => {
    const { exam, cand, end } = await inExam();

    const res = finishExam({ db, candidateId: cand.id, examId: exam.id, reason: 'timeout', now: plus(end, 30_000) });

    expect(res).toEqual({ finishedAt: end, finishReason: 'timeout' });
    expect(registrationRow(db, cand.id, exam.id)).toMatchObject({ finishedAt: end, finishReason: 'timeout' });
  });

  it('a candidate’s time-out moves with the extra minutes staff granted', async () => {
    const { exam, cand, end } = await inExam();
    db.update(registrations).set({ extraMinutes: 5 }).where(eq(registrations.candidateId, cand.id)).run();

    const err = refusal(() => finishExam({ db, candidateId: cand.id, examId: exam.id, reason: 'timeout', now: end }));

    expect(err.key).toBe('exam.notOver');
    expect(err.params.endsAt).toEqual(plus(end, 5 * MIN));
  });

  // BUG (server/services/exams.ts, finishExam): it does not settle an exam left running past
  // end + grace first, so the outcome depends on which call comes first: read the listing and the
  // exam is timed out at its end; submit first and it is recorded as submitted hours late.
  it('a candidate submitting long after end + grace is recorded as timed out at the end, as the listing would', async () => {
    const { exam, cand, end } = await inExam();

    const res = finishExam({ db, candidateId: cand.id, examId: exam.id, reason: 'submitted', now: plus(end, 3 * 60 * MIN) });

    expect(res).toEqual({ finishedAt: end, finishReason: 'timeout' });
  });
});
