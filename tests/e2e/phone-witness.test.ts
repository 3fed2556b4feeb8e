import { devices, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { BIND_TTL_MS, createBinding } from '@/server/services/phone';
import { makeRoomScenario, PASSWORD } from '../fixtures/factories';
import { e2eAppUrl } from '../helpers/e2e-env';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsCandidate, loginAsStaff, recordMetric, screenshot, startFilming, waitForDecodedVideo } from '../helpers/journeys';

const e2e = useE2eSession();

async function desktopPage(): Promise<Page> {
  return e2e.newPage();
}

/** A phone: Pixel 7's viewport, touch and user agent, with Chromium's fake camera. */
async function phonePage(): Promise<Page> {
  const ctx = await e2e.newContext({ ...devices['Pixel 7'], baseURL: e2eAppUrl, locale: 'zh-CN', permissions: ['camera'] });
  return ctx.newPage();
}

async function bindByCode(phone: Page, code: string) {
  await phone.goto('/phone');
  await phone.getByTestId('phone-code-input').fill(code);
  await phone.getByTestId('phone-code-submit').click();
}

describe('phone witness', () => {
  it('a candidate binds a phone by QR link, the invigilator sees its camera live on the tile, and a phone bound by code replaces it', async () => {
    const s = await makeRoomScenario(e2e.db, { candidates: 1 });
    const candidate = s.candidates[0]!;

    // The invigilator watches the room.
    const inv = await desktopPage();
    await loginAsStaff(inv, s.invigilator.username!, PASSWORD);
    await inv.goto(`/rooms/${s.room.id}`);
    const tile = inv.getByTestId(`tile-${candidate.id}`);
    await expect.poll(() => inv.getByTestId('video-state').getAttribute('data-state'), { timeout: 15_000 }).toBe('connected');

    // The candidate enters the exam and opens the phone panel on the exam page.
    const pc = await desktopPage();
    await loginAsCandidate(pc, candidate.idNumber!, PASSWORD);
    await pc.getByTestId(`exam-${s.exam.id}`).getByTestId('phone-panel').waitFor();
    await pc.getByTestId(`exam-${s.exam.id}`).getByTestId('enter-exam').click();
    await pc.waitForURL(`**/exams/${s.exam.id}`);
    const panel = pc.getByTestId('phone-panel');
    await expect.poll(() => panel.getAttribute('data-state'), { timeout: 20_000 }).toBe('unbound');
    await panel.getByTestId('phone-bind-open').click();
    const qr = panel.getByTestId('phone-qr');
    await qr.waitFor();
    const qrUrl = (await qr.getAttribute('data-url'))!;
    expect(qrUrl).toMatch(new RegExp(`^${e2eAppUrl}/phone/bind\\?t=[\\w-]{40,}$`));
    const firstCode = (await panel.getByTestId('phone-code').textContent())!.trim();
    expect(firstCode).toMatch(/^\d{10}$/);
    await screenshot(pc, 'phone-pc-panel-qr');

    // Phone A scans the QR code: bound at once, shows the exam and the masked ID, then films.
    const phoneA = await phonePage();
    const scannedAt = Date.now();
    await phoneA.goto(qrUrl);
    await phoneA.waitForURL('**/phone');
    await expect.poll(() => phoneA.getByTestId('phone-info-name').textContent(), { timeout: 15_000 }).toBe(candidate.name);
    const maskedId = (await phoneA.getByTestId('phone-info-id').textContent())!;
    expect(maskedId).toContain('*');
    expect(maskedId).not.toBe(candidate.idNumber);
    await startFilming(phoneA, 'phone-mobile');
    await waitForDecodedVideo(phoneA.getByTestId('phone-preview'));
    // The witness is also recorded on the phone (chunks kept on the device, then uploaded).
    await phoneA.getByTestId('phone-recording').waitFor({ timeout: 15_000 });
    await screenshot(phoneA, 'phone-mobile-live');

    // The witness arrives on the invigilator's tile as decoded video, with the phone's state.
    await waitForDecodedVideo(tile.getByTestId('tile-witness'), 25_000);
    recordMetric('phoneScanToWitnessOnTileMs', Date.now() - scannedAt);
    await expect.poll(() => tile.getByTestId('tile-witness-state').getAttribute('data-state'), { timeout: 15_000 }).toBe('live');
    await expect.poll(() => panel.getAttribute('data-state'), { timeout: 15_000 }).toBe('live');
    await screenshot(inv, 'phone-invigilator-tile');
    await panel.getByTestId('phone-panel-close').click();
    await screenshot(pc, 'phone-pc-panel-live');

    // The QR code's binding is used up: its code no longer binds another phone.
    const stranger = await phonePage();
    await bindByCode(stranger, firstCode);
    await expect.poll(() => stranger.getByTestId('phone-bind-form').getByRole('alert').textContent()).toContain('已被使用');
    // Nor does a code whose five minutes are over.
    const stale = createBinding({ db: e2e.db, candidateId: candidate.id, examId: s.exam.id, now: new Date(Date.now() - BIND_TTL_MS - 1000) });
    await stranger.getByTestId('phone-code-input').fill(stale.code);
    await stranger.getByTestId('phone-code-submit').click();
    await expect.poll(() => stranger.getByTestId('phone-bind-form').getByRole('alert').textContent()).toContain('已过期');
    await screenshot(stranger, 'phone-mobile-code-refused');

    // The candidate binds another phone by code: phone B films, phone A is told it was unbound.
    await panel.getByTestId('phone-bind-open').click();
    const secondCode = (await panel.getByTestId('phone-code').textContent())!.trim();
    expect(secondCode).not.toBe(firstCode);
    const phoneB = await phonePage();
    await bindByCode(phoneB, secondCode);
    await startFilming(phoneB);
    await phoneA.getByTestId('phone-revoked').waitFor({ timeout: 20_000 });
    await screenshot(phoneA, 'phone-mobile-revoked');
    await waitForDecodedVideo(tile.getByTestId('tile-witness'), 25_000);
    await expect.poll(() => tile.getByTestId('tile-witness-state').getAttribute('data-state'), { timeout: 15_000 }).toBe('live');
  });
});
