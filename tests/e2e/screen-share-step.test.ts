import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { exams } from '@/db/schema';
import { makeQuestionSheet, makeRoomScenario, PASSWORD } from '../fixtures/factories';
import { launchBrowser, newContext } from '../helpers/browser';
import { e2eAppUrl } from '../helpers/e2e-env';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsCandidate, passWrittenSteps, screenshot, shareScreen } from '../helpers/journeys';
import { registrationOf } from '../helpers/written-exam';

const e2e = useE2eSession();

type DisplayRequest = { activation: boolean | null; during: string | null; options: Record<string, unknown> };

/**
 * An init script around getDisplayMedia: records each call, with whether the page had the
 * user's activation and which event was being dispatched at that moment (`window.event` is only
 * set while a handler runs, so 'click' means the call was made synchronously inside the click,
 * as Safari and Firefox require). `answers` scripts the candidate's first choices in the picker:
 * 'cancel' rejects as Chromium does when the picker is closed; 'window' asks the fake picker for a
 * window instead of the screen (it honours the displaySurface hint), a real window track.
 */
function scriptScreenPicker(answers: string[]) {
  const md = navigator.mediaDevices;
  if (!md) return;
  const real = md.getDisplayMedia.bind(md);
  const calls: DisplayRequest[] = [];
  (window as unknown as { __displayRequests: DisplayRequest[] }).__displayRequests = calls;
  md.getDisplayMedia = (options) => {
    calls.push({
      activation: navigator.userActivation?.isActive ?? null,
      during: (window.event as Event | undefined)?.type ?? null,
      options: JSON.parse(JSON.stringify(options ?? {})) as Record<string, unknown>,
    });
    const answer = answers[calls.length - 1];
    if (answer === 'cancel') return Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
    if (answer === 'window') return real({ ...options, video: { ...(typeof options?.video === 'object' ? options.video : {}), displaySurface: 'window' } });
    return real(options);
  };
}

const displayRequests = (page: Page) => page.evaluate(() => (window as unknown as { __displayRequests: DisplayRequest[] }).__displayRequests);

/** A written exam that started a minute ago, its candidate registered with the notice accepted. */
async function sitting({ cameraRecheckOnReturn = true } = {}) {
  const s = await makeRoomScenario(e2e.db, { candidates: 1, exam: { startsIn: -1, durationMinutes: 30 } });
  makeQuestionSheet(e2e.db, s.exam.id);
  if (!cameraRecheckOnReturn) e2e.db.update(exams).set({ cameraRecheckOnReturn }).where(eq(exams.id, s.exam.id)).run();
  return { exam: s.exam, candidate: s.candidates[0]! };
}

async function cameraAndMicrophoneLive(page: Page) {
  for (const s of ['camera', 'microphone']) {
    await expect.poll(() => page.getByTestId(`source-${s}`).getAttribute('data-on'), { timeout: 30_000 }).toBe('true');
  }
}

const browsers: Browser[] = [];
afterAll(async () => {
  for (const b of browsers) await b.close().catch(() => {});
});

