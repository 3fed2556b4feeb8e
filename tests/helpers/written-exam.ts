import { and, eq } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import type { Db } from '@/db/client';
import { answers, registrations } from '@/db/schema';
import { WRITTEN_NOTICE, WRITTEN_SHEETS } from '@/db/seed-content';
import { addQuestionSheet, createRoom, registerCandidate } from '@/server/services/setup';
import { makeCandidate, makeExam } from '../fixtures/factories';
import { passWrittenSteps } from './journeys';

/** A written exam under way (the seed's paper: q1-q3 on the first sheet, q4 on the second) with one candidate. */
export async function writtenExam(db: Db) {
  const exam = makeExam(db, { kind: 'written', opensIn: -5, closesIn: 30, startsIn: -1, durationMinutes: 60, notice: WRITTEN_NOTICE });
  const room = createRoom({ db, examId: exam.id, name: '笔试考场' });
  WRITTEN_SHEETS.forEach((sheet, position) => addQuestionSheet({ db, examId: exam.id, position, ...sheet }));
  const candidate = await makeCandidate(db);
  registerCandidate({ db, examId: exam.id, roomId: room.id, candidateId: candidate.id, seat: 1 });
  return { exam, room, candidate };
}

/** The candidate's registration for the exam, as the database holds it now. */
export const registrationOf = (db: Db, examId: number, candidateId: number) =>
  db
    .select()
    .from(registrations)
    .where(and(eq(registrations.examId, examId), eq(registrations.candidateId, candidateId)))
    .get()!;

/** The stored answer to one question, as the database holds it now. */
export function storedAnswer(db: Db, examId: number, candidateId: number, questionId: string) {
  const reg = registrationOf(db, examId, candidateId);
  return db
    .select()
    .from(answers)
    .where(and(eq(answers.registrationId, reg.id), eq(answers.questionId, questionId)))
    .get()?.value;
}

/** From My exams (signed in) through the notice and the entry steps to the paper, as a candidate does the first time. */
export async function enterFromMyExams(page: Page, examId: number) {
  const card = page.getByTestId(`exam-${examId}`);
  await card.getByTestId('read-notice').click();
  await page.getByTestId('notice-agree').check();
  await page.getByTestId('notice-accept').click();
  await card.getByTestId('enter-exam').click();
  await page.waitForURL(`**/exams/${examId}`);
  await passWrittenSteps(page);
  await page.getByTestId('answer-q1').waitFor({ timeout: 30_000 });
}

/** Opens the exam page in another tab: it walks through whichever entry steps it still shows, up to the paper. */
export async function openExamTab(page: Page, examId: number) {
  await page.goto(`/exams/${examId}`);
  const deadline = Date.now() + 30_000;
  while (!(await page.getByTestId('answer-q1').isVisible())) {
    if (Date.now() > deadline) throw new Error('the second exam tab never showed the paper');
    for (const step of ['share-screen', 'confirm-info', 'camera-ok', 'notice-read']) {
      const button = page.getByTestId(step);
      if (await button.isVisible()) await button.click().catch(() => {});
    }
    await page.waitForTimeout(200);
  }
}
