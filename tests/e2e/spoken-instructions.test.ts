import { and, desc, eq } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { auditLog, exams, registrations } from '@/db/schema';
import { WRITTEN_SHEETS } from '@/db/seed-content';
import { SESSION_COOKIE, openSession } from '@/server/services/auth';
import { addAttachment, addQuestionSheet, createRoom, registerCandidate } from '@/server/services/setup';
import { sineWav } from '../fixtures/audio';
import { makeCandidate, makeExam, makeStaff, PASSWORD } from '../fixtures/factories';
import { launchBrowser } from '../helpers/browser';
import { useE2eSession } from '../helpers/e2e-session';
import { e2eAppUrl } from '../helpers/e2e-env';
import { loginAsCandidate, loginAsStaff, screenshot, shareScreen } from '../helpers/journeys';

const e2e = useE2eSession();

const MIN = 60_000;
const CAPTION = '各位考生：考试即将开始。请关闭手机等通讯工具，保持摄像头正对面部，独立作答。如遇问题请点击“求助”。';
const CAPTION_EN = 'Candidates: the exam is about to begin. Switch off your phone, keep your face in the camera and work alone.';

/** A written exam with one sheet and one candidate who has accepted the notice; entry opens in an hour unless `open`. */
async function writtenExam({ open }: { open: boolean }) {
  const exam = open
    ? makeExam(e2e.db, { opensIn: -5, closesIn: 30, startsIn: -1, durationMinutes: 30 })
    : makeExam(e2e.db, { opensIn: 60, closesIn: 120, startsIn: 90 });
  const room = createRoom({ db: e2e.db, examId: exam.id, name: '笔试考场' });
  addQuestionSheet({ db: e2e.db, examId: exam.id, position: 0, ...WRITTEN_SHEETS[0]! });
  const candidate = await makeCandidate(e2e.db);
  registerCandidate({ db: e2e.db, examId: exam.id, roomId: room.id, candidateId: candidate.id, seat: 1, acceptedAt: new Date() });
  return { exam, candidate };
}

/** The page's instructions player, as the browser sees it. */
const player = (page: Page) =>
  page.getByTestId('spoken-instructions-audio').evaluate((a: HTMLAudioElement) => ({ paused: a.paused, played: a.played.length, currentTime: a.currentTime }));

/** Playing for real: not paused, and the position moves on between two looks. */
async function expectPlaying(page: Page) {
  await expect.poll(() => page.getByTestId('spoken-instructions').getAttribute('data-state'), { timeout: 15_000 }).toBe('playing');
  const first = await player(page);
  expect(first).toMatchObject({ paused: false });
  expect(first.played).toBeGreaterThan(0);
  await expect.poll(async () => (await player(page)).currentTime, { timeout: 10_000 }).toBeGreaterThan(first.currentTime);
}

