import { describe, expect, it } from 'vitest';
import { createRoom, registerCandidate } from '@/server/services/setup';
import { makeCandidate, makeExam, makeRoomScenario, PASSWORD } from '../fixtures/factories';
import { e2eAppUrl } from '../helpers/e2e-env';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsCandidate, loginAsStaff, recordMetric, screenshot, shareScreen, videoState, waitForDecodedVideo } from '../helpers/journeys';

const e2e = useE2eSession();

describe('vertical slice: candidate media reaches the invigilator grid through the SFU', () => {
  it('an invigilator sees decoded screen and camera video from a candidate who entered, sees them leave, and never sees another room', async () => {
    // Room A: the invigilator's. Room B: another room of the same exam, with its own candidate.
    const a = await makeRoomScenario(e2e.db, { candidates: 2 });
    const candidate = a.candidates[0]!;
    const roomB = createRoom({ db: e2e.db, examId: a.exam.id, name: '另一考场' });
    const other = await makeCandidate(e2e.db);
    registerCandidate({ db: e2e.db, examId: a.exam.id, roomId: roomB.id, candidateId: other.id, seat: 1, acceptedAt: new Date() });

    // The other candidate is live in room B the whole time.
    const otherPage = await e2e.newPage();
    await loginAsCandidate(otherPage, other.idNumber!, PASSWORD);
    await otherPage.goto(`/exams/${a.exam.id}`);
    await shareScreen(otherPage);

    // The invigilator opens the grid before the candidate arrives.
    const inv = await e2e.newPage();
    await loginAsStaff(inv, a.invigilator.username!, PASSWORD);
    await inv.getByTestId(`room-${a.room.id}`).waitFor();
    await screenshot(inv, 'invigilator-my-rooms');
    await expect(inv.getByTestId(`room-${roomB.id}`).count()).resolves.toBe(0);
    await inv.getByTestId(`room-${a.room.id}`).getByRole('link').click();
    await inv.waitForURL(`**/rooms/${a.room.id}`);
    const tile = inv.getByTestId(`tile-${candidate.id}`);
    await expect.poll(() => tile.getAttribute('data-status')).toBe('not_joined');
    await expect.poll(() => inv.getByTestId('video-state').getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');

    // The candidate logs in and enters; camera and microphone are published without further
    // clicks, the screen from the one click the browser requires.
    const cand = await e2e.newPage();
    await loginAsCandidate(cand, candidate.idNumber!, PASSWORD);
    const enter = cand.getByTestId(`exam-${a.exam.id}`).getByTestId('enter-exam');
    await screenshot(cand, 'candidate-my-exams');
    const enteredAt = Date.now();
    await enter.click();
    await cand.waitForURL(`**/exams/${a.exam.id}`);
    await shareScreen(cand);
    for (const s of ['screen_share', 'camera', 'microphone']) {
      await expect.poll(() => cand.getByTestId(`source-${s}`).getAttribute('data-on'), { timeout: 20_000 }).toBe('true');
    }

    // The invigilator's tile decodes both videos: size known and frame count rising.
    const screenVideo = tile.getByTestId('tile-screen');
    const cameraVideo = tile.getByTestId('tile-camera');
    await waitForDecodedVideo(screenVideo);
    recordMetric('enterClickToFirstScreenFrameMs', Date.now() - enteredAt);
    await waitForDecodedVideo(cameraVideo);
    const before = await videoState(screenVideo);
    await inv.waitForTimeout(1500);
    const after = await videoState(screenVideo);
    expect(after.currentTime).toBeGreaterThan(before.currentTime);
    expect(after.framesDecoded).toBeGreaterThan(before.framesDecoded);
    // The grid asks for the low simulcast layers, not the full-size screen.
    expect(after.height).toBeLessThanOrEqual(360);
    expect((await videoState(cameraVideo)).height).toBeLessThanOrEqual(180);

    await expect.poll(() => tile.getAttribute('data-status'), { timeout: 15_000 }).toBe('live');
    await expect.poll(() => tile.getAttribute('data-tracks'), { timeout: 15_000 }).toBe('camera,microphone,screen_share');

    // Nothing from room B reaches this grid.
    await expect(inv.getByTestId(`tile-${other.id}`).count()).resolves.toBe(0);
    await expect(inv.locator('video').count()).resolves.toBe(2);

    await screenshot(cand, 'candidate-exam-page');
    await screenshot(inv, 'invigilator-grid');

    // The candidate closes the page: the tile shows "left" within 30 s.
    const closedAt = Date.now();
    await cand.close();
    await expect.poll(() => tile.getAttribute('data-status'), { timeout: 30_000, interval: 250 }).toBe('left');
    recordMetric('pageCloseToLeftMs', Date.now() - closedAt);
    await screenshot(inv, 'invigilator-grid-left');

    // Room B is refused outright, not just unlisted.
    await inv.goto(`/rooms/${roomB.id}`);
    await expect(inv.locator('[data-alert=error]').textContent()).resolves.toContain('未被分配');
  });

  it('a candidate is refused entry after the entry window closed, with the reason', async () => {
    const exam = makeExam(e2e.db, { opensIn: -120, closesIn: -5, startsIn: -60 });
    const room = createRoom({ db: e2e.db, examId: exam.id, name: '已关闭考场' });
    const c = await makeCandidate(e2e.db);
    registerCandidate({ db: e2e.db, examId: exam.id, roomId: room.id, candidateId: c.id, seat: 1, acceptedAt: new Date() });

    const p = await e2e.newPage();
    await loginAsCandidate(p, c.idNumber!, PASSWORD);
    const card = p.getByTestId(`exam-${exam.id}`);
    await expect(card.getByTestId('enter-exam').isDisabled()).resolves.toBe(true);
    await p.goto(`/exams/${exam.id}`);
    await expect(p.locator('[data-alert=error]').textContent()).resolves.toContain('入场时间已于');
  });

  it('a candidate sees a specific message for a wrong password, and is told to wait after repeated failures (per-account backoff, not a lock)', async () => {
    const c = await makeCandidate(e2e.db);
    const p = await e2e.newPage();
    await p.goto('/login');
    await screenshot(p, 'login');
    await p.getByTestId('login-method-password').click();
    await p.locator('input[name=idNumber]').fill(c.idNumber!);
    await p.locator('input[name=password]').fill('wrong');
    await p.locator('button[type=submit]').click();
    await expect.poll(() => p.locator('[data-alert=error]').textContent()).toContain('账号或密码错误');
    for (let i = 0; i < 4; i++) {
      await p.locator('button[type=submit]').click();
      await p.waitForTimeout(150);
    }
    await expect.poll(() => p.locator('[data-alert=error]').textContent()).toMatch(/密码错误次数过多，请等待 \d+ 秒后再试/);
  });

  it('the webhook endpoint refuses unsigned and forged deliveries with 401', async () => {
    const body = JSON.stringify({ event: 'participant_left', id: 'EV_forged', room: { name: 'exam-1-room-1' } });
    const unsigned = await fetch(`${e2eAppUrl}/api/livekit/webhook`, { method: 'POST', body, headers: { 'content-type': 'application/webhook+json' } });
    expect(unsigned.status).toBe(401);
    const forged = await fetch(`${e2eAppUrl}/api/livekit/webhook`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/webhook+json', authorization: 'eyJhbGciOiJIUzI1NiJ9.eyJzaGEyNTYiOiJ4In0.c2ln' },
    });
    expect(forged.status).toBe(401);
  });
});
