import { and, desc, eq, like } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { deviceChecks, events, messageReceipts, systemChecks, users } from '@/db/schema';
import { addAttachment, createMessage } from '@/server/services/setup';
import { makeQuestionSheet, makeRoomScenario, PASSWORD } from '../fixtures/factories';
import { useE2eSession } from '../helpers/e2e-session';
import { heardTestSound, loginAsCandidate, screenshot, shareScreen } from '../helpers/journeys';

const e2e = useE2eSession();

async function candidatePage(opts: { extendedDisplay?: boolean } = {}) {
  const { candidates, exam, room } = await makeRoomScenario(e2e.db, { candidates: 1, exam: { startsIn: -1, durationMinutes: 60 } });
  const candidate = candidates[0]!;
  const context = await e2e.newContext();
  if (opts.extendedDisplay) {
    // What Chromium reports with a second monitor plugged in (Window Management API).
    await context.addInitScript(() => Object.defineProperty(Screen.prototype, 'isExtended', { get: () => true, configurable: true }));
  }
  const page = await context.newPage();
  await loginAsCandidate(page, candidate.idNumber!, PASSWORD);
  return { page, context, candidate, exam, room };
}

/**
 * Waits until the page has loaded and its text stopped changing (queries answered). Not
 * 'networkidle': the tab's live stream stays open for as long as the page does.
 */
async function settled(page: Page) {
  await page.waitForLoadState('load');
  let last = '';
  await expect
    .poll(
      async () => {
        const now = await page.evaluate(() => document.body.innerText);
        const same = now === last;
        last = now;
        return same;
      },
      { timeout: 15_000, interval: 500 },
    )
    .toBe(true);
}

/** A page that fits the window and shows no raw catalogue keys. */
async function expectClean(page: Page) {
  const { overflow, rawKeys } = await page.evaluate(() => ({
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    rawKeys: (document.body.innerText.match(/\b[a-z][a-zA-Z]+\.[a-z][a-zA-Z]+(\.[a-zA-Z]+)*\b/g) ?? []).filter((s) => !/example\.com|\.txt$/.test(s)),
  }));
  expect(overflow).toBeLessThanOrEqual(0);
  expect(rawKeys).toEqual([]);
}

