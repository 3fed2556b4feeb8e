import { and, eq } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { registrations } from '@/db/schema';
import { mintCandidatePcToken } from '@/server/livekit/tokens';
import { SimulatedCandidate } from '@/server/tooling/simulated-candidate';
import { makeQuestionSheet, makeRoomScenario, PASSWORD } from '../fixtures/factories';
import { e2eSfuUrl } from '../helpers/e2e-env';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsCandidate, loginAsStaff, screenshot, shareScreen, videoState, waitForDecodedVideo } from '../helpers/journeys';

const e2e = useE2eSession();
const sims: SimulatedCandidate[] = [];

async function newPage(viewport?: { width: number; height: number }): Promise<{ page: Page; context: BrowserContext }> {
  const context = await e2e.newContext();
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  return { page, context };
}

// Registered after useE2eSession's: vitest runs afterAll hooks in reverse, so the simulated
// candidates disconnect before the contexts, browser and database close.
afterAll(async () => {
  for (const s of sims) await s.disconnect().catch(() => {});
});

const subscribed = (page: Page, candidateId: number) => page.getByTestId(`tile-${candidateId}`).getAttribute('data-subscribed');

async function openRoom(page: Page, username: string, roomId: number) {
  await loginAsStaff(page, username, PASSWORD);
  await page.goto(`/rooms/${roomId}`);
  await expect.poll(() => page.getByTestId('video-state').getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
}

describe('the invigilator console', () => {
  it('subscribes only to the tiles on the current page, and focus raises the quality', async () => {
    const { room, invigilator, candidates } = await makeRoomScenario(e2e.db, { candidates: 6 });
    for (const c of candidates) {
      const sim = await new SimulatedCandidate().connect(e2eSfuUrl, (await mintCandidatePcToken({ room: room.livekitRoom, candidateId: c.id })).token);
      sims.push(sim);
      // An explicit encoding cap makes the SDK publish the half-size simulcast layer under the full one.
      await sim.publish({ source: 'screen_share', width: 1280, height: 720, fps: 3, maxBitrate: 2_500_000, maxFps: 15 });
      await sim.publish({ source: 'camera', width: 640, height: 360, fps: 5 });
    }
    const { page } = await newPage();
    await openRoom(page, invigilator.username!, room.id);
    await page.getByTestId('page-size').selectOption('4');

    const first = candidates.slice(0, 4).map((c) => c.id);
    const rest = candidates.slice(4).map((c) => c.id);
    for (const id of first) await expect.poll(() => subscribed(page, id), { timeout: 20_000 }).toMatch(/screen/);
    for (const id of rest) await expect(page.getByTestId(`tile-${id}`).count()).resolves.toBe(0);
    const gridScreen = page.getByTestId(`tile-${first[0]}`).getByTestId('tile-screen');
    const gridVideo = gridScreen.locator('video').or(gridScreen).first();
    await waitForDecodedVideo(gridVideo);
    // The SFU may forward whatever layer it has first; the grid's LOW request then takes over.
    await expect.poll(async () => (await videoState(gridVideo)).height, { timeout: 20_000 }).toBeLessThan(720);
    const low = await videoState(gridVideo);
    await screenshot(page, 'console-grid-page-1');

    await page.getByTestId('page-next').click();
    for (const id of rest) await expect.poll(() => subscribed(page, id), { timeout: 20_000 }).toMatch(/screen/);
    for (const id of first) await expect(page.getByTestId(`tile-${id}`).count()).resolves.toBe(0);

    // Focus: the same screen at its full size, above the layer the grid tile showed.
    await page.getByTestId(`tile-${rest[0]}`).click();
    await page.getByTestId('focus-view').waitFor();
    const focusScreen = page.getByTestId('focus-screen');
    await expect
      .poll(async () => (await videoState(focusScreen.locator('video').or(focusScreen).first()).catch(() => ({ height: 0 }))).height, { timeout: 30_000 })
      .toBe(720);
    await screenshot(page, 'console-focus');
  });

  it('a candidate who stops sharing, leaves and comes back changes their tile; messages, extra time and ending reach the candidate', async () => {
    const { room, invigilator, candidates, exam } = await makeRoomScenario(e2e.db, { candidates: 1, exam: { startsIn: -1, durationMinutes: 30 } });
    makeQuestionSheet(e2e.db, exam.id);
    const c = candidates[0]!;
    const { page: inv } = await newPage();
    await openRoom(inv, invigilator.username!, room.id);
    const tile = inv.getByTestId(`tile-${c.id}`);

    const enter = async () => {
      const { page } = await newPage();
      await loginAsCandidate(page, c.idNumber!, PASSWORD);
      await page.goto(`/exams/${exam.id}`);
      await shareScreen(page);
      for (const s of ['screen_share', 'camera', 'microphone']) {
        await expect.poll(() => page.getByTestId(`source-${s}`).getAttribute('data-on'), { timeout: 20_000 }).toBe('true');
      }
      return page;
    };
    let cand = await enter();
    await expect.poll(() => tile.getAttribute('data-status'), { timeout: 15_000 }).toBe('live');
    await expect.poll(() => tile.getAttribute('data-tracks'), { timeout: 15_000 }).toBe('camera,microphone,screen_share');

    // The candidate stops sharing the screen.
    await cand.waitForTimeout(1500);
    await cand.evaluate(() => {
      const v = document.querySelector<HTMLVideoElement>('video[data-testid=local-screen]');
      for (const t of (v?.srcObject as MediaStream | null)?.getVideoTracks() ?? []) {
        t.stop();
        t.dispatchEvent(new Event('ended'));
      }
    });
    await expect.poll(() => tile.getAttribute('data-tracks'), { timeout: 15_000 }).not.toContain('screen_share');
    await screenshot(inv, 'console-screen-stopped');

    // The candidate leaves, then comes back.
    await cand.close();
    await expect.poll(() => tile.getAttribute('data-status'), { timeout: 30_000 }).toBe('left');
    cand = await enter();
    await expect.poll(() => tile.getAttribute('data-status'), { timeout: 15_000 }).toBe('live');

    // A message the candidate must acknowledge; the acknowledgement comes back.
    await tile.click();
    await inv.getByTestId('focus-view').waitFor();
    await inv.getByTestId('message-text').fill('请将摄像头对准正脸。');
    await inv.getByTestId('message-send').click();
    await cand.getByTestId('staff-message').waitFor({ timeout: 15_000 });
    await expect(cand.getByTestId('staff-message-text').textContent()).resolves.toContain('请将摄像头对准正脸');
    await screenshot(cand, 'candidate-staff-message');
    await cand.waitForTimeout(800);
    await cand.getByTestId('staff-message-ack').click();
    await expect.poll(() => inv.locator('[data-testid^=ack-]').first().getAttribute('data-acknowledged'), { timeout: 15_000 }).toBe('true');

    // Extra time moves the candidate's countdown at once.
    const remaining = async () => {
      const text = (await cand.getByTestId('remaining-time').first().textContent()) ?? '';
      const parts = text.trim().split(':').map(Number);
      return parts.reduce((acc, n) => acc * 60 + n, 0);
    };
    const before = await remaining();
    await inv.getByTestId('extra-time-open').click();
    await inv.getByTestId('extra-time-minutes').fill('10');
    await inv.getByTestId('extra-time-reason').fill('网络中断');
    await inv.getByTestId('extra-time-submit').click();
    await expect.poll(remaining, { timeout: 10_000 }).toBeGreaterThan(before + 9 * 60);

    // Ending the candidate's exam stops it.
    await inv.getByTestId('end-exam-open').click();
    await inv.getByTestId('end-exam-reason').fill('违反考试纪律');
    await inv.getByTestId('end-exam-submit').click();
    await cand.getByTestId('back-home').waitFor({ timeout: 15_000 });
    const reg = e2e.db
      .select()
      .from(registrations)
      .where(and(eq(registrations.examId, exam.id), eq(registrations.candidateId, c.id)))
      .get()!;
    expect(reg.finishReason).toBe('staff');
    await expect.poll(() => tile.getAttribute('data-status'), { timeout: 30_000 }).toBe('left');
  });

  it('the grid holds 40 tiles on one page (screenshot at 40 and at 9)', async () => {
    const { room, invigilator, candidates } = await makeRoomScenario(e2e.db, { candidates: 40 });
    for (const c of candidates.slice(0, 4)) {
      const sim = await new SimulatedCandidate().connect(e2eSfuUrl, (await mintCandidatePcToken({ room: room.livekitRoom, candidateId: c.id })).token);
      sims.push(sim);
      await sim.publish({ source: 'screen_share', width: 1280, height: 720, fps: 2 });
      await sim.publish({ source: 'camera', width: 640, height: 360, fps: 5 });
    }
    const { page } = await newPage({ width: 1920, height: 1080 });
    await openRoom(page, invigilator.username!, room.id);
    await page.getByTestId('page-size').selectOption('40');
    for (const c of candidates) await page.getByTestId(`tile-${c.id}`).waitFor();
    await expect.poll(() => subscribed(page, candidates[0]!.id), { timeout: 20_000 }).toMatch(/screen/);
    await screenshot(page, 'console-grid-40');
    await page.setViewportSize({ width: 1366, height: 768 });
    await page.getByTestId('page-size').selectOption('9');
    await page.getByTestId(`tile-${candidates[8]!.id}`).waitFor();
    await expect(page.getByTestId(`tile-${candidates[9]!.id}`).count()).resolves.toBe(0);
    await screenshot(page, 'console-grid-9');
  });
});
