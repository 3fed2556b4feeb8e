import { toCaller } from '@/server/services/auth';
import { desc, eq } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { helpMessages, helpThreads, users } from '@/db/schema';
import { openThread, resolve, upsertDesk } from '@/server/services/help';
import { makeCandidate, makeQuestionSheet, makeRoomScenario, makeSupportAgent, PASSWORD } from '../fixtures/factories';
import { e2eAppUrl } from '../helpers/e2e-env';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsCandidate, loginAsStaff, passWrittenSteps, screenshot } from '../helpers/journeys';

const e2e = useE2eSession();

async function newPage(viewport?: { width: number; height: number }): Promise<Page> {
  const page = await e2e.newPage();
  if (viewport) await page.setViewportSize(viewport);
  return page;
}

/** Staff sign-in for any role, then the page we want. */
async function staffOpens(page: Page, username: string, path: string) {
  await loginAsStaff(page, username, PASSWORD);
  await page.goto(path);
}

/** Auto-assign would hand the thread to any accepting support agent in the shared e2e database. */
function nobodyAccepting() {
  for (const u of e2e.db.select({ id: users.id }).from(users).where(eq(users.role, 'support')).all()) upsertDesk(e2e.db, u.id, { accepting: false });
}

const latestThread = (candidateId: number) =>
  e2e.db.select().from(helpThreads).where(eq(helpThreads.candidateId, candidateId)).orderBy(desc(helpThreads.id)).get();

/** Set once on the page: still there later means the page never reloaded. */
const markPage = (page: Page) => page.evaluate(() => ((window as unknown as { __helpMark: number }).__helpMark = 1));
const stillSamePage = (page: Page) => page.evaluate(() => (window as unknown as { __helpMark?: number }).__helpMark === 1);

/** A page that fits its window and shows no raw catalogue keys. */
async function expectClean(page: Page) {
  const { overflow, rawKeys } = await page.evaluate(() => ({
    overflow: document.documentElement.scrollWidth - window.innerWidth,
    rawKeys: document.body.innerText.match(/\b(desk|helpChat|help|grid)\.[a-z][a-zA-Z.]+\b/g) ?? [],
  }));
  expect(overflow).toBeLessThanOrEqual(0);
  expect(rawKeys).toEqual([]);
}

