import { desc, eq } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { deviceChecks, exams, users } from '@/db/schema';
import { LOCALE_COOKIE } from '@/server/i18n/config';
import { createRoom, registerCandidate } from '@/server/services/setup';
import { makeExam, makeRoomScenario, PASSWORD } from '../fixtures/factories';
import { useE2eSession } from '../helpers/e2e-session';
import { e2eAppUrl } from '../helpers/e2e-env';
import { heardTestSound, screenshot, shareScreen } from '../helpers/journeys';

const e2e = useE2eSession();

/**
 * A candidate who never logged in, placed in a written exam whose entry is open and which requires
 * the device check (the phone witness stays optional), plus a second exam later on, as My exams
 * usually holds more than one.
 */
async function firstTimer() {
  const { exam, room, candidates } = await makeRoomScenario(e2e.db, { candidates: 1, ready: false, exam: { opensIn: -5, closesIn: 40, startsIn: 30 } });
  const cand = candidates[0]!;
  e2e.db.update(exams).set({ deviceCheckRequired: true }).where(eq(exams.id, exam.id)).run();
  e2e.db.update(users).set({ processSeenAt: null }).where(eq(users.id, cand.id)).run();
  const later = makeExam(e2e.db, { opensIn: 24 * 60, closesIn: 24 * 60 + 30, startsIn: 24 * 60 + 20, kind: 'interview' });
  const laterRoom = createRoom({ db: e2e.db, examId: later.id, name: '第 2 考场' });
  registerCandidate({ db: e2e.db, examId: later.id, roomId: laterRoom.id, candidateId: cand.id, seat: 1 });
  return { exam, room, cand };
}

async function passwordLogin(page: Page, idNumber: string) {
  await page.goto('/login');
  await page.getByTestId('login-method-password').click();
  await page.locator('input[name=idNumber]').fill(idNumber);
  await page.locator('input[name=password]').fill(PASSWORD);
  await page.locator('button[type=submit]').click();
  await page.waitForURL((url) => url.pathname === '/exams' || url.pathname === '/process');
  return new URL(page.url()).pathname;
}

/** Camera and microphone on, the speakers answered, 10 seconds recorded and confirmed. */
async function passDeviceCheck(page: Page, heard: boolean) {
  await page.getByTestId('start-devices').click();
  await page.getByTestId('camera-preview').waitFor();
  await heardTestSound(page, heard);
  await page.getByTestId('start-recording').click();
  await page.getByTestId('playback').waitFor({ timeout: 30_000 });
  await page.getByTestId('confirm-ok').click();
  await page.getByTestId('device-check-next').waitFor();
}

const stateOf = (page: Page, examId: number, key: string) => page.getByTestId(`exam-${examId}`).getByTestId(`path-${key}`).getAttribute('data-state');

