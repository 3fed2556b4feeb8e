import { and, eq, isNull, ne, notInArray } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { auditLog, examRooms, helpThreads, users } from '@/db/schema';
import { toCaller } from '@/server/services/auth';
import { claim, openThread, upsertDesk } from '@/server/services/help';
import { makeCandidate, makeRoomScenario, makeSupportAgent, PASSWORD } from '../fixtures/factories';
import { e2eAppUrl } from '../helpers/e2e-env';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsStaff, screenshot } from '../helpers/journeys';

const e2e = useE2eSession();

/** Staff sign-in for any role, then the page we want. */
async function staffOpens(page: Page, username: string, path: string) {
  await loginAsStaff(page, username, PASSWORD);
  await page.goto(path);
}

/** Set once on the page: still there later means the page never reloaded. */
const markPage = (page: Page) => page.evaluate(() => ((window as unknown as { __leadMark: number }).__leadMark = 1));
const stillSamePage = (page: Page) => page.evaluate(() => (window as unknown as { __leadMark?: number }).__leadMark === 1);

const MIN = 60_000;
const rename = (id: number, name: string) => e2e.db.update(users).set({ name }).where(eq(users.id, id)).run();

/**
 * The 400 line as this test wants it: only its own agents active and only its own conversations
 * open (the e2e database is shared by every journey; earlier ones leave agents and threads behind).
 */
function onlyThese(agentIds: number[], threadIds: number[]) {
  const now = new Date();
  e2e.db
    .update(helpThreads)
    .set({ status: 'resolved', resolvedAt: now })
    .where(and(ne(helpThreads.status, 'resolved'), notInArray(helpThreads.id, threadIds)))
    .run();
  e2e.db
    .update(users)
    .set({ archivedAt: now })
    .where(and(eq(users.role, 'support'), isNull(users.archivedAt), notInArray(users.id, agentIds)))
    .run();
}