describe('the help desk', () => {
  it('a candidate mid-exam asks for help; the support agent sees it live, claims, notes and answers; the candidate sees the answer, never the note', async () => {
    const { exam, room, candidates } = await makeRoomScenario(e2e.db, { candidates: 1, exam: { startsIn: -1, durationMinutes: 60 } });
    makeQuestionSheet(e2e.db, exam.id);
    const candidate = candidates[0]!;
    nobodyAccepting();
    const agent = await makeSupportAgent(e2e.db, { accepting: false });
    // Two candidates already waiting: one past the red first-response mark, one past amber.
    const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
    const waiting = [
      openThread({ db: e2e.db, candidateId: (await makeCandidate(e2e.db)).id, category: 'other', body: '手机无法扫码绑定。', now: minutesAgo(6) }),
      openThread({ db: e2e.db, candidateId: (await makeCandidate(e2e.db)).id, category: 'content', body: '附件打不开。', now: minutesAgo(3) }),
    ];

    // The agent's desk is open before the question arrives.
    const desk = await newPage();
    await staffOpens(desk, agent.username!, '/desk');
    await desk.getByTestId('help-desk').waitFor();
    await markPage(desk);

    // The candidate is in the exam, the paper on screen.
    const cand = await newPage();
    await loginAsCandidate(cand, candidate.idNumber!, PASSWORD);
    await cand.goto(`/exams/${exam.id}`);
    await passWrittenSteps(cand);
    await cand.getByTestId('answer-q1').waitFor({ timeout: 20_000 });
    await markPage(cand);

    await cand.getByTestId('help-button').click();
    const panel = cand.getByTestId('help-panel');
    await panel.getByTestId('help-category-technical').click();
    await panel.getByTestId('chat-input').fill('摄像头突然黑屏了，怎么办？');
    await panel.getByTestId('chat-input').press('Enter');
    await expect.poll(() => panel.getByTestId('help-status').getAttribute('data-status')).toBe('queued');
    // Before anyone takes it: the place in the queue.
    await expect.poll(() => panel.getByTestId('help-queue-position').textContent()).toMatch(/您前面还有 \d+ 人/);
    await expect.poll(() => panel.getByTestId('chat-candidate').last().textContent()).toContain('摄像头突然黑屏了');
    await screenshot(cand, 'help-candidate-queued-exam-1366');
    const thread = latestThread(candidate.id)!;
    expect(thread).toMatchObject({ status: 'queued', category: 'technical', examId: exam.id, roomId: room.id });

    // The desk shows it without a reload, unassigned, with the first-response clock running.
    const row = desk.getByTestId(`desk-row-${thread.id}`);
    await row.waitFor({ timeout: 15_000 });
    await expect(row.getAttribute('data-status')).resolves.toBe('queued');
    await expect(desk.getByTestId(`desk-row-${waiting[0]!.id}`).getAttribute('data-sla')).resolves.toBe('red');
    await expect(desk.getByTestId(`desk-row-${waiting[1]!.id}`).getAttribute('data-sla')).resolves.toBe('amber');
    // Oldest waiting first.
    const order = await desk
      .getByTestId('desk-queue')
      .locator('[data-thread-id]')
      .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-thread-id'))));
    expect(order.indexOf(waiting[0]!.id)).toBeLessThan(order.indexOf(waiting[1]!.id));
    expect(order.indexOf(waiting[1]!.id)).toBeLessThan(order.indexOf(thread.id));
    await expect(row.getAttribute('data-sla')).resolves.toBe('ok');
    // Soft: a wrong count is reported, and the rest of the journey still runs.
    expect.soft(await row.getByTestId('desk-row-unread').textContent()).toBe('1');
    await row.click();
    const chat = desk.getByTestId('desk-chat');
    await expect.poll(() => chat.getAttribute('data-thread-id')).toBe(String(thread.id));
    await expect.poll(() => chat.getByTestId('chat-candidate').last().textContent()).toContain('摄像头突然黑屏了');
    // Candidate context: exam, room and seat, beside the chat.
    const context = desk.getByTestId('desk-context');
    await expect.poll(() => context.textContent()).toContain(exam.title);
    await expect.poll(() => context.textContent()).toContain(room.name);
    // Read on screen: the row's unread count goes.
    await expect.poll(() => row.getByTestId('desk-row-unread').count()).toBe(0);

    // Typing shows on the other side, both ways.
    const deskInput = chat.getByTestId('chat-input');
    const candInput = panel.getByTestId('chat-input');
    await expect
      .poll(
        async () => {
          await deskInput.pressSequentially('好');
          return panel.getByTestId('typing-indicator').textContent();
        },
        { timeout: 15_000, interval: 2100 },
      )
      .toContain(agent.name);
    await expect
      .poll(
        async () => {
          await candInput.pressSequentially('嗯');
          return chat.getByTestId('typing-indicator').textContent();
        },
        { timeout: 15_000, interval: 2100 },
      )
      .toContain(candidate.name);
    await candInput.fill('');
    await deskInput.fill('');

    // Claim: the candidate sees the agent's name.
    await chat.getByTestId('desk-claim').click();
    await expect.poll(() => row.getAttribute('data-status')).toBe('assigned');
    await expect.poll(() => panel.getByTestId('help-agent').textContent(), { timeout: 15_000 }).toContain(agent.name);

    // The candidate closes the panel; an internal note, then the answer.
    await cand.getByTestId('help-button').click();
    await chat.getByTestId('mode-note').click();
    await deskInput.fill('内部备注：考生网络较差，注意观察 NOTE-7731');
    await deskInput.press('Enter');
    await expect.poll(() => chat.getByTestId('chat-note').last().textContent()).toContain('NOTE-7731');
    await chat.getByTestId('mode-reply').click();

    // A canned reply, added in the manager, drops into the draft from the picker.
    await desk.getByTestId('canned-manage').click();
    const manager = desk.getByTestId('canned-manager');
    await manager.getByTestId('canned-title').fill('摄像头无画面 CANNED-7731');
    await manager.getByTestId('canned-body').fill('请关闭其他使用摄像头的程序后刷新。');
    await manager.getByTestId('canned-save').click();
    await expect.poll(() => manager.textContent()).toContain('CANNED-7731');
    await screenshot(desk, 'help-desk-canned-manager');
    await desk.keyboard.press('Escape');
    await chat.getByTestId('canned-open').click();
    await desk.getByTestId('canned-picker').locator('input').fill('CANNED-7731');
    await desk.getByTestId('canned-picker').locator('input').press('Enter');
    await expect.poll(() => deskInput.inputValue()).toBe('请关闭其他使用摄像头的程序后刷新。');

    await deskInput.fill('请检查摄像头是否被其他程序占用，然后点击“恢复”。ANSWER-7731');
    await deskInput.press('Shift+Enter');
    await deskInput.pressSequentially('如仍有问题请继续留言。');
    await deskInput.press('Enter');
    await expect.poll(() => chat.getByTestId('chat-agent').last().textContent()).toContain('如仍有问题请继续留言');
    await screenshot(desk, 'help-desk-1366');

    // The Help button counts the unread reply; opening the panel shows it and clears the count.
    await expect.poll(() => cand.getByTestId('help-unread').textContent(), { timeout: 15_000 }).toBe('1');
    await screenshot(cand, 'help-candidate-unread-badge-exam');
    await cand.getByTestId('help-button').click();
    await expect.poll(() => panel.getByTestId('chat-agent').last().textContent()).toContain('ANSWER-7731');
    await expect.poll(() => cand.getByTestId('help-unread').count()).toBe(0);
    await screenshot(cand, 'help-candidate-answered-exam-1366');
    // Shift+Enter kept its line break.
    expect(e2e.db.select().from(helpMessages).where(eq(helpMessages.threadId, thread.id)).all().at(-1)?.body).toBe(
      '请检查摄像头是否被其他程序占用，然后点击“恢复”。ANSWER-7731\n如仍有问题请继续留言。',
    );
    // The note never reaches the candidate's page.
    await expect(cand.locator('body').textContent()).resolves.not.toContain('NOTE-7731');
    await expect(panel.getByTestId('chat-note').count()).resolves.toBe(0);
    // Nothing reloaded on either side.
    await expect(stillSamePage(cand)).resolves.toBe(true);
    await expect(stillSamePage(desk)).resolves.toBe(true);
    await expectClean(desk);

    // The candidate's network drops while the agent writes: back online, the stream resumes
    // from its last event id and the missed reply arrives once.
    await cand.context().setOffline(true);
    await cand.waitForTimeout(1500);
    await deskInput.fill('网络恢复后您会看到这条消息 OFFLINE-7731');
    await deskInput.press('Enter');
    await expect.poll(() => chat.getByTestId('chat-agent').last().textContent()).toContain('OFFLINE-7731');
    // Emulated offline fails new requests; a stream already open may or may not be cut, so
    // the reply may already be there. Either way it must end up there exactly once.
    await cand.waitForTimeout(1500);
    await cand.context().setOffline(false);
    await expect.poll(() => panel.getByTestId('chat-agent').last().textContent(), { timeout: 30_000 }).toContain('OFFLINE-7731');
    await expect(panel.getByText('OFFLINE-7731').count()).resolves.toBe(1);
    await expect(stillSamePage(cand)).resolves.toBe(true);

    // Switching threads from the keyboard keeps each thread's draft.
    await deskInput.fill('草稿 DRAFT-7731');
    await desk.keyboard.press('Alt+ArrowUp');
    await expect.poll(() => chat.getAttribute('data-thread-id')).toBe(String(waiting[1]!.id));
    await expect.poll(() => deskInput.inputValue()).toBe('');
    await desk.keyboard.press('Alt+ArrowDown');
    await expect.poll(() => chat.getAttribute('data-thread-id')).toBe(String(thread.id));
    await expect.poll(() => deskInput.inputValue()).toBe('草稿 DRAFT-7731');
    await deskInput.fill('');

    // Resolved, then the candidate writes again: the thread reopens and is back in the queue.
    await chat.getByTestId('desk-resolve').click();
    await expect.poll(() => panel.getByTestId('help-status').getAttribute('data-status'), { timeout: 15_000 }).toBe('resolved');
    // Typed once the panel has settled into "finished" (the composer says sending reopens it),
    // and sent once the draft has cleared (the server took it).
    await expect.poll(() => candInput.getAttribute('placeholder')).toBe('本次咨询已结束，发送消息将重新打开');
    await candInput.fill('还是不行，又黑屏了。');
    await candInput.press('Enter');
    await expect.poll(() => candInput.inputValue(), { timeout: 15_000 }).toBe('');
    await expect.poll(() => row.getAttribute('data-status'), { timeout: 15_000 }).toBe('queued');
    await expect.poll(() => panel.getByTestId('help-status').getAttribute('data-status')).toBe('queued');

    // The desk at full HD, and the candidate's panel in a narrow window on a portal page.
    await desk.setViewportSize({ width: 1920, height: 1080 });
    await screenshot(desk, 'help-desk-1920');
    await expectClean(desk);
    await cand.setViewportSize({ width: 390, height: 760 });
    await cand.goto('/exams');
    await cand.getByTestId('help-button').click();
    await expect.poll(() => cand.getByTestId('help-panel').getByTestId('chat-candidate').last().textContent()).toContain('还是不行');
    await screenshot(cand, 'help-candidate-narrow');
    const box = await cand.getByTestId('help-panel').boundingBox();
    expect(box!.x).toBeGreaterThanOrEqual(0);
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);

    // Transfer to a colleague (picked from the agent list), resolve and reopen by hand.
    const colleague = await makeSupportAgent(e2e.db, { accepting: false });
    await desk.getByTestId(`desk-row-${waiting[0]!.id}`).click();
    await expect.poll(() => chat.getAttribute('data-thread-id')).toBe(String(waiting[0]!.id));
    await chat.getByTestId('desk-transfer').click();
    await chat.getByTestId(`transfer-to-${colleague.id}`).click();
    await expect
      .poll(() => desk.getByTestId(`desk-row-${waiting[0]!.id}`).getByTestId('desk-row-agent').textContent(), { timeout: 15_000 })
      .toBe(colleague.name);
    await chat.getByTestId('desk-resolve').click();
    await desk.getByTestId('desk-tab-resolved').click();
    await expect.poll(() => desk.getByTestId(`desk-row-${waiting[0]!.id}`).getAttribute('data-status'), { timeout: 15_000 }).toBe('resolved');
    await chat.getByTestId('desk-reopen').click();
    await desk.getByTestId('desk-tab-open').click();
    await expect.poll(() => desk.getByTestId(`desk-row-${waiting[0]!.id}`).getAttribute('data-status'), { timeout: 15_000 }).toBe('queued');

    // Nothing of this test stays queued in the shared database for the next one.
    for (const id of [...waiting.map((w) => w.id), thread.id]) resolve({ db: e2e.db, caller: toCaller(agent), threadId: id });
  });

  it('the invigilator grid shows a help badge on the candidate tile while the thread is open, linking to the desk', async () => {
    const { exam, room, invigilator, candidates } = await makeRoomScenario(e2e.db, { candidates: 2, exam: { startsIn: -1, durationMinutes: 60 } });
    makeQuestionSheet(e2e.db, exam.id);
    const [asking, quiet] = candidates as [(typeof candidates)[0], (typeof candidates)[0]];
    nobodyAccepting();

    const grid = await newPage();
    await loginAsStaff(grid, invigilator.username!, PASSWORD);
    await grid.goto(`/rooms/${room.id}`);
    const tile = grid.getByTestId(`tile-${asking.id}`);
    await tile.waitFor({ timeout: 20_000 });
    await expect(tile.getByTestId('tile-help').count()).resolves.toBe(0);

    // The candidate asks from the portal, before entering the exam.
    const cand = await newPage();
    await loginAsCandidate(cand, asking.idNumber!, PASSWORD);
    await cand.getByTestId('help-button').click();
    await cand.getByTestId('help-category-content').click();
    await cand.getByTestId('help-panel').getByTestId('chat-input').fill('第三题的题干看不清楚。');
    await cand.getByTestId('help-panel').getByTestId('chat-send').click();
    await screenshot(cand, 'help-candidate-portal-1366');

    await expect.poll(() => latestThread(asking.id)?.status ?? null, { timeout: 15_000 }).toBe('queued');
    const thread = latestThread(asking.id)!;
    const badge = tile.getByTestId('tile-help');
    await badge.waitFor({ timeout: 15_000 });
    await expect(badge.getAttribute('href')).resolves.toBe(`/desk?thread=${thread.id}`);
    await expect(grid.getByTestId(`tile-${quiet.id}`).getByTestId('tile-help').count()).resolves.toBe(0);
    await screenshot(grid, 'help-grid-badge');

    // A fresh grid shows it from the snapshot, not only from live events.
    await grid.reload();
    await grid.getByTestId(`tile-${asking.id}`).getByTestId('tile-help').waitFor({ timeout: 20_000 });

    // The badge opens the thread on the desk (another tab, so the grid keeps its video).
    const [deskTab] = await Promise.all([grid.context().waitForEvent('page'), grid.getByTestId(`tile-${asking.id}`).getByTestId('tile-help').click()]);
    await deskTab.waitForLoadState();
    expect(new URL(deskTab.url()).pathname + new URL(deskTab.url()).search).toBe(`/desk?thread=${thread.id}`);
    const chat = deskTab.getByTestId('desk-chat');
    await expect.poll(() => chat.getAttribute('data-thread-id'), { timeout: 15_000 }).toBe(String(thread.id));
    await expect.poll(() => chat.getByTestId('chat-candidate').last().textContent()).toContain('第三题的题干看不清楚');
    // The focus view did not open underneath.
    await expect(grid.getByTestId('focus-view').count()).resolves.toBe(0);

    // The desk in English reads in full: no raw catalogue keys.
    await deskTab.context().addCookies([{ name: 'NEXT_LOCALE', value: 'en', url: e2eAppUrl }]);
    await deskTab.reload();
    await expect.poll(() => chat.getByTestId('chat-candidate').last().textContent(), { timeout: 15_000 }).toContain('第三题的题干看不清楚');
    await expect.poll(() => deskTab.getByTestId('desk-context').textContent()).toContain(room.name);
    await screenshot(deskTab, 'help-desk-en');
    await expectClean(deskTab);

    // Resolved on the desk: the badge goes away live.
    await chat.getByTestId('desk-resolve').click();
    await expect.poll(() => grid.getByTestId(`tile-${asking.id}`).getByTestId('tile-help').count(), { timeout: 15_000 }).toBe(0);
  });
});
