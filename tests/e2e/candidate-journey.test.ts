import { and, eq } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { answers, registrations } from '@/db/schema';
import { INTERVIEW_SHEETS, WRITTEN_NOTICE, WRITTEN_SHEETS } from '@/db/seed-content';
import { addQuestionSheet, createRoom, registerCandidate } from '@/server/services/setup';
import { makeCandidate, makeExam, PASSWORD } from '../fixtures/factories';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsCandidate, passWrittenSteps, screenshot, shareScreen } from '../helpers/journeys';

const e2e = useE2eSession();

async function newPage(): Promise<{ page: Page; context: BrowserContext }> {
  const context = await e2e.newContext();
  return { page: await context.newPage(), context };
}

/** An exam of the given kind with the demo content, one room, one candidate who has done nothing yet. */
async function examFor(kind: 'written' | 'interview', timing: { startsIn: number; durationMinutes: number }) {
  const exam = makeExam(e2e.db, { kind, opensIn: -5, closesIn: 30, notice: WRITTEN_NOTICE, ...timing });
  const room = createRoom({ db: e2e.db, examId: exam.id, name: kind === 'written' ? '笔试考场' : '面试室' });
  const sheets = kind === 'written' ? WRITTEN_SHEETS : INTERVIEW_SHEETS.map((s) => ({ ...s, questions: [] }));
  sheets.forEach((sheet, position) => addQuestionSheet({ db: e2e.db, examId: exam.id, position, ...sheet }));
  const candidate = await makeCandidate(e2e.db);
  registerCandidate({ db: e2e.db, examId: exam.id, roomId: room.id, candidateId: candidate.id, seat: 1 });
  return { exam, room, candidate };
}

const registrationOf = (examId: number, candidateId: number) =>
  e2e.db
    .select()
    .from(registrations)
    .where(and(eq(registrations.examId, examId), eq(registrations.candidateId, candidateId)))
    .get()!;

async function acceptNotice(page: Page, examId: number) {
  const card = page.getByTestId(`exam-${examId}`);
  await card.getByTestId('read-notice').click();
  const dialog = page.getByTestId('notice-dialog');
  await dialog.waitFor();
  await dialog.getByTestId('notice-agree').check();
  await dialog.getByTestId('notice-accept').click();
  await dialog.waitFor({ state: 'hidden' });
}

/** Everything the server sent to the page, to prove what it did not send. */
function recordResponses(page: Page) {
  const bodies: string[] = [];
  page.on('response', async (res) => {
    if (res.url().includes('/api/trpc/')) bodies.push(await res.text().catch(() => ''));
  });
  return bodies;
}