describe('the support lead view', () => {
  it('a lead sees the agents’ load and the queue, moves a conversation from agent A to agent B; B’s desk shows it live; a plain agent cannot open the view', async () => {
    const lead = await makeSupportAgent(e2e.db, { accepting: false });
    upsertDesk(e2e.db, lead.id, { lead: true });
    const agentA = await makeSupportAgent(e2e.db, { accepting: false, capacity: 4 });
    const agentB = await makeSupportAgent(e2e.db, { accepting: false, capacity: 2 });
    rename(lead.id, '赵静');
    rename(agentA.id, '王芳');
    rename(agentB.id, '李明');
    // Agents left accepting by earlier journeys would be given these conversations as they open.
    onlyThese([lead.id, agentA.id, agentB.id], []);

    // Candidates in two rooms of a running exam ask for help; one more, outside any exam, waits.
    const roomTen = await makeRoomScenario(e2e.db, { candidates: 1, exam: { startsIn: -5, durationMinutes: 90 } });
    const roomTwo = await makeRoomScenario(e2e.db, { candidates: 2, exam: { startsIn: -5, durationMinutes: 90 } });
    e2e.db.update(examRooms).set({ name: '第10考场' }).where(eq(examRooms.id, roomTen.room.id)).run();
    e2e.db.update(examRooms).set({ name: '第2考场' }).where(eq(examRooms.id, roomTwo.room.id)).run();
    rename(roomTwo.invigilator.id, '孙丽');
    rename(roomTen.invigilator.id, '周强');
    const names = ['张伟', '刘洋', '陈晨', '杨帆'];
    const cands = [...roomTwo.candidates, ...roomTen.candidates, await makeCandidate(e2e.db)];
    cands.forEach((c, i) => rename(c.id, names[i]!));
    const ago = (m: number) => new Date(Date.now() - m * MIN);
    // Nobody accepts while the threads are set up: each goes where the test puts it.
    const moved = openThread({ db: e2e.db, candidateId: cands[0]!.id, category: 'technical', body: '摄像头画面一直是黑的。', now: ago(9) });
    const keptA = openThread({ db: e2e.db, candidateId: cands[1]!.id, category: 'content', body: '第三题的附件打不开。', now: ago(4) });
    const heldB = openThread({ db: e2e.db, candidateId: cands[2]!.id, category: 'other', body: '交卷后还能修改吗？', now: ago(2) });
    claim({ db: e2e.db, caller: toCaller(agentA), threadId: moved.id, now: ago(8) });
    claim({ db: e2e.db, caller: toCaller(agentA), threadId: keptA.id, now: ago(3) });
    claim({ db: e2e.db, caller: toCaller(agentB), threadId: heldB.id, now: ago(1) });
    const waiting = openThread({ db: e2e.db, candidateId: cands[3]!.id, category: 'other', body: '怎么修改绑定的手机号？', now: ago(6) });
    onlyThese([lead.id, agentA.id, agentB.id], [moved.id, keptA.id, heldB.id, waiting.id]);
    // B takes new conversations (one free place of two); A is on a break.
    upsertDesk(e2e.db, agentB.id, { accepting: true });

    // Both agents have their desk open; B's is watched for the move.
    const deskA = await e2e.newPage();
    await staffOpens(deskA, agentA.username!, '/desk');
    await deskA.getByTestId('help-desk').waitFor();
    const deskB = await e2e.newPage();
    await staffOpens(deskB, agentB.username!, '/desk');
    await deskB.getByTestId('help-desk').waitFor();
    await markPage(deskB);
    await deskB.getByTestId(`desk-row-${heldB.id}`).waitFor();

    const page = await e2e.newPage();
    await staffOpens(page, lead.username!, '/desk');
    // The lead finds the view from the staff navigation.
    await page.getByTestId('staff-nav-lead').click();
    await page.waitForURL('**/desk/lead');
    await page.getByTestId('lead-view').waitFor();
    await markPage(page);

    const rowA = page.getByTestId(`lead-agent-${agentA.id}`);
    const rowB = page.getByTestId(`lead-agent-${agentB.id}`);
    // Presence is the open desk: both agents are at theirs, B taking new ones, A on a break.
    await expect.poll(() => rowA.getAttribute('data-presence')).toBe('away');
    await expect.poll(() => rowB.getAttribute('data-presence')).toBe('online');
    await expect(rowA.getAttribute('data-open')).resolves.toBe('2');
    await expect(rowB.getAttribute('data-open')).resolves.toBe('1');
    await expect(rowA.textContent()).resolves.toContain('2/4');
    await expect(rowB.textContent()).resolves.toContain('1/2');
    await rowA.getByTestId(`lead-thread-${moved.id}`).waitFor();
    // The queue: one waiting for six minutes, past the red mark.
    await expect(page.getByTestId('lead-queued').textContent()).resolves.toBe('1');
    await page.getByTestId('lead-queue').getByTestId(`lead-thread-${waiting.id}`).waitFor();
    await expect.poll(async () => (await page.getByTestId('lead-longest-wait').textContent())?.trim()).toMatch(/^6:\d\d$/);
    // Late first responses today: at least these two (9 and 6 minutes without a reply); earlier
    // journeys in the shared database may have left more today (the exact count is a unit test).
    expect(Number(await page.getByTestId('lead-breaches').textContent())).toBeGreaterThanOrEqual(2);
    // Rooms whose candidates are asking, with their invigilators.
    await expect(page.getByTestId(`lead-room-${roomTwo.room.id}`).textContent()).resolves.toContain('孙丽');
    // In natural order: 第2考场 before 第10考场.
    const roomOrder = await page
      .getByTestId('lead-rooms')
      .locator('[data-testid^=lead-room-]')
      .evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')));
    expect(roomOrder).toEqual([`lead-room-${roomTwo.room.id}`, `lead-room-${roomTen.room.id}`]);
    // The lead's own view keeps a desk stream open: they count as at the desk.
    const leadRow = page.getByTestId(`lead-agent-${lead.id}`);
    await expect.poll(() => leadRow.getAttribute('data-presence')).toBe('away');
    await screenshot(page, 'help-lead-view-zh-1366');

    // Move A's oldest conversation to B.
    await page.getByTestId(`lead-move-${moved.id}`).selectOption(String(agentB.id));
    await page.getByTestId(`lead-move-go-${moved.id}`).click();
    await rowB.getByTestId(`lead-thread-${moved.id}`).waitFor();
    await expect.poll(() => rowA.getAttribute('data-open')).toBe('1');

    // B's desk shows it as theirs, live, without a reload; so does A's.
    const rowOnB = deskB.getByTestId(`desk-row-${moved.id}`);
    await rowOnB.waitFor({ timeout: 15_000 });
    await expect.poll(() => rowOnB.getByTestId('desk-row-agent').textContent()).toBe('李明');
    expect(await stillSamePage(deskB)).toBe(true);
    await expect.poll(() => deskA.getByTestId(`desk-row-${moved.id}`).getByTestId('desk-row-agent').textContent()).toBe('李明');

    // In the database: the thread is B's, and the move is audited under the lead's name.
    expect(e2e.db.select().from(helpThreads).where(eq(helpThreads.id, moved.id)).get()?.agentId).toBe(agentB.id);
    const audit = e2e.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'help.reassigned'), eq(auditLog.actorId, lead.id)))
      .all();
    expect(audit.map((r) => r.detail)).toEqual([{ threadId: moved.id, fromAgentId: agentA.id, toAgentId: agentB.id }]);

    // The waiting candidate is handed to A from the queue.
    await page.getByTestId(`lead-move-${waiting.id}`).selectOption(String(agentA.id));
    await page.getByTestId(`lead-move-go-${waiting.id}`).click();
    await rowA.getByTestId(`lead-thread-${waiting.id}`).waitFor();
    await expect.poll(() => page.getByTestId('lead-queued').textContent()).toBe('0');
    expect(await stillSamePage(page)).toBe(true);

    // The same view in English.
    await page.context().addCookies([{ name: 'NEXT_LOCALE', value: 'en', url: e2eAppUrl }]);
    await page.reload();
    await page.getByTestId('lead-view').waitFor();
    await expect.poll(() => page.getByTestId('lead-agents').textContent()).toContain('Agents');
    await rowB.getByTestId(`lead-thread-${moved.id}`).waitFor();
    const rawKeys = await page.evaluate(() => document.body.innerText.match(/\b(deskLead|desk|help)\.[a-z][a-zA-Z.]+\b/g) ?? []);
    expect(rawKeys).toEqual([]);
    await expect.poll(() => leadRow.getAttribute('data-presence'), { timeout: 20_000 }).toBe('away');
    await screenshot(page, 'help-lead-view-en-1366');

    // A plain agent gets no link to it and is sent back to the desk when opening it by address.
    expect(await deskA.getByTestId('staff-nav-lead').count()).toBe(0);
    await deskA.goto('/desk/lead');
    await deskA.waitForURL('**/desk');
    await deskA.getByTestId('help-desk').waitFor();
  });
});