describe('the candidate portal', () => {
  it('every portal page renders in zh-CN at 1366x768 without overflow or missing text', async () => {
    const { page } = await candidatePage();
    for (const [path, name] of [
      ['/process', 'process'],
      ['/check', 'system-check'],
      ['/device-check', 'device-check'],
      ['/exams', 'my-exams'],
      ['/messages', 'messages'],
      ['/profile', 'profile'],
      ['/support', 'support'],
    ] as const) {
      await page.goto(path);
      await settled(page);
      await expectClean(page);
      await screenshot(page, `portal-${name}`);
    }
  });

  it('the system check passes step by step, reports its result, and fails the display step with a second monitor', async () => {
    const { page, candidate } = await candidatePage();
    await page.goto('/check');
    for (const step of ['server', 'version', 'clock', 'browser']) {
      await expect.poll(() => page.getByTestId(`check-${step}`).getAttribute('data-state'), { timeout: 15_000 }).toBe('ok');
    }
    // Headless Chromium has one screen and says so.
    await expect.poll(() => page.getByTestId('check-displays').getAttribute('data-state')).toBe('ok');
    await expect
      .poll(() => e2e.db.select().from(systemChecks).where(eq(systemChecks.candidateId, candidate.id)).get()?.displays, { timeout: 10_000 })
      .toBe('single');

    const two = await candidatePage({ extendedDisplay: true });
    await two.page.goto('/check');
    await expect.poll(() => two.page.getByTestId('check-displays').getAttribute('data-state'), { timeout: 15_000 }).toBe('fail');
    await screenshot(two.page, 'system-check-extended-display');
    // My exams blocks entry while the second monitor is there.
    await two.page.goto('/exams');
    await two.page.getByTestId('extended-display-warning').waitFor();
    await expect(two.page.getByTestId(`exam-${two.exam.id}`).getByTestId('enter-exam').isDisabled()).resolves.toBe(true);
  });

  it('My exams offers the notice attachments for download, and the name menu logs out', async () => {
    const { page, exam } = await candidatePage();
    addAttachment({
      db: e2e.db,
      examId: exam.id,
      fileName: '考场规则.txt',
      contentType: 'text/plain; charset=utf-8',
      content: Buffer.from('考场规则：独立完成。'),
    });
    await page.goto('/exams');
    const download = page.waitForEvent('download');
    await page.getByTestId(`exam-${exam.id}`).getByRole('link', { name: '考场规则.txt' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe('考场规则.txt');
    const { readFile } = await import('node:fs/promises');
    expect(await readFile((await file.path())!, 'utf8')).toBe('考场规则：独立完成。');

    await page.getByTestId('user-name').click();
    await page.getByRole('button', { name: '退出登录' }).click();
    await page.waitForURL('**/login');
    await page.goto('/exams');
    await page.waitForURL('**/login');
  });

  it('a page from an older deployment asks to be reloaded', async () => {
    const { page } = await candidatePage();
    // Batched calls name several procedures in one path: match on the path, not a glob.
    await page.route(
      (url) => url.pathname.includes('system.info'),
      async (route) => {
        const res = await route.fetch();
        const body = (await res.text()).replace(/"version":"[^"]*"/, '"version":"9.9.9+newer"');
        await route.fulfill({ response: res, body });
      },
    );
    await page.goto('/check');
    await page.getByTestId('update-prompt').waitFor({ timeout: 15_000 });
  });

  it('the device check records 10 seconds, plays it back, and stores the result', async () => {
    const { page, candidate } = await candidatePage();
    await page.goto('/device-check');
    await page.getByTestId('start-devices').click();
    await page.getByTestId('camera-preview').waitFor();
    await expect.poll(async () => Number(await page.getByTestId('level-bar').getAttribute('data-level')), { timeout: 10_000 }).toBeGreaterThan(0);
    await heardTestSound(page);
    await page.getByTestId('start-recording').click();
    await page.getByTestId('recording-countdown').waitFor();
    await page.getByTestId('playback').waitFor({ timeout: 30_000 });
    const duration = await page.getByTestId('playback').evaluate(async (v: HTMLVideoElement) => {
      for (let i = 0; i < 50 && !(v.duration > 0 && Number.isFinite(v.duration)); i++) await new Promise((r) => setTimeout(r, 100));
      return v.duration;
    });
    expect(duration).toBeGreaterThan(8);
    await page.getByTestId('confirm-ok').click();
    await page.getByTestId('device-check-result').waitFor();
    const stored = e2e.db.select().from(deviceChecks).where(eq(deviceChecks.candidateId, candidate.id)).orderBy(desc(deviceChecks.id)).get();
    expect(stored).toMatchObject({ passed: true });
    expect(stored!.recordedMs).toBeGreaterThan(9000);
    await screenshot(page, 'device-check-done');
    await page.goto('/process');
    await expect.poll(() => page.getByTestId('step-deviceCheck').getAttribute('data-status')).toBe('done');
  });

  it('personal info: a wrong phone number is refused with a message, a right one is saved', async () => {
    const { page, candidate } = await candidatePage();
    await page.goto('/profile');
    await page.locator('input[name=phone]').fill('12345');
    await page.getByTestId('profile-save').click();
    await page.getByTestId('phone-error').waitFor();
    await page.locator('input[name=phone]').fill('13800138000');
    await page.locator('input[name=email]').fill('new.address@example.com');
    await page.getByTestId('profile-save').click();
    await page.getByTestId('profile-saved').waitFor();
    expect(e2e.db.select().from(users).where(eq(users.id, candidate.id)).get()).toMatchObject({ phone: '13800138000', email: 'new.address@example.com' });
    await page.goto('/support');
    await expect(page.getByTestId('hotline-phone').textContent()).resolves.toMatch(/\d/);
  });

  it('the message centre shows unread messages, marks them read and records the acknowledgement', async () => {
    const { page, candidate, exam } = await candidatePage();
    const note = createMessage({
      db: e2e.db,
      audience: 'exam',
      examId: exam.id,
      title: '考前提醒',
      body: '请提前 10 分钟入场。',
      priority: 'normal',
      mustAcknowledge: false,
    });
    await page.goto('/messages');
    const item = page.getByTestId(`message-${note.id}`);
    await expect.poll(() => item.getAttribute('data-unread')).toBe('true');
    await page.getByTestId('unread-badge').waitFor();
    await item.getByRole('button').first().click();
    await expect.poll(() => item.getAttribute('data-unread')).toBe('false');
    // A message that must be acknowledged blocks the page with a dialog until it is.
    const m = createMessage({
      db: e2e.db,
      audience: 'exam',
      examId: exam.id,
      title: '纪律要求',
      body: '考试期间请勿离开座位。',
      priority: 'urgent',
      mustAcknowledge: true,
    });
    await page.reload();
    const dialog = page.getByTestId('message-dialog');
    await expect.poll(() => dialog.getAttribute('data-message-id')).toBe(String(m.id));
    await dialog.getByTestId('message-dialog-ack').click();
    await expect.poll(() => page.getByTestId(`message-${m.id}`).getAttribute('data-acknowledged')).toBe('true');
    const receipt = e2e.db
      .select()
      .from(messageReceipts)
      .where(and(eq(messageReceipts.messageId, m.id), eq(messageReceipts.candidateId, candidate.id)))
      .get();
    expect(receipt?.readAt).toBeTruthy();
    expect(receipt?.acknowledgedAt).toBeTruthy();
  });

  it('in the exam, integrity signals reach the timeline and the candidate is told to restore a stopped screen share', async () => {
    const { page, context, candidate, exam } = await candidatePage();
    makeQuestionSheet(e2e.db, exam.id);
    await page.goto('/exams');
    await page.getByTestId(`exam-${exam.id}`).getByTestId('enter-exam').click();
    await page.waitForURL(`**/exams/${exam.id}`);
    await shareScreen(page);
    for (const s of ['screen_share', 'camera', 'microphone']) {
      await expect.poll(() => page.getByTestId(`source-${s}`).getAttribute('data-on'), { timeout: 20_000 }).toBe('true');
    }
    // Signals count once everything is published (before that, the page is still setting up).
    await page.waitForTimeout(1500);

    // The candidate stops sharing from the browser's own bar: the track ends.
    await page.evaluate(() => {
      const v = document.querySelector<HTMLVideoElement>('video[data-testid=local-screen]');
      for (const t of (v?.srcObject as MediaStream | null)?.getVideoTracks() ?? []) {
        t.stop();
        t.dispatchEvent(new Event('ended'));
      }
    });
    await page.getByTestId('restore-screen').waitFor({ timeout: 15_000 });
    await screenshot(page, 'exam-screen-share-stopped');
    await page.getByTestId('restore-screen').click();
    await expect.poll(() => page.getByTestId('source-screen_share').getAttribute('data-on'), { timeout: 20_000 }).toBe('true');

    await context.setOffline(true);
    await page.waitForTimeout(1500);
    await context.setOffline(false);

    const types = () =>
      e2e.db
        .select({ type: events.type })
        .from(events)
        .where(and(eq(events.candidateId, candidate.id), like(events.type, 'integrity.%')))
        .all()
        .map((e) => e.type);
    for (const type of ['integrity.screen_share_stopped', 'integrity.screen_share_restored', 'integrity.offline', 'integrity.online']) {
      await expect.poll(types, { timeout: 20_000 }).toContain(type);
    }
  });
});
