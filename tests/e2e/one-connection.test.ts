import { and, eq } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { answers, registrations } from '@/db/schema';
import { WRITTEN_NOTICE, WRITTEN_SHEETS } from '@/db/seed-content';
import { addQuestionSheet, createRoom, registerCandidate, assignInvigilator } from '@/server/services/setup';
import { makeCandidate, makeExam, makeStaff, PASSWORD } from '../fixtures/factories';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsCandidate, loginAsStaff, recordMetric, screenshot } from '../helpers/journeys';

const e2e = useE2eSession();

/**
 * The long-lived requests a page holds open on the app right now: requests still waiting for
 * their response to end after 3 s. A live stream never ends, so once the page settles these are
 * the live connections the tab holds (the old pages held one EventSource per topic); an
 * ordinary call or an upload chunk is over long before.
 */
function openStreams(page: Page) {
  const open = new Map<object, { path: string; since: number }>();
  page.on('request', (r) => {
    const path = new URL(r.url()).pathname;
    if (path.startsWith('/api/')) open.set(r, { path, since: Date.now() });
  });
  const done = (r: object) => open.delete(r);
  page.on('requestfinished', done);
  page.on('requestfailed', done);
  return () =>
    [...open.values()]
      .filter((r) => Date.now() - r.since > 3_000)
      .map((r) => r.path)
      .sort();
}

/** Waits until the page holds exactly one live stream and nothing else open for a while. */
async function expectOneLiveStream(page: Page, streams: () => string[]) {
  await expect.poll(streams, { timeout: 20_000, interval: 250 }).toEqual(['/api/live']);
  // Still one a while later: no second stream was on its way.
  await page.waitForTimeout(3_500);
  expect(streams()).toEqual(['/api/live']);
}

async function writtenExam() {
  const exam = makeExam(e2e.db, { kind: 'written', opensIn: -5, closesIn: 30, startsIn: -1, durationMinutes: 60, notice: WRITTEN_NOTICE });
  const room = createRoom({ db: e2e.db, examId: exam.id, name: '笔试考场' });
  WRITTEN_SHEETS.forEach((sheet, position) => addQuestionSheet({ db: e2e.db, examId: exam.id, position, ...sheet }));
  const candidate = await makeCandidate(e2e.db);
  registerCandidate({ db: e2e.db, examId: exam.id, roomId: room.id, candidateId: candidate.id, seat: 1 });
  return { exam, room, candidate };
}

const storedAnswer = (examId: number, candidateId: number, questionId: string) => {
  const reg = e2e.db
    .select()
    .from(registrations)
    .where(and(eq(registrations.examId, examId), eq(registrations.candidateId, candidateId)))
    .get()!;
  return e2e.db
    .select()
    .from(answers)
    .where(and(eq(answers.registrationId, reg.id), eq(answers.questionId, questionId)))
    .get()?.value;
};

/** Opens the exam page in another tab: it walks through whichever entry steps it still shows, up to the paper. */
async function openExamTab(page: Page, examId: number) {
  await page.goto(`/exams/${examId}`);
  const deadline = Date.now() + 30_000;
  while (!(await page.getByTestId('answer-q1').isVisible())) {
    if (Date.now() > deadline) throw new Error('the second exam tab never showed the paper');
    for (const step of ['confirm-info', 'camera-ok', 'notice-read']) {
      const button = page.getByTestId(step);
      if (await button.isVisible()) await button.click().catch(() => {});
    }
    await page.waitForTimeout(200);
  }
}

describe('one live connection per tab', () => {
  it('a candidate with two exam tabs and the message centre open: one stream per tab, and both tabs’ answers reach the database within 2 s over HTTP/1.1', async () => {
    const { exam, candidate } = await writtenExam();
    const context = await e2e.newContext();
    const first = await context.newPage();
    const firstStreams = openStreams(first);
    await loginAsCandidate(first, candidate.idNumber!, PASSWORD);
    // Enter once through My exams, as a candidate does; the other tab opens the same page.
    const card = first.getByTestId(`exam-${exam.id}`);
    await card.getByTestId('read-notice').click();
    await first.getByTestId('notice-agree').check();
    await first.getByTestId('notice-accept').click();
    await card.getByTestId('enter-exam').click();
    await first.waitForURL(`**/exams/${exam.id}`);
    await first.getByTestId('confirm-info').click();
    await first.getByTestId('camera-ok').click();
    await first.getByTestId('notice-read').click();
    await first.getByTestId('answer-q1').waitFor({ timeout: 30_000 });

    const second = await context.newPage();
    const secondStreams = openStreams(second);
    await openExamTab(second, exam.id);
    const centre = await context.newPage();
    const centreStreams = openStreams(centre);
    await centre.goto('/messages');

    // The app is served over plain HTTP/1.1 here: Chromium allows six connections to it per
    // profile, and these three tabs share them.
    expect(await first.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol)).toBe('http/1.1');
    await expectOneLiveStream(first, firstStreams);
    await expectOneLiveStream(second, secondStreams);
    await expectOneLiveStream(centre, centreStreams);

    // Each tab answers a question of its own; each answer is stored within 2 s.
    const text = '第一个标签页写下的作答';
    await first.getByTestId('sheet-tab-2').click();
    await first.getByTestId('answer-q4').fill(text);
    let started = Date.now();
    await expect.poll(() => storedAnswer(exam.id, candidate.id, 'q4'), { timeout: 2_000, interval: 50 }).toBe(text);
    recordMetric('answerSavedFirstTabMs', Date.now() - started);
    await second.getByTestId('answer-q1-1').check();
    started = Date.now();
    await expect.poll(() => storedAnswer(exam.id, candidate.id, 'q1'), { timeout: 2_000, interval: 50 }).toBe('B');
    recordMetric('answerSavedSecondTabMs', Date.now() - started);
    await screenshot(second, 'one-connection-second-exam-tab');
  });

  it('staff pages hold one stream each: the invigilator grid (room and help badges) and the help desk', async () => {
    const { room } = await writtenExam();
    const invigilator = await makeStaff(e2e.db, 'invigilator');
    assignInvigilator({ db: e2e.db, roomId: room.id, userId: invigilator.id });
    const support = await makeStaff(e2e.db, 'support');

    const grid = await (await e2e.newContext()).newPage();
    const gridStreams = openStreams(grid);
    await loginAsStaff(grid, invigilator.username!, PASSWORD);
    await grid.goto(`/rooms/${room.id}`);
    await expectOneLiveStream(grid, gridStreams);

    const desk = await (await e2e.newContext()).newPage();
    const deskStreams = openStreams(desk);
    await loginAsStaff(desk, support.username!, PASSWORD);
    await desk.goto('/desk');
    await desk.getByTestId('help-desk').waitFor();
    await expectOneLiveStream(desk, deskStreams);
  });
});
