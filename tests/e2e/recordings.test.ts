import type { BrowserContext, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { makeQuestionSheet, makeRoomScenario, PASSWORD } from '../fixtures/factories';
import { useE2eSession } from '../helpers/e2e-session';
import { backlogOn, compareWithLedger as compareWith, recordedOn, serverLedger as ledgerOf, type Backlog } from '../helpers/recording-ledger';
import { loginAsCandidate, loginAsStaff, recordMetric, screenshot, shareScreen, videoState, waitForDecodedVideo } from '../helpers/journeys';

const e2e = useE2eSession();
const serverLedger = (candidateId: number) => ledgerOf(e2e.db, candidateId);
const compareWithLedger = (recorded: Parameters<typeof compareWith>[1], candidateId: number) => compareWith(e2e.db, recorded, candidateId);

async function newPage(): Promise<{ page: Page; context: BrowserContext }> {
  const context = await e2e.newContext();
  return { page: await context.newPage(), context };
}

async function openRoom(page: Page, username: string, roomId: number) {
  await loginAsStaff(page, username, PASSWORD);
  await page.goto(`/rooms/${roomId}`);
  await expect.poll(() => page.getByTestId('video-state').getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
}

async function enterExam(page: Page, idNumber: string, examId: number) {
  await loginAsCandidate(page, idNumber, PASSWORD);
  await page.goto(`/exams/${examId}`);
  await shareScreen(page);
  for (const s of ['screen_share', 'camera', 'microphone']) {
    await expect.poll(() => page.getByTestId(`source-${s}`).getAttribute('data-on'), { timeout: 20_000 }).toBe('true');
  }
}

/** MB/s from this page's first upload to its last confirmation. */
const drainRate = (b: Backlog) => Number((b.uploadedBytes / 1048576 / (Math.max(1, b.lastConfirmedAt! - b.firstUploadAt!) / 1000)).toFixed(2));

const remainingMs = async (page: Page) => Number(await page.getByTestId('remaining-time').first().getAttribute('data-ms'));

let played: { examId: number; candidateId: number; roomId: number; inv: Page } | null = null;

describe('exam recordings', () => {
  it('a candidate offline for 30 s keeps recording and the clock; every chunk arrives byte-identical and the grid gets the stream back', async () => {
    const { room, invigilator, candidates, exam } = await makeRoomScenario(e2e.db, { candidates: 1, exam: { startsIn: -1, durationMinutes: 30 } });
    makeQuestionSheet(e2e.db, exam.id);
    const c = candidates[0]!;
    const { page: inv } = await newPage();
    await openRoom(inv, invigilator.username!, room.id);
    const tile = inv.getByTestId(`tile-${c.id}`);

    const { page: cand, context } = await newPage();
    await enterExam(cand, c.idNumber!, exam.id);
    await expect.poll(() => tile.getAttribute('data-status'), { timeout: 20_000 }).toBe('live');
    // Two chunks per track recorded and uploaded before the cut.
    await expect.poll(async () => (await recordedOn(cand)).length, { timeout: 30_000 }).toBeGreaterThanOrEqual(4);
    await expect.poll(async () => serverLedger(c.id).chunks.length, { timeout: 20_000 }).toBeGreaterThanOrEqual(2);

    const clockBefore = await remainingMs(cand);
    const recordedBefore = (await recordedOn(cand)).length;
    const tileFrames = async () =>
      (await videoState(tile.getByTestId('tile-screen').locator('video').or(tile.getByTestId('tile-screen')).first()).catch(() => null))?.framesDecoded ?? 0;
    await context.setOffline(true);
    const cutAt = Date.now();
    await cand.waitForTimeout(3000);
    const framesCutStart = await tileFrames();
    await cand.waitForTimeout(15_000);
    const clockMid = await remainingMs(cand);
    await screenshot(cand, 'recordings-candidate-offline');
    await cand.waitForTimeout(Math.max(0, 30_000 - (Date.now() - cutAt)));
    const clockEnd = await remainingMs(cand);
    // Chromium's offline emulation stops HTTP and WebSockets; whether WebRTC media stopped too shows here.
    recordMetric('recordings_cut_grid_frames_decoded_while_offline', (await tileFrames()) - framesCutStart);
    const recordedOffline = (await recordedOn(cand)).length - recordedBefore;
    const tileWhileOffline = await tile.getAttribute('data-status');
    const backlogOffline = await backlogOn(cand);

    await context.setOffline(false);
    const backAt = Date.now();
    // The countdown kept running through the cut, on the server's clock.
    expect(clockBefore - clockMid).toBeGreaterThan(13_000);
    expect(clockBefore - clockEnd).toBeGreaterThan(28_000);
    // Recording went on offline: about 30 s / 4 s chunks for each of the two tracks, all queued.
    expect(recordedOffline).toBeGreaterThanOrEqual(12);
    expect(backlogOffline?.chunks ?? 0).toBeGreaterThanOrEqual(12);

    // The live stream returns on the grid: the tile is live and its screen decodes new frames.
    await expect.poll(() => tile.getAttribute('data-status'), { timeout: 60_000, interval: 100 }).toBe('live');
    const screenVideo = tile.getByTestId('tile-screen');
    await expect.poll(() => screenVideo.count(), { timeout: 60_000, interval: 100 }).toBeGreaterThan(0);
    await waitForDecodedVideo(screenVideo.locator('video').or(screenVideo).first(), 60_000);
    recordMetric('recordings_stream_back_after_network_return_ms', Date.now() - backAt);
    console.log(`tile status while offline: ${tileWhileOffline}; backlog offline: ${JSON.stringify(backlogOffline)}`);

    // The backlog drains by itself once online.
    await expect.poll(async () => (await backlogOn(cand))?.chunks, { timeout: 60_000 }).toBe(0);
    recordMetric('recordings_cut_backlog_bytes', backlogOffline?.bytes ?? 0);
    recordMetric('recordings_cut_backlog_drained_within_ms_of_return', Date.now() - backAt);

    // Staff end the exam: the recorders stop, the done screen shows the upload until it is empty.
    await tile.click();
    await inv.getByTestId('focus-view').waitFor();
    await inv.getByTestId('end-exam-open').click();
    await inv.getByTestId('end-exam-reason').fill('录像测试结束');
    await inv.getByTestId('end-exam-submit').click();
    await cand.getByTestId('upload-progress').waitFor({ timeout: 20_000 });
    await screenshot(cand, 'recordings-done-uploading');
    await expect.poll(() => cand.getByTestId('upload-progress').getAttribute('data-phase'), { timeout: 60_000 }).toBe('done');
    await expect(cand.getByTestId('do-not-close').count()).resolves.toBe(0);
    await screenshot(cand, 'recordings-done-uploaded');

    const recorded = await recordedOn(cand);
    await expect.poll(() => serverLedger(c.id).recs.every((r) => r.completedAt != null), { timeout: 30_000 }).toBe(true);
    const { recs, chunks, missingBytes, mismatched } = compareWithLedger(recorded, c.id);
    recordMetric('recordings_cut_bytes_lost', missingBytes);
    recordMetric('recordings_cut_chunks_recorded', recorded.length);
    expect(mismatched).toEqual([]);
    expect(missingBytes).toBe(0);
    expect(chunks.length).toBe(recorded.length);
    expect(new Set(recs.map((r) => r.track))).toEqual(new Set(['screen', 'camera']));
    for (const r of recs) expect(r.receivedChunks).toBe(r.expectedChunks);
    played = { examId: exam.id, candidateId: c.id, roomId: room.id, inv };
  }, 300_000);

  it('the invigilator plays the recordings side by side, synchronised, with timeline markers and speed', async () => {
    expect(played).not.toBeNull();
    const { examId, candidateId, roomId, inv } = played!;
    await inv.goto(`/recordings/${examId}/${candidateId}?room=${roomId}`);
    await inv.getByTestId('playback').waitFor();
    const screen = inv.getByTestId('playback-screen');
    const camera = inv.getByTestId('playback-camera');
    // The scrubber starts where the first recording (the screen) starts.
    await screen.waitFor();
    // No phone in this exam: the witness column says so.
    await inv.getByTestId('playback-witness-none').waitFor();
    await expect(inv.getByTestId('playback-marker').count()).resolves.toBeGreaterThan(0);

    await inv.getByTestId('playback-toggle').click();
    // The camera's recording began a moment after the screen's: it joins on the same clock.
    await camera.waitFor({ timeout: 15_000 });
    await waitForDecodedVideo(screen);
    await waitForDecodedVideo(camera);
    await inv.waitForTimeout(1500);
    const a = await videoState(screen);
    const b = await videoState(camera);
    // Both recordings started within a second of each other: on one clock they stay together.
    expect(Math.abs(a.currentTime - b.currentTime)).toBeLessThan(1.5);
    await screenshot(inv, 'recordings-playback');

    // 4x: the clock moves about four times as fast.
    await inv.getByTestId('playback-speed').selectOption('4');
    const p0 = Number(await inv.getByTestId('playback').getAttribute('data-position'));
    await inv.waitForTimeout(2000);
    const p1 = Number(await inv.getByTestId('playback').getAttribute('data-position'));
    expect(p1 - p0).toBeGreaterThan(4000);

    // Seek by a marker: every video moves there.
    await inv.getByTestId('playback-toggle').click();
    await inv.getByTestId('playback-marker').first().click();
    const pos = Number(await inv.getByTestId('playback').getAttribute('data-position'));
    await expect.poll(async () => Math.abs((await videoState(screen)).currentTime * 1000 - pos), { timeout: 10_000 }).toBeLessThan(1500);
    await screenshot(inv, 'recordings-playback-seek');
  }, 120_000);

  it('a candidate whose page closed mid-upload gets the backlog uploaded after logging in again, with no gap', async () => {
    const { candidates, exam } = await makeRoomScenario(e2e.db, { candidates: 1, exam: { startsIn: -1, durationMinutes: 30 } });
    makeQuestionSheet(e2e.db, exam.id);
    const c = candidates[0]!;
    const { page, context } = await newPage();
    await enterExam(page, c.idNumber!, exam.id);
    await expect.poll(async () => serverLedger(c.id).chunks.length, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);

    // Offline: chunks pile up on the device; then the page is gone without stopping anything.
    await context.setOffline(true);
    await page.waitForTimeout(14_000);
    const recorded = await recordedOn(page);
    const pending = await backlogOn(page);
    expect(pending?.chunks ?? 0).toBeGreaterThanOrEqual(4);
    await page.close({ runBeforeUnload: false });
    expect(serverLedger(c.id).chunks.length).toBeLessThan(recorded.length);

    // Back online, a new page, a new login (the old session is gone too).
    await context.setOffline(false);
    await context.clearCookies();
    const again = await context.newPage();
    const loginAt = Date.now();
    await loginAsCandidate(again, c.idNumber!, PASSWORD);
    await again.getByTestId(`exam-${exam.id}`).waitFor();
    await expect.poll(async () => (await backlogOn(again))?.ready, { timeout: 10_000 }).toBe(true);
    await expect.poll(async () => (await backlogOn(again))?.chunks, { timeout: 60_000, interval: 100 }).toBe(0);
    await expect.poll(async () => (await backlogOn(again))?.unfinished, { timeout: 30_000 }).toBe(0);
    recordMetric('recordings_crash_drain_ms_from_login', Date.now() - loginAt);
    const drained = (await backlogOn(again))!;
    recordMetric('recordings_crash_backlog_bytes', drained.uploadedBytes);
    recordMetric('recordings_crash_drain_mb_per_s', drainRate(drained));

    // The ledger has every chunk the closed page recorded, same bytes, and no gaps.
    const { recs, missingBytes, mismatched } = compareWithLedger(recorded, c.id);
    expect(mismatched).toEqual([]);
    expect(missingBytes).toBe(0);
    for (const r of recs) {
      expect(r.expectedChunks).not.toBeNull();
      expect(r.receivedChunks).toBe(r.expectedChunks);
      expect(r.completedAt).not.toBeNull();
    }
    // My exams shows the recordings as uploaded.
    await again.getByTestId('refresh-exams').click();
    await expect
      .poll(() => again.getByTestId(`exam-${exam.id}`).getByTestId('recording-screen').getAttribute('data-complete'), { timeout: 20_000 })
      .toBe('true');
    await screenshot(again, 'recordings-my-exams-after-crash');
  }, 240_000);
});
