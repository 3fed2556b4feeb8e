import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { answers, registrations } from '@/db/schema';
import { createInProcessBus, type ExamPageEvent } from '@/server/events/bus';
import { claimExamPage, REVISION_STRIDE, savePageAnswers } from '@/server/services/exam-page';
import type { AnswerSave } from '@/server/services/exams';
import { makeCandidate, makeQuestionSheet, makeRoomScenario } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, makeContext, trpcRefusal } from '../helpers/unit-support';

/*
 * Which page holds a candidate's exam (server/services/exam-page.ts): the newest claim holds it,
 * an older page's flush still counts, and the newer page's edits win whatever the order.
 */

const fx = useTestDb();

const TAB_A = '0b8f6a8e-6f0e-4a51-8c49-3f1a2b9d7c01';
const TAB_B = '5d2e9c47-1a3b-4c8d-9e0f-7a6b5c4d3e02';

async function inExam() {
  const { exam, candidates } = await makeRoomScenario(fx.db, { candidates: 1, exam: { startsIn: -1, durationMinutes: 60 } });
  makeQuestionSheet(fx.db, exam.id);
  const candidate = candidates[0]!;
  fx.db.update(registrations).set({ enteredAt: new Date() }).where(eq(registrations.candidateId, candidate.id)).run();
  const reg = fx.db
    .select()
    .from(registrations)
    .where(and(eq(registrations.examId, exam.id), eq(registrations.candidateId, candidate.id)))
    .get()!;
  const bus = createInProcessBus();
  const heard: ExamPageEvent[] = [];
  const stop = new AbortController();
  void (async () => {
    for await (const e of bus.listen(`exam:page:${reg.id}`, stop.signal)) heard.push(e);
  })();
  const ref = { db: fx.db, bus, candidateId: candidate.id, examId: exam.id };
  const claim = (instanceId: string, now?: Date) => claimExamPage({ ...ref, instanceId, now });
  const save = (epoch: number | undefined, items: AnswerSave[]) => savePageAnswers({ ...ref, epoch, items });
  const stored = () =>
    Object.fromEntries(
      fx.db
        .select()
        .from(answers)
        .where(eq(answers.registrationId, reg.id))
        .all()
        .map((a) => [a.questionId, { value: a.value, revision: a.revision }]),
    );
  return { exam, candidate, claim, save, stored, heard, stop };
}

