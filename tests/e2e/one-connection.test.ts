import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { assignInvigilator } from '@/server/services/setup';
import { makeStaff, PASSWORD } from '../fixtures/factories';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsCandidate, loginAsStaff, recordMetric, screenshot } from '../helpers/journeys';
import { enterFromMyExams, openExamTab, storedAnswer, writtenExam } from '../helpers/written-exam';

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

describe('one live connection per tab', () => {
  it('a candidate with two exam tabs and the message centre open: one stream per tab; the first tab’s answer, then (once the second tab holds the exam) the second tab’s, reach the database within 2 s over HTTP/1.1', async () => {
    const { exam, candidate } = await writtenExam(e2e.db);
    const context = await e2e.newContext();
    const first = await context.newPage();
    const firstStreams = openStreams(first);
    await loginAsCandidate(first, candidate.idNumber!, PASSWORD);
    // Enter once through My exams, as a candidate does; the other tab opens the same page.
    await enterFromMyExams(first, exam.id);

    // The first tab answers while it holds the exam; the answer is stored within 2 s.
    const text = '第一个标签页写下的作答';
    await first.getByTestId('sheet-tab-2').click();
    await first.getByTestId('answer-q4').fill(text);
    let started = Date.now();
    await expect.poll(() => storedAnswer(e2e.db, exam.id, candidate.id, 'q4'), { timeout: 2_000, interval: 50 }).toBe(text);
    recordMetric('answerSavedFirstTabMs', Date.now() - started);

    const second = await context.newPage();
    const secondStreams = openStreams(second);
    await openExamTab(second, exam.id);
    const centre = await context.newPage();
    const centreStreams = openStreams(centre);
    await centre.goto('/messages');

    // The app is served over plain HTTP/1.1 here: Chromium allows six connections to it per
    // profile, and these three tabs share them.
    expect(await first.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol)).toBe('http/1.1');
    // The first tab, read-only since the second opened, still holds its one stream (it hears
    // through it should yet another page take the exam).
    await expectOneLiveStream(first, firstStreams);
    await expectOneLiveStream(second, secondStreams);
    await expectOneLiveStream(centre, centreStreams);

    // One page holds the exam: the second tab answers now; the first is read-only.
    await expect.poll(() => first.getByTestId('answer-q4').isDisabled()).toBe(true);
    await second.getByTestId('answer-q1-1').check();
    started = Date.now();
    await expect.poll(() => storedAnswer(e2e.db, exam.id, candidate.id, 'q1'), { timeout: 2_000, interval: 50 }).toBe('B');
    recordMetric('answerSavedSecondTabMs', Date.now() - started);
    expect(storedAnswer(e2e.db, exam.id, candidate.id, 'q4')).toBe(text);
    await screenshot(second, 'one-connection-second-exam-tab');
  });

  it('staff pages hold one stream each: the invigilator grid (room and help badges) and the help desk', async () => {
    const { room } = await writtenExam(e2e.db);
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