describe('a first-time candidate is led through the steps', () => {
  it('process page once, My exams with the steps, a required device check blocks entry with a link, the check with speakers, next step, entry', async () => {
    const { exam, cand } = await firstTimer();
    const ctx = await e2e.newContext();
    const page = await ctx.newPage();

    // First login: the exam-process page, once, with a way on to My exams.
    expect(await passwordLogin(page, cand.idNumber!)).toBe('/process');
    await page.getByTestId('process-welcome').waitFor();
    await expect.poll(() => e2e.db.select().from(users).where(eq(users.id, cand.id)).get()!.processSeenAt).toBeInstanceOf(Date);
    await screenshot(page, 'first-time-process');
    await page.getByTestId('process-continue').click();
    await page.waitForURL('**/exams');

    // The steps, in the manual's order, each with its state; entry is blocked by the required device check.
    const card = page.getByTestId(`exam-${exam.id}`);
    await card.getByTestId('exam-path').waitFor();
    await expect.poll(() => stateOf(page, exam.id, 'deviceCheck')).toBe('todo');
    expect(
      await card
        .getByTestId('exam-path')
        .locator('li')
        .evaluateAll((lis) => lis.map((li) => (li as HTMLElement).dataset.testid)),
    ).toEqual(['path-systemCheck', 'path-deviceCheck', 'path-phoneWitness', 'path-notice', 'path-enter']);
    // The login page ran the system check (the manual's "on start") and reported it once logged in.
    expect(await stateOf(page, exam.id, 'systemCheck')).toBe('done');
    expect(await stateOf(page, exam.id, 'phoneWitness')).toBe('optional');
    expect(await stateOf(page, exam.id, 'notice')).toBe('todo');
    expect(await stateOf(page, exam.id, 'enter')).toBe('blocked');
    expect(await card.getByTestId('enter-exam').isDisabled()).toBe(true);

    // Notice accepted: what still blocks is the device check, and the card links to it.
    await card.getByTestId('path-notice').getByRole('button').click();
    const dialog = page.getByTestId('notice-dialog');
    await dialog.getByTestId('notice-agree').check();
    await dialog.getByTestId('notice-accept').click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => stateOf(page, exam.id, 'notice')).toBe('done');
    await expect.poll(() => card.getByTestId('enter-step-link').getAttribute('href')).toBe('/device-check');
    expect(await card.getByTestId('enter-exam').isDisabled()).toBe(true);
    await screenshot(page, 'first-time-my-exams-blocked');

    // The device check, speakers included, ends with the next step: the (optional) witness phone.
    await card.getByTestId('enter-step-link').click();
    await page.waitForURL('**/device-check');
    await passDeviceCheck(page, true);
    await expect.poll(() => page.getByTestId('device-check-next').getAttribute('data-next')).toBe('phoneWitness');
    await screenshot(page, 'first-time-device-check-done');
    const stored = e2e.db.select().from(deviceChecks).where(eq(deviceChecks.candidateId, cand.id)).orderBy(desc(deviceChecks.id)).get();
    expect(stored).toMatchObject({ passed: true, speakersOk: true });

    await page.getByTestId('device-check-next').click();
    await page.waitForURL((url) => url.pathname === '/exams' && url.hash === `#phone-${exam.id}`);
    await expect.poll(() => stateOf(page, exam.id, 'deviceCheck')).toBe('done');
    await expect.poll(() => stateOf(page, exam.id, 'enter')).toBe('todo');
    await screenshot(page, 'first-time-my-exams-ready');
    await card.getByTestId('enter-exam').click();
    await page.waitForURL(`**/exams/${exam.id}`);
    // Inside, the first step explains the screen sharing before the browser asks for it.
    await shareScreen(page);
    await page.getByTestId('confirm-info').waitFor();

    // A later login goes straight to My exams.
    const again = await (await e2e.newContext()).newPage();
    expect(await passwordLogin(again, cand.idNumber!)).toBe('/exams');
  }, 180_000);

  it('in English: the steps, and a candidate who did not hear the test sound is told what to try', async () => {
    const { exam, cand } = await firstTimer();
    const ctx = await e2e.newContext();
    await ctx.addCookies([{ name: LOCALE_COOKIE, value: 'en', url: e2eAppUrl }]);
    const page = await ctx.newPage();
    expect(await passwordLogin(page, cand.idNumber!)).toBe('/process');
    await page.getByTestId('process-welcome').waitFor();
    await screenshot(page, 'first-time-process-en');
    await page.getByTestId('process-continue').click();
    await page.waitForURL('**/exams');
    await expect.poll(() => stateOf(page, exam.id, 'deviceCheck')).toBe('todo');
    await expect(page.getByTestId(`exam-${exam.id}`).getByTestId('path-deviceCheck').textContent()).resolves.toContain('required');
    await expect(page.getByTestId(`exam-${exam.id}`).getByTestId('path-phoneWitness').textContent()).resolves.toContain('optional');
    await screenshot(page, 'first-time-my-exams-en');

    await page.goto('/device-check');
    await page.getByTestId('start-devices').click();
    await page.getByTestId('speakers-play').click();
    await expect.poll(() => page.getByTestId('speakers-test').getAttribute('data-played'), { timeout: 10_000 }).toBe('true');
    await page.getByTestId('speakers-not-heard').click();
    await page.getByText('Did not hear the test sound?').waitFor();
    await screenshot(page, 'first-time-speakers-not-heard-en');
    await page.getByTestId('start-recording').click();
    await page.getByTestId('playback').waitFor({ timeout: 30_000 });
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('device-check-next').waitFor();
    await screenshot(page, 'first-time-device-check-done-en');
    const stored = e2e.db.select().from(deviceChecks).where(eq(deviceChecks.candidateId, cand.id)).orderBy(desc(deviceChecks.id)).get();
    expect(stored).toMatchObject({ passed: true, speakersOk: false });
  }, 180_000);
});