describe('the candidate journey, as in the manual', () => {
  it('a written exam: accept the notice, enter, wait, answer, reload, lose the network, submit', async () => {
    const { exam, candidate } = await examFor('written', { startsIn: 0.5, durationMinutes: 10 });
    const { page, context } = await newPage();
    const seen = recordResponses(page);
    await loginAsCandidate(page, candidate.idNumber!, PASSWORD);

    const card = page.getByTestId(`exam-${exam.id}`);
    await card.waitFor();
    // Entry needs the notice accepted first.
    await expect(
      card
        .getByTestId('enter-exam')
        .getAttribute('aria-disabled')
        .catch(() => null),
    ).resolves.not.toBe('false');
    await acceptNotice(page, exam.id);
    await screenshot(page, 'candidate-my-exams-accepted');
    await card.getByTestId('enter-exam').click();
    await page.waitForURL(`**/exams/${exam.id}`);

    await passWrittenSteps(page);
    await page.getByTestId('waiting-countdown').waitFor();
    await screenshot(page, 'written-waiting');
    // Before the start nothing of the paper has reached the browser.
    expect(seen.join('\n')).not.toContain(WRITTEN_SHEETS[0]!.questions[0]!.prompt);
    expect(await page.content()).not.toContain(WRITTEN_SHEETS[0]!.questions[0]!.prompt);

    // At the start the paper appears by itself.
    await page.getByTestId('answer-q1').waitFor({ timeout: 45_000 });
    await page.getByTestId('answer-q1-1').check();
    await page.getByTestId('answer-q2-0').check();
    await page.getByTestId('answer-q2-3').check();
    await expect.poll(() => page.getByTestId('save-status').getAttribute('data-state'), { timeout: 15_000 }).toBe('saved');
    await screenshot(page, 'written-answering');

    // A reload keeps every answer; the new page asks for the screen again (a browser permission).
    await page.reload();
    await shareScreen(page);
    await page.getByTestId('answer-q1').waitFor({ timeout: 20_000 });
    await expect(page.getByTestId('answer-q1-1').isChecked()).resolves.toBe(true);
    await expect(page.getByTestId('answer-q2-3').isChecked()).resolves.toBe(true);

    // Offline: edits are queued, then sent when the network is back.
    await page.getByTestId('sheet-tab-2').click();
    await context.setOffline(true);
    await page.getByTestId('answer-q4').fill('数字化让基层治理更精准，也带来了数据安全的新挑战。');
    await expect.poll(() => page.getByTestId('save-status').getAttribute('data-state'), { timeout: 15_000 }).toBe('queued');
    await screenshot(page, 'written-offline');
    await context.setOffline(false);
    await expect.poll(() => page.getByTestId('save-status').getAttribute('data-state'), { timeout: 20_000 }).toBe('saved');
    const reg = registrationOf(exam.id, candidate.id);
    const stored = e2e.db.select().from(answers).where(eq(answers.registrationId, reg.id)).all();
    expect(Object.fromEntries(stored.map((a) => [a.questionId, a.value]))).toMatchObject({
      // Choices are stored as option letters.
      q1: 'B',
      q2: ['A', 'D'],
      q4: '数字化让基层治理更精准，也带来了数据安全的新挑战。',
    });

    await page.getByTestId('submit-exam').click();
    await page.getByTestId('confirm-submit').click();
    await page.getByTestId('back-home').waitFor({ timeout: 20_000 });
    await screenshot(page, 'written-done');
    expect(registrationOf(exam.id, candidate.id).finishReason).toBe('submitted');
  });

  it('a written exam submits itself when the time runs out', async () => {
    // Started 20 s ago, one minute long: about 40 s left when the candidate arrives.
    const { exam, candidate } = await examFor('written', { startsIn: -20 / 60, durationMinutes: 1 });
    const { page } = await newPage();
    await loginAsCandidate(page, candidate.idNumber!, PASSWORD);
    await acceptNotice(page, exam.id);
    await page.getByTestId(`exam-${exam.id}`).getByTestId('enter-exam').click();
    await page.waitForURL(`**/exams/${exam.id}`);
    await passWrittenSteps(page);
    await page.getByTestId('answer-q1').waitFor({ timeout: 20_000 });
    await page.getByTestId('answer-q1-1').check();
    await page.getByTestId('back-home').waitFor({ timeout: 70_000 });
    const reg = registrationOf(exam.id, candidate.id);
    expect(reg.finishReason).toBe('timeout');
    expect(
      e2e.db
        .select()
        .from(answers)
        .where(eq(answers.registrationId, reg.id))
        .all()
        .map((a) => a.questionId),
    ).toContain('q1');
  });

  it('an interview: draw a lot, accept, confirm devices, wait, the material appears, end the exam', async () => {
    const { exam, candidate } = await examFor('interview', { startsIn: 0.5, durationMinutes: 10 });
    const { page } = await newPage();
    const seen = recordResponses(page);
    await loginAsCandidate(page, candidate.idNumber!, PASSWORD);
    const card = page.getByTestId(`exam-${exam.id}`);
    await card.getByTestId('draw-lot').click();
    await expect.poll(() => card.getByTestId('lot-number').textContent()).toMatch(/1/);
    expect(registrationOf(exam.id, candidate.id).lotNumber).toBe(1);
    await acceptNotice(page, exam.id);
    await card.getByTestId('enter-exam').click();
    await page.waitForURL(`**/exams/${exam.id}`);

    await shareScreen(page);
    await page.getByTestId('camera-preview').waitFor();
    await screenshot(page, 'interview-device-confirmation');
    await page
      .getByRole('button', { name: /确认|Confirm/ })
      .last()
      .click();
    await page.getByTestId('waiting-countdown').waitFor();
    await screenshot(page, 'interview-waiting');
    expect(seen.join('\n')).not.toContain(INTERVIEW_SHEETS[0]!.body.slice(0, 20));

    await page.getByTestId('question-material').waitFor({ timeout: 45_000 });
    await expect(page.getByTestId('question-material').textContent()).resolves.toContain(INTERVIEW_SHEETS[0]!.body.slice(0, 20));
    await page.getByTestId('sheet-tab-2').click();
    await expect(page.getByTestId('question-material').textContent()).resolves.toContain(INTERVIEW_SHEETS[1]!.body.slice(0, 10));
    await screenshot(page, 'interview-material');

    await page.getByTestId('end-exam').click();
    await page.getByTestId('confirm-end').click();
    await page.getByTestId('back-home').waitFor({ timeout: 20_000 });
    expect(registrationOf(exam.id, candidate.id).finishReason).toBe('ended');
    await screenshot(page, 'interview-done');
  });
});
