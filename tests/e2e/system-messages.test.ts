import { desc, eq } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { messageReceipts, messages } from '@/db/schema';
import { makeQuestionSheet, makeRoomScenario, makeStaff, PASSWORD } from '../fixtures/factories';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsCandidate, loginAsStaff, recordMetric, screenshot } from '../helpers/journeys';

const e2e = useE2eSession();

/** Marks the document, so a later check can tell the page was never reloaded. */
const mark = (page: Page) => page.evaluate(() => ((window as unknown as { __noReload: boolean }).__noReload = true));
const stillSamePage = (page: Page) => page.evaluate(() => (window as unknown as { __noReload?: boolean }).__noReload === true);

const stat = (page: Page, messageId: number, name: 'delivered' | 'read' | 'acknowledged') =>
  page.getByTestId(`sent-${messageId}`).getByTestId(`stat-${name}`).getAttribute('data-value');

/** Tries every way out of the dialog but the button; it must still be there. */
async function tryToEscape(page: Page) {
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  await page.mouse.click(5, 5);
  // The nav link under the backdrop: the page beneath is inert.
  const nav = page.getByTestId('nav-exams');
  if (await nav.count()) {
    const box = (await nav.boundingBox())!;
    await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  }
  await page.waitForTimeout(300);
  await expect(page.getByTestId('message-dialog').isVisible()).resolves.toBe(true);
}

async function acknowledge(page: Page) {
  const button = page.getByTestId('message-dialog-ack');
  await expect.poll(() => button.isEnabled(), { timeout: 5_000 }).toBe(true);
  await button.click();
}