describe('the page that holds a candidate’s exam', () => {
  it('a newer tab’s claim gets a higher epoch and floor, and is announced to the other pages', async () => {
    const { claim, heard, stop } = await inExam();
    const a = claim(TAB_A);
    const b = claim(TAB_B);
    expect(b.epoch).toBeGreaterThan(a.epoch);
    expect(a.floor).toBe(a.epoch * REVISION_STRIDE);
    expect(b.floor).toBeGreaterThanOrEqual(a.floor + REVISION_STRIDE);
    expect(Number.isSafeInteger(b.floor + REVISION_STRIDE)).toBe(true);
    await expect
      .poll(() => heard)
      .toEqual([
        { type: 'claimed', epoch: a.epoch, instanceId: TAB_A },
        { type: 'claimed', epoch: b.epoch, instanceId: TAB_B },
      ]);
    stop.abort();
  });

  it('a claim rises above every stored revision, whatever this process remembers or the clock says', async () => {
    const { claim, save } = await inExam();
    // A clock far behind, and a page from before a restart whose claim this process never saw
    // (its revisions are in a higher epoch than any claim made here).
    const past = new Date('2020-01-01T00:00:00Z');
    const a = claim(TAB_A, past);
    const before = (a.epoch + 50) * REVISION_STRIDE + 7;
    save(undefined, [{ questionId: 'q3', value: '重启前', revision: before }]);
    const b = claim(TAB_B, past);
    expect(b.floor).toBeGreaterThan(before);
  });

  it('the older tab’s flush after the newer tab opened is stored, the older tab is told it lost the exam, and the holder is told to re-read', async () => {
    const { claim, save, stored, heard, stop } = await inExam();
    const a = claim(TAB_A);
    save(a.epoch, [{ questionId: 'q3', value: '第一稿', revision: a.floor + 1 }]);
    const b = claim(TAB_B);
    // Tab A typed on before it heard of tab B: its flush carries revisions above what is stored.
    const flush = save(a.epoch, [
      { questionId: 'q3', value: '第一稿，写完了', revision: a.floor + 2 },
      { questionId: 'q1', value: 'C', revision: a.floor + 1 },
    ]);
    expect(flush.superseded).toBe(true);
    expect(stored()).toEqual({ q3: { value: '第一稿，写完了', revision: a.floor + 2 }, q1: { value: 'C', revision: a.floor + 1 } });
    await expect.poll(() => heard.at(-1)).toEqual({ type: 'answers' });
    // The holder's own saves are not superseded.
    expect(save(b.epoch, [{ questionId: 'q1', value: 'D', revision: b.floor + 1 }]).superseded).toBe(false);
    stop.abort();
  });

  it('newest revision wins: the newer tab’s edit of a question beats the older tab’s flush, whichever reaches the server first', async () => {
    const { claim, save, stored } = await inExam();
    const a = claim(TAB_A);
    const b = claim(TAB_B);
    // Flush first, then the newer tab's edit (counted from its floor, whatever the older tab typed).
    save(a.epoch, [{ questionId: 'q3', value: '旧标签页', revision: a.floor + 40 }]);
    save(b.epoch, [{ questionId: 'q3', value: '新标签页', revision: b.floor + 1 }]);
    expect(stored().q3).toEqual({ value: '新标签页', revision: b.floor + 1 });
    // The newer tab's edit first, then the flush: the flush changes nothing there.
    save(b.epoch, [{ questionId: 'q1', value: 'B', revision: b.floor + 1 }]);
    const late = save(a.epoch, [{ questionId: 'q1', value: 'A', revision: a.floor + 9 }]);
    expect(stored().q1).toEqual({ value: 'B', revision: b.floor + 1 });
    expect(late.saved).toEqual([{ questionId: 'q1', revision: b.floor + 1 }]);
  });

  it('a save without a claim keeps the plain revision rule and is never superseded', async () => {
    const { claim, save, stored } = await inExam();
    claim(TAB_A);
    expect(save(undefined, [{ questionId: 'q3', value: '无认领', revision: 1 }]).superseded).toBe(false);
    expect(stored().q3).toEqual({ value: '无认领', revision: 1 });
  });

  it('a candidate claims only their own exam; a page id must be a UUID', async () => {
    const { exam } = await inExam();
    const stranger = callerFor(makeContext(fx.db, await makeCandidate(fx.db)));
    expect(await trpcRefusal(stranger.exam.claimPage({ examId: exam.id, instanceId: TAB_A }))).toMatchObject({ code: 'NOT_FOUND' });
    expect(await trpcRefusal(stranger.exam.claimPage({ examId: exam.id, instanceId: 'not-a-page' }))).toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('through the router: a tab’s claim and its saves with the epoch', async () => {
    const { exam, candidate, stored } = await inExam();
    const me = callerFor(makeContext(fx.db, candidate));
    const a = await me.exam.claimPage({ examId: exam.id, instanceId: TAB_A });
    const b = await me.exam.claimPage({ examId: exam.id, instanceId: TAB_B });
    const flushed = await me.exam.saveAnswers({ examId: exam.id, epoch: a.epoch, answers: [{ questionId: 'q3', value: '交出', revision: a.floor + 1 }] });
    expect(flushed.superseded).toBe(true);
    const holder = await me.exam.saveAnswers({ examId: exam.id, epoch: b.epoch, answers: [{ questionId: 'q3', value: '接着写', revision: b.floor + 1 }] });
    expect(holder.superseded).toBe(false);
    expect(stored().q3).toEqual({ value: '接着写', revision: b.floor + 1 });
  });
});