describe('spoken instructions', () => {
  it('an admin uploads a WAV with its caption; the candidate’s exam page plays it once with the caption shown, replays it on request, and not again after a reload', async () => {
    const { exam, candidate } = await writtenExam({ open: false });
    const admin = await makeStaff(e2e.db, 'admin');
    const adminPage = await e2e.newPage();
    await loginAsStaff(adminPage, admin.username!, PASSWORD);
    await adminPage.goto(`/admin/exams/${exam.id}/settings`);

    // The browser's type is not what decides: the bytes are a WAV, the name says .wav.
    const panel = adminPage.getByTestId('instructions-panel');
    await panel
      .getByTestId('instructions-file-input')
      .setInputFiles({ name: '考试说明.wav', mimeType: 'application/octet-stream', buffer: sineWav({ seconds: 5 }) });
    await expect.poll(() => panel.getByTestId('instructions-file-name').textContent(), { timeout: 15_000 }).toBe('考试说明.wav');
    await panel.getByTestId('instructions-caption').fill(CAPTION);
    await panel.getByTestId('instructions-caption-save').click();
    await panel.getByTestId('instructions-caption-saved').waitFor();
    await adminPage.getByTestId('settings-instructions').evaluate((el) => el.scrollIntoView({ block: 'center' }));
    await screenshot(adminPage, 'admin-spoken-instructions');
    expect(e2e.db.select({ caption: exams.instructionsCaption }).from(exams).where(eq(exams.id, exam.id)).get()!.caption).toBe(CAPTION);
    const actions = e2e.db.select({ action: auditLog.action }).from(auditLog).where(eq(auditLog.examId, exam.id)).orderBy(desc(auditLog.id)).all();
    expect(actions.map((a) => a.action).slice(0, 2)).toEqual(['instructions.caption_changed', 'instructions.uploaded']);

    // Exam day: entry opened five minutes ago, the paper a minute ago.
    const now = Date.now();
    e2e.db
      .update(exams)
      .set({ entryOpensAt: new Date(now - 5 * MIN), entryClosesAt: new Date(now + 30 * MIN), startsAt: new Date(now - MIN), durationMinutes: 30 })
      .where(eq(exams.id, exam.id))
      .run();

    const page = await e2e.newPage();
    await loginAsCandidate(page, candidate.idNumber!, PASSWORD);
    await page.getByTestId(`exam-${exam.id}`).getByTestId('enter-exam').click();
    await page.waitForURL(`**/exams/${exam.id}`);
    await shareScreen(page);
    await page.getByTestId('confirm-info').click();
    await page.getByTestId('camera-ok').click();
    // Nothing plays during the entry steps.
    expect(await page.getByTestId('spoken-instructions').count()).toBe(0);
    await page.getByTestId('notice-read').click();

    // Reaching the exam: it plays by itself, caption shown, beside the paper (not over the submit button).
    await expectPlaying(page);
    await expect(page.getByTestId('spoken-instructions-caption').textContent()).resolves.toBe(CAPTION);
    await page.getByTestId('answer-q1').waitFor({ timeout: 20_000 });
    await expect(page.getByTestId('submit-exam').isVisible()).resolves.toBe(true);
    await screenshot(page, 'candidate-spoken-instructions-playing');

    // Five seconds of tone: it ends, the caption folds away, replay starts it from the beginning.
    await expect.poll(() => page.getByTestId('spoken-instructions').getAttribute('data-state'), { timeout: 20_000 }).toBe('ended');
    expect(await page.getByTestId('spoken-instructions-caption').count()).toBe(0);
    await screenshot(page, 'candidate-spoken-instructions-ended');
    await page.getByTestId('spoken-instructions-replay').click();
    await expectPlaying(page);
    expect((await player(page)).currentTime).toBeLessThan(5);
    await expect(page.getByTestId('spoken-instructions-caption').isVisible()).resolves.toBe(true);

    // A reload (steps remembered on this device) goes back to the paper without playing it again.
    await page.reload();
    await shareScreen(page);
    await page.getByTestId('answer-q1').waitFor({ timeout: 20_000 });
    await page.getByTestId('spoken-instructions').waitFor();
    expect(await player(page)).toMatchObject({ paused: true, played: 0 });
    expect(await page.getByTestId('spoken-instructions').getAttribute('data-state')).toBe('idle');
  });

  /**
   * The candidate's exam page in `context`, opened with no click ever made: the session cookie is
   * set directly and the entry steps are done already (on the server and on this device). Resolves
   * with how the page's first play() of the instructions ended, read from the console (the init
   * script only watches play(), it decides nothing): any Playwright evaluation (a locator, a poll)
   * runs with a user gesture in Chromium and would let the audio play, so nothing looks at the
   * page before that answer.
   */
  async function openWithoutGesture(context: BrowserContext) {
    const { exam, candidate } = await writtenExam({ open: true });
    e2e.db.update(exams).set({ instructionsCaption: CAPTION_EN }).where(eq(exams.id, exam.id)).run();
    addAttachment({
      db: e2e.db,
      examId: exam.id,
      fileName: 'instructions.wav',
      contentType: 'audio/wav',
      content: sineWav({ seconds: 5 }),
      purpose: 'instructions',
    });
    e2e.db
      .update(registrations)
      .set({ infoConfirmedAt: new Date() })
      .where(and(eq(registrations.examId, exam.id), eq(registrations.candidateId, candidate.id)))
      .run();
    const { token } = openSession({ db: e2e.db, user: candidate });
    await context.addCookies([
      { name: SESSION_COOKIE, value: token, url: e2eAppUrl },
      { name: 'NEXT_LOCALE', value: 'en', url: e2eAppUrl },
    ]);
    await context.addInitScript(
      ([key]) => {
        window.localStorage.setItem(key!, JSON.stringify({ cameraOk: true, noticeRead: true }));
        const play = HTMLMediaElement.prototype.play;
        HTMLMediaElement.prototype.play = function (this: HTMLMediaElement) {
          const result = play.call(this);
          if (this.dataset.testid === 'spoken-instructions-audio')
            result.then(
              () => console.log('instructions-play:ok'),
              (err: DOMException) => console.log(`instructions-play:${err.name}`),
            );
          return result;
        };
      },
      [`exam.steps.${exam.id}.${candidate.id}`],
    );
    const page = await context.newPage();
    const firstPlay = page.waitForEvent('console', { predicate: (m) => m.text().startsWith('instructions-play:'), timeout: 30_000 });
    await page.goto(`/exams/${exam.id}`);
    return { page, firstPlay: (await firstPlay).text() };
  }

  /** The refused page: a button that says what to do, the caption, nothing played; the click plays. */
  async function expectBlockedThenPlayed(page: Page, shots: string) {
    await expect.poll(() => page.getByTestId('spoken-instructions').getAttribute('data-state')).toBe('blocked');
    const play = page.getByTestId('spoken-instructions-play');
    await expect(play.textContent()).resolves.toBe('Play the spoken instructions');
    await expect(page.getByTestId('spoken-instructions-caption').textContent()).resolves.toBe(CAPTION_EN);
    expect(await player(page)).toMatchObject({ paused: true, played: 0 });
    // The page opens at the screen-share step (its click would be a gesture): the button waits above it.
    await page.getByTestId('screen-share-step').waitFor({ timeout: 20_000 });
    await screenshot(page, `${shots}-blocked-en`);
    await play.click();
    await expectPlaying(page);
    await screenshot(page, `${shots}-playing-en`);
  }

  it('a Chromium whose autoplay policy wants a user gesture refuses the first play; the page shows a “play” button and its click plays (English)', async () => {
    const browser = await launchBrowser({ args: ['--autoplay-policy=user-gesture-required'] });
    try {
      const context = await browser.newContext({
        baseURL: e2eAppUrl,
        viewport: { width: 1366, height: 768 },
        locale: 'en',
        permissions: ['camera', 'microphone'],
      });
      const { page, firstPlay } = await openWithoutGesture(context);
      expect(firstPlay).toBe('instructions-play:NotAllowedError');
      await expectBlockedThenPlayed(page, 'candidate-spoken-instructions');
    } finally {
      await browser.close();
    }
  });
});
