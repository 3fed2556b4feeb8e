import fs from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { expect } from 'vitest';
import { E2E } from './e2e-env';

export async function loginAsCandidate(page: Page, idNumber: string, password: string) {
  await page.goto('/login');
  // Face login comes first (the manual's order); password login is the second method.
  await page.getByTestId('login-method-password').click();
  await page.locator('input[name=idNumber]').fill(idNumber);
  await page.locator('input[name=password]').fill(password);
  await page.locator('button[type=submit]').click();
  await passProcessPage(page);
}

/** The device check's speakers step: play the test sound, then answer (heard it, or not). */
export async function heardTestSound(page: Page, heard = true) {
  await page.getByTestId('speakers-play').click();
  await expect.poll(() => page.getByTestId('speakers-test').getAttribute('data-played'), { timeout: 10_000 }).toBe('true');
  await page.getByTestId(heard ? 'speakers-heard' : 'speakers-not-heard').click();
}

/**
 * A candidate's first login lands on the exam-process page (factories' candidates have seen it,
 * imported ones have not); its button goes on to My exams, where every later login lands.
 */
export async function passProcessPage(page: Page) {
  await page.waitForURL((url) => url.pathname === '/exams' || url.pathname === '/process');
  if (new URL(page.url()).pathname === '/process') {
    await page.getByTestId('process-continue').click();
    await page.waitForURL('**/exams');
  }
}

export async function loginAsStaff(page: Page, username: string, password: string) {
  await page.goto('/login');
  await page.getByRole('tab').nth(1).click();
  await page.locator('input[name=username]').fill(username);
  await page.locator('input[name=password]').fill(password);
  await page.locator('button[type=submit]').click();
  // Each role has its own home (invigilators /rooms, support /desk, admins /admin/exams).
  await page.waitForURL((url) => !url.pathname.startsWith('/login'));
}

/**
 * The exam page's first step: the candidate clicks to share the screen, and the browser asks. The
 * test browser's fake picker (`--use-fake-ui-for-media-stream`) shares a test screen at once.
 */
export async function shareScreen(page: Page) {
  await page.getByTestId('share-screen').click({ timeout: 30_000 });
  await expect.poll(() => page.getByTestId('source-screen_share').getAttribute('data-on'), { timeout: 20_000 }).toBe('true');
}

/** A written exam's steps on a first visit, up to the paper (or the countdown before the start). */
export async function passWrittenSteps(page: Page) {
  await shareScreen(page);
  await page.getByTestId('confirm-info').click();
  await page.getByTestId('camera-ok').click();
  await page.getByTestId('notice-read').click();
}

/** Decoding state of a <video>: size, playback position and frames the browser decoded. */
export function videoState(video: Locator) {
  return video.evaluate((v: HTMLVideoElement) => ({
    width: v.videoWidth,
    height: v.videoHeight,
    currentTime: v.currentTime,
    framesDecoded: v.getVideoPlaybackQuality().totalVideoFrames,
  }));
}

/** Resolves once the video has a size and its decoded frame count is rising. */
export async function waitForDecodedVideo(video: Locator, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const s = await videoState(video).catch(() => null);
    if (s && s.width > 0 && last >= 0 && s.framesDecoded > last) return s;
    if (s) last = s.framesDecoded;
    if (Date.now() > deadline) throw new Error(`no decoded frames within ${timeoutMs} ms (last state ${JSON.stringify(s)})`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function screenshot(page: Page, name: string) {
  const file = path.join(E2E.artifacts, 'screenshots', `${name}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file });
  return file;
}

/** Numbers the journeys measured, for the closing note: tests/.artifacts/e2e-metrics.json. */
export function recordMetric(name: string, value: number) {
  const file = path.join(E2E.artifacts, 'e2e-metrics.json');
  const all = fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, number>) : {};
  all[name] = value;
  fs.writeFileSync(file, JSON.stringify(all, null, 2));
  console.log(`metric ${name} = ${value}`);
}

/** From the bound phone's confirm screen to filming. */
export async function startFilming(phone: Page, shots?: string) {
  await phone.getByTestId('phone-confirm').waitFor({ timeout: 15_000 });
  if (shots) await screenshot(phone, `${shots}-confirm`);
  await phone.getByTestId('phone-confirm-button').click();
  await phone.getByTestId('phone-guide').waitFor();
  if (shots) await screenshot(phone, `${shots}-guide`);
  await phone.getByTestId('phone-guide-done').click();
  await expect.poll(() => phone.getByTestId('phone-live').getAttribute('data-state'), { timeout: 20_000 }).toBe('live');
}