describe('system messages', () => {
  it('an urgent must-acknowledge broadcast to an exam blocks candidates on the portal and in the exam until acknowledged; the sender sees the counts move', async () => {
    const { exam, candidates } = await makeRoomScenario(e2e.db, { candidates: 2, exam: { startsIn: -1, durationMinutes: 60 } });
    makeQuestionSheet(e2e.db, exam.id);
    const admin = await makeStaff(e2e.db, 'admin');
    const [onPortal, inExam] = candidates as [(typeof candidates)[number], (typeof candidates)[number]];

    // Both candidates are already on a page before anything is sent.
    const portal = await e2e.newPage();
    await loginAsCandidate(portal, onPortal.idNumber!, PASSWORD);
    await mark(portal);
    const examPage = await e2e.newPage();
    await loginAsCandidate(examPage, inExam.idNumber!, PASSWORD);
    await examPage.goto(`/exams/${exam.id}`);
    await examPage.getByTestId('exam-room').waitFor({ timeout: 20_000 });
    await mark(examPage);

    // The admin composes on /notices.
    const staff = await e2e.newPage();
    await loginAsStaff(staff, admin.username!, PASSWORD);
    await staff.goto('/notices');
    await staff.getByTestId('audience-exam').check({ force: true });
    await staff.getByTestId('compose-exam').selectOption(String(exam.id));
    await staff.getByTestId('compose-title').fill('考试时间调整通知');
    await staff.getByTestId('compose-body').fill('因网络维护，本场考试结束时间顺延 10 分钟。\n请确认后继续作答。');
    await staff.getByTestId('priority-urgent').check();
    await staff.getByTestId('compose-must-ack').check();
    await expect(staff.getByTestId('compose-preview').getAttribute('data-kind')).resolves.toBe('dialog');
    await screenshot(staff, 'notices-compose');
    const sentAt = Date.now();
    await staff.getByTestId('compose-send').click();
    await expect(staff.getByTestId('compose-sent').textContent()).resolves.toContain('2');
    const message = e2e.db.select().from(messages).where(eq(messages.sentBy, admin.id)).orderBy(desc(messages.id)).get()!;
    expect(message).toMatchObject({ audience: 'exam', examId: exam.id, priority: 'urgent', mustAcknowledge: true });

    // Both candidates get the blocking dialog without a reload.
    for (const page of [portal, examPage]) {
      await page.getByTestId('message-dialog').waitFor({ timeout: 10_000 });
      await expect(page.getByTestId('message-dialog-title').textContent()).resolves.toBe('考试时间调整通知');
      await expect(stillSamePage(page)).resolves.toBe(true);
    }
    recordMetric('systemMessageToDialogMs', Date.now() - sentAt);
    await screenshot(portal, 'system-message-dialog-portal');
    await screenshot(examPage, 'system-message-dialog-exam');

    // The sender's counts: delivered to both, nobody has acknowledged yet.
    await expect.poll(() => stat(staff, message.id, 'delivered'), { timeout: 10_000 }).toBe('2');
    await expect(stat(staff, message.id, 'acknowledged')).resolves.toBe('0');

    // No way out but the button.
    await tryToEscape(portal);
    await tryToEscape(examPage);
    expect(portal.url()).toContain('/exams');
    expect(
      e2e.db
        .select()
        .from(messageReceipts)
        .where(eq(messageReceipts.messageId, message.id))
        .all()
        .filter((r) => r.acknowledgedAt),
    ).toEqual([]);

    await acknowledge(portal);
    await portal.getByTestId('message-dialog').waitFor({ state: 'detached', timeout: 10_000 });
    await expect.poll(() => stat(staff, message.id, 'acknowledged'), { timeout: 10_000 }).toBe('1');

    await acknowledge(examPage);
    await examPage.getByTestId('message-dialog').waitFor({ state: 'detached', timeout: 10_000 });
    await expect.poll(() => stat(staff, message.id, 'acknowledged'), { timeout: 10_000 }).toBe('2');
    await expect(stat(staff, message.id, 'read')).resolves.toBe('2');
    await staff.getByTestId(`sent-${message.id}`).scrollIntoViewIfNeeded();
    await staff.evaluate(() => window.scrollTo(0, 0));
    // Past the bars' width transition.
    await staff.waitForTimeout(400);
    await screenshot(staff, 'notices-sent-live');

    // After a reload the acknowledged message does not come back, and the message centre shows it acknowledged.
    await portal.goto('/messages');
    await portal.getByTestId(`message-${message.id}`).waitFor();
    await expect(portal.getByTestId(`message-${message.id}`).getAttribute('data-acknowledged')).resolves.toBe('true');
    await expect(portal.getByTestId('message-dialog').count()).resolves.toBe(0);
  });

  it('several messages queue one after another; a normal one is a toast, an urgent one a banner until read; the badge and the message centre update live', async () => {
    const { room, candidates } = await makeRoomScenario(e2e.db, { candidates: 1 });
    const admin = await makeStaff(e2e.db, 'admin');
    const c = candidates[0]!;
    const page = await e2e.newPage();
    await loginAsCandidate(page, c.idNumber!, PASSWORD);
    await page.goto('/messages');
    await mark(page);

    const staff = await e2e.newPage();
    await loginAsStaff(staff, admin.username!, PASSWORD);
    await staff.goto('/notices');
    const send = async (opts: { title: string; urgent?: boolean; ack?: boolean }) => {
      await staff.getByTestId('audience-room').check({ force: true });
      await staff.getByTestId('compose-room').selectOption(String(room.id));
      await staff.getByTestId('compose-title').fill(opts.title);
      await staff.getByTestId('compose-body').fill(`${opts.title}的内容`);
      await staff.getByTestId(opts.urgent ? 'priority-urgent' : 'priority-normal').check();
      if ((await staff.getByTestId('compose-must-ack').isChecked()) !== !!opts.ack) await staff.getByTestId('compose-must-ack').click();
      await staff.getByTestId('compose-send').click();
      await expect.poll(() => staff.getByTestId('compose-title').inputValue()).toBe('');
    };
    await send({ title: '第一条需确认', ack: true });
    await send({ title: '第二条需确认', ack: true });
    await send({ title: '普通通知' });
    await send({ title: '紧急通知', urgent: true });

    await page.getByTestId('message-dialog').waitFor({ timeout: 10_000 });
    await expect(page.getByTestId('message-dialog-title').textContent()).resolves.toBe('第一条需确认');
    await expect(page.getByTestId('message-dialog-waiting').textContent()).resolves.toContain('1');
    // The normal message's toast is up meanwhile (it hides by itself after a few seconds).
    await expect(page.getByTestId('message-toast').textContent()).resolves.toContain('普通通知');
    await acknowledge(page);
    await expect.poll(() => page.getByTestId('message-dialog-title').textContent(), { timeout: 10_000 }).toBe('第二条需确认');
    await acknowledge(page);
    await page.getByTestId('message-dialog').waitFor({ state: 'detached' });

    await page.getByTestId('message-banner').waitFor();
    await expect(page.getByTestId('message-banner').textContent()).resolves.toContain('紧急通知');
    // The message centre list and the badge caught up without a reload: 4 messages, 2 unread.
    await expect.poll(() => page.locator('[data-testid^=message-][data-unread]').count(), { timeout: 10_000 }).toBe(4);
    await expect.poll(() => page.getByTestId('unread-badge').textContent(), { timeout: 10_000 }).toBe('2');
    await screenshot(page, 'system-message-banner-toast');

    await page.getByTestId('message-banner-read').click();
    await page.getByTestId('message-banner').waitFor({ state: 'detached' });
    await expect.poll(() => page.getByTestId('unread-badge').textContent(), { timeout: 10_000 }).toBe('1');
    await expect(stillSamePage(page)).resolves.toBe(true);
  });
});
