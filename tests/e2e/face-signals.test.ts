import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { mintCandidatePcToken } from '@/server/livekit/tokens';
import { SimulatedCandidate } from '@/server/tooling/simulated-candidate';
import { cameraFrame, twoFacesPhoto } from '../fixtures/faces';
import { makeSittingScenario, PASSWORD } from '../fixtures/factories';
import { e2eSfuUrl } from '../helpers/e2e-env';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsCandidate, loginAsStaff, screenshot } from '../helpers/journeys';

const e2e = useE2eSession();
const sims: SimulatedCandidate[] = [];

// Registered after useE2eSession's: vitest runs afterAll hooks in reverse, so the simulated
// candidates disconnect before the contexts, browser and database close.
afterAll(async () => {
  for (const s of sims) await s.disconnect().catch(() => {});
});

/**
 * Reports a face signal from the candidate's page the way its outbox does (use-face-signals.ts):
 * a POST to the page's own tRPC endpoint with the candidate's cookie. Returns the HTTP status.
 */
function report(page: Page, input: { examId: number; signal: string; face?: Record<string, number>; still?: string }) {
  return page.evaluate(async (body) => {
    const res = await fetch('/api/trpc/exam.reportIntegrity', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ json: { ...body, at: new Date().toISOString() } }),
    });
    return res.status;
  }, input);
}

const dataUrl = (jpeg: Buffer) => `data:image/jpeg;base64,${jpeg.toString('base64')}`;

describe('face signals on the invigilator’s console', () => {
  it('a second person seen by the candidate’s page shows on their tile and in the focus view, with a flag holding the still; it clears when they are alone again', async () => {
    const { exam, room, invigilator, candidates } = await makeSittingScenario(e2e.db, { candidates: 3 });
    const cand = candidates[0]!;
    for (const c of candidates) {
      const sim = await new SimulatedCandidate().connect(e2eSfuUrl, (await mintCandidatePcToken({ room: room.livekitRoom, candidateId: c.id })).token);
      sims.push(sim);
      await sim.publish({ source: 'screen_share', width: 1280, height: 720, fps: 3 });
      await sim.publish({ source: 'camera', width: 640, height: 360, fps: 5 });
    }

    const inv = await e2e.newPage();
    await loginAsStaff(inv, invigilator.username!, PASSWORD);
    await inv.goto(`/rooms/${room.id}`);
    await expect.poll(() => inv.getByTestId('video-state').getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
    const tile = inv.getByTestId(`tile-${cand.id}`);
    await expect.poll(() => tile.getAttribute('data-status'), { timeout: 20_000 }).toBe('live');
    // No face signal yet: no badge.
    await expect(tile.getByTestId('face-badge').count()).resolves.toBe(0);

    const page = await e2e.newPage();
    await loginAsCandidate(page, cand.idNumber!, PASSWORD);
    // Another candidate's page only ever sees one face: all is well there.
    const other = await e2e.newPage();
    await loginAsCandidate(other, candidates[1]!.idNumber!, PASSWORD);
    expect(
      await report(other, { examId: exam.id, signal: 'looking_away', face: { yaw: 52, pitch: 4, seconds: 9 }, still: dataUrl(await cameraFrame('eva')) }),
    ).toBe(200);
    expect(await report(other, { examId: exam.id, signal: 'looking_back', face: { yaw: 3, pitch: 1, seconds: 14 } })).toBe(200);

    expect(await report(page, { examId: exam.id, signal: 'second_person', face: { faces: 2 }, still: dataUrl(await twoFacesPhoto()) })).toBe(200);

    const badge = tile.getByTestId('face-badge');
    await expect.poll(() => badge.getAttribute('data-state'), { timeout: 10_000 }).toBe('several');
    await expect(badge.textContent()).resolves.toBe('多人');
    await expect(badge.getAttribute('title')).resolves.toContain('摄像头画面中出现第二人');
    await expect.poll(() => tile.getByTestId('tile-flags').getAttribute('data-count'), { timeout: 10_000 }).toBe('1');
    await expect.poll(() => inv.getByTestId(`tile-${candidates[1]!.id}`).getByTestId('face-badge').getAttribute('data-state')).toBe('ok');
    await screenshot(inv, 'face-signals-grid');

    await tile.click();
    const focus = inv.getByTestId('focus-view');
    await focus.waitFor();
    await expect.poll(() => focus.getByTestId('face-badge').getAttribute('data-state')).toBe('several');
    const line = focus.locator('[data-testid^=timeline-e][data-type="integrity.second_person"]');
    await expect.poll(() => line.textContent(), { timeout: 10_000 }).toContain('画面中出现第二人（2 张人脸）');
    await expect.poll(() => focus.locator('[data-testid^=timeline-f][data-type=raised]').textContent()).toContain('出现第二人');
    await screenshot(inv, 'face-signals-focus');
    await inv.getByTestId('focus-close').click();

    await inv.getByTestId('flags-open').click();
    const flag = inv.locator('[data-testid^=flag-][data-type=second_person]');
    await flag.waitFor();
    await expect(flag.getAttribute('data-status')).resolves.toBe('open');
    const still = flag.locator('img');
    await expect.poll(() => still.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth), { timeout: 10_000 }).toBe(640);
    // The other candidate's look away raised its own flag, with its own still.
    await expect.poll(() => inv.locator('[data-testid^=flag-][data-type=looking_away] img').count()).toBe(1);
    await screenshot(inv, 'face-signals-flags');
    await inv.getByTestId('flags-close').click();

    // Alone again: the badge goes back to a quiet icon; the flag stays for a person to judge.
    expect(await report(page, { examId: exam.id, signal: 'single_face', face: { faces: 1, seconds: 20 } })).toBe(200);
    await expect.poll(() => badge.getAttribute('data-state'), { timeout: 10_000 }).toBe('ok');
    await expect(badge.textContent()).resolves.toBe('');
    await expect(tile.getByTestId('tile-flags').getAttribute('data-count')).resolves.toBe('1');
  });
});