describe('the screen-share step', () => {
  it('a candidate in Chromium without the fake picker: no screen request until the click, then one made inside the click, with the whole-screen hints', async () => {
    const { exam, candidate } = await sitting();
    const browser = await launchBrowser({ realScreenPicker: true });
    browsers.push(browser);
    const context = await newContext(browser, e2eAppUrl);
    await context.addInitScript(scriptScreenPicker, []);
    const page = await context.newPage();
    await loginAsCandidate(page, candidate.idNumber!, PASSWORD);
    await page.goto(`/exams/${exam.id}`);

    // Entered and publishing camera and microphone, and the screen not asked for.
    await page.getByTestId('screen-share-step').waitFor({ timeout: 30_000 });
    await cameraAndMicrophoneLive(page);
    expect(await displayRequests(page)).toEqual([]);
    const steps = page.getByTestId('written-steps');
    await expect(steps.locator('li', { has: page.locator('[aria-current=step]') }).textContent()).resolves.toContain('共享屏幕');
    await screenshot(page, 'screen-share-step-zh');

    await page.getByTestId('share-screen').click();
    await expect.poll(() => displayRequests(page).then((r) => r.length)).toBe(1);
    const [request] = await displayRequests(page);
    expect(request).toMatchObject({
      activation: true,
      during: 'click',
      options: {
        audio: false,
        video: { displaySurface: 'monitor' },
        monitorTypeSurfaces: 'include',
        selfBrowserSurface: 'exclude',
        surfaceSwitching: 'exclude',
      },
    });
    // Chromium's own picker is now open; headless Chromium cannot show or answer it, so the
    // request stays pending and the step says to choose in the browser's window.
    await expect.poll(() => page.getByTestId('share-screen').isDisabled()).toBe(true);
    await expect(page.getByTestId('source-screen_share').getAttribute('data-on')).resolves.toBe('false');
    // Each page left open keeps publishing video: later tests on two shared cores would pay for it.
    await browser.close();
  });

  it('a candidate who cancels the picker, then picks a window, is told why and asked again; the whole screen is then published', async () => {
    const { exam, candidate } = await sitting();
    const context = await e2e.newContext();
    await context.addInitScript(scriptScreenPicker, ['cancel', 'window']);
    const page = await context.newPage();
    await loginAsCandidate(page, candidate.idNumber!, PASSWORD);
    await page.goto(`/exams/${exam.id}`);
    await page.getByTestId('screen-share-step').waitFor({ timeout: 30_000 });
    await cameraAndMicrophoneLive(page);

    await page.getByTestId('share-screen').click();
    await expect.poll(() => page.getByTestId('screen-share-problem').getAttribute('data-problem')).toBe('cancelled');
    await screenshot(page, 'screen-share-cancelled-zh');

    await page.getByTestId('share-screen').click();
    await expect.poll(() => page.getByTestId('screen-share-problem').getAttribute('data-problem'), { timeout: 15_000 }).toBe('notWholeScreen');
    // The window is not published, and its capture is stopped.
    await expect(page.getByTestId('source-screen_share').getAttribute('data-on')).resolves.toBe('false');
    await screenshot(page, 'screen-share-window-zh');

    await page.getByTestId('share-screen').click();
    await expect.poll(() => page.getByTestId('source-screen_share').getAttribute('data-on'), { timeout: 20_000 }).toBe('true');
    await page.getByTestId('confirm-info').waitFor();
    const requests = await displayRequests(page);
    expect(requests).toHaveLength(3);
    expect(requests.every((r) => r.activation && r.during === 'click')).toBe(true);
    await context.close();
  });

  it('the step in English says what is shared and why', async () => {
    const { exam, candidate } = await sitting();
    const context = await e2e.newContext();
    await context.addCookies([{ name: 'NEXT_LOCALE', value: 'en', url: e2eAppUrl }]);
    await context.addInitScript(scriptScreenPicker, ['window']);
    const page = await context.newPage();
    await loginAsCandidate(page, candidate.idNumber!, PASSWORD);
    await page.goto(`/exams/${exam.id}`);
    const step = page.getByTestId('screen-share-step');
    await step.waitFor({ timeout: 30_000 });
    await expect(step.textContent()).resolves.toContain('Entire screen');
    await cameraAndMicrophoneLive(page);
    await screenshot(page, 'screen-share-step-en');
    await page.getByTestId('share-screen').click();
    await expect.poll(() => page.getByTestId('screen-share-problem').getAttribute('data-problem'), { timeout: 15_000 }).toBe('notWholeScreen');
    await screenshot(page, 'screen-share-window-en');
    await context.close();
  });
});

/** The candidate's first visit: every step, an answer saved. */
async function firstVisit(examId: number, idNumber: string) {
  const page = await e2e.newPage();
  await loginAsCandidate(page, idNumber, PASSWORD);
  await page.goto(`/exams/${examId}`);
  await passWrittenSteps(page);
  await page.getByTestId('answer-q1').waitFor({ timeout: 30_000 });
  await page.getByTestId('answer-q1-1').check();
  await expect.poll(() => page.getByTestId('save-status').getAttribute('data-state'), { timeout: 15_000 }).toBe('saved');
  await page.close();
}

describe('coming back mid-exam from another browser', () => {
  it('a candidate returning in a new browser context shares the screen, checks the camera again, and is back at the paper with the answer', async () => {
    const { exam, candidate } = await sitting();
    await firstVisit(exam.id, candidate.idNumber!);
    const reg = registrationOf(e2e.db, exam.id, candidate.id);
    expect(reg.infoConfirmedAt).toBeInstanceOf(Date);
    expect(reg.noticeReadAt).toBeInstanceOf(Date);

    // A new context: no localStorage, no cookies, as another browser.
    const page = await e2e.newPage();
    await loginAsCandidate(page, candidate.idNumber!, PASSWORD);
    await page.goto(`/exams/${exam.id}`);
    await page.getByTestId('screen-share-step').waitFor({ timeout: 30_000 });
    const labels = await page.getByTestId('written-steps').locator('li').allTextContents();
    expect(labels).toHaveLength(3);
    await shareScreen(page);
    await page.getByTestId('camera-ok').click();
    await page.getByTestId('answer-q1').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('answer-q1-1').isChecked()).resolves.toBe(true);
    await expect(page.getByTestId('confirm-info').count()).resolves.toBe(0);
    // The first read stands.
    expect(registrationOf(e2e.db, exam.id, candidate.id).noticeReadAt).toEqual(reg.noticeReadAt);
    await page.close();
  });

  it('a candidate returning to an exam without the camera recheck goes from sharing the screen straight to the paper', async () => {
    const { exam, candidate } = await sitting({ cameraRecheckOnReturn: false });
    await firstVisit(exam.id, candidate.idNumber!);

    const page = await e2e.newPage();
    await loginAsCandidate(page, candidate.idNumber!, PASSWORD);
    await page.goto(`/exams/${exam.id}`);
    await shareScreen(page);
    await page.getByTestId('answer-q1').waitFor({ timeout: 30_000 });
    await expect(page.getByTestId('answer-q1-1').isChecked()).resolves.toBe(true);
    await expect(page.getByTestId('camera-ok').count()).resolves.toBe(0);
    await screenshot(page, 'return-straight-to-paper');
    await page.close();
  });
});
