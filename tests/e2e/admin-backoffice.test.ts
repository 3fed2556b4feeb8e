import { and, eq, isNull } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { examRooms, exams, registrations, users } from '@/db/schema';
import { toInputValue } from '@/components/admin/exams/time';
import { makeCandidate, makeIdNumber, makeStaff, PASSWORD } from '../fixtures/factories';
import { useE2eSession } from '../helpers/e2e-session';
import { e2eAppUrl } from '../helpers/e2e-env';
import { loginAsCandidate, loginAsStaff, screenshot } from '../helpers/journeys';

const e2e = useE2eSession();
const MIN = 60_000;

/** A 50-row import file as Excel would save it (UTF-8 here), the first row an existing candidate. */
function candidatesCsv(first: { name: string; idNumber: string }) {
  const rows = [`${first.name},${first.idNumber},19900001000,first@example.com`];
  for (let i = 1; i < 50; i++) rows.push(`后台考生${i},${makeIdNumber()},1990000${String(2000 + i).padStart(4, '0')},c${i}-${Date.now()}@example.com`);
  return Buffer.from(['姓名,身份证号,手机号,邮箱', ...rows].join('\r\n'));
}

describe('back office: preparing an exam from the UI alone', () => {
  it('an admin creates an exam, imports 50 candidates, distributes them over 2 rooms and assigns an invigilator; a candidate then sees the exam', async () => {
    const db = e2e.db;
    const admin = await makeStaff(db, 'admin');
    const invigilator = await makeStaff(db, 'invigilator');
    // A candidate who already has an account with password login (as the demo seed makes them).
    const seeded = await makeCandidate(db, { passwordLoginEnabled: true });

    const page = await e2e.newPage();
    await loginAsStaff(page, admin.username!, PASSWORD);
    expect(new URL(page.url()).pathname).toBe('/admin/exams');

    // 1. The exam, through the form, a day ahead (Beijing time).
    await page.getByTestId('exams-new').click();
    await page.waitForURL('**/admin/exams/new');
    const base = Math.ceil(Date.now() / (60 * MIN)) * 60 * MIN + 24 * 60 * MIN;
    const title = `后台全流程笔试 ${Date.now()}`;
    await page.getByLabel('考试名称').fill(title);
    await page.getByTestId('exam-kind-written').check({ force: true });
    await page.getByLabel('入场开始时间').fill(toInputValue(new Date(base)));
    await page.getByLabel('入场截止时间').fill(toInputValue(new Date(base + 45 * MIN)));
    await page.getByLabel('开考时间', { exact: true }).fill(toInputValue(new Date(base + 30 * MIN)));
    await page.getByLabel('考试时长（分钟）').fill('120');
    await page.getByLabel('考生须知').fill('请独立完成，考试全程保持摄像头开启。');
    await page.getByTestId('exam-save').click();
    await page.waitForURL('**/admin/exams/*/settings', { timeout: 15_000 });
    const exam = db.select().from(exams).where(eq(exams.title, title)).get()!;
    expect(exam).toMatchObject({ kind: 'written', durationMinutes: 120, startsAt: new Date(base + 30 * MIN) });

    // 2. Two rooms.
    await page.getByTestId('exam-tab-rooms').click();
    await page.waitForURL('**/rooms');
    for (const name of ['第一考场', '第二考场']) {
      await page.getByTestId('new-room-name').fill(name);
      await page.getByTestId('new-room-capacity').fill('30');
      await page.getByTestId('new-room-submit').click();
      await page.locator(`[data-room-name="${name}"]`).waitFor();
    }

    // 3. Fifty candidates from a file: preview first, then commit.
    await page.getByTestId('exam-tab-candidates').click();
    await page.waitForURL('**/candidates');
    await page
      .getByTestId('import-file')
      .setInputFiles({ name: '考生名单.csv', mimeType: 'text/csv', buffer: candidatesCsv(seeded as { name: string; idNumber: string }) });
    await expect(page.getByTestId('import-commit').textContent()).resolves.toBe('确认导入 50 名考生');
    await page.getByTestId('import-commit').click();
    await page.getByTestId('import-committed').waitFor();
    await screenshot(page, 'admin-flow-imported');
    expect(
      db
        .select()
        .from(registrations)
        .where(and(eq(registrations.examId, exam.id), isNull(registrations.roomId)))
        .all(),
    ).toHaveLength(50);
    // The existing account was reused, not duplicated, and keeps its password login.
    expect(db.select().from(users).where(eq(users.idNumber, seeded.idNumber!)).all()).toMatchObject([{ id: seeded.id, passwordLoginEnabled: true }]);

    // 4. Even distribution over the two rooms, and an invigilator for the first.
    await page.getByTestId('exam-tab-rooms').click();
    await page.waitForURL('**/rooms');
    await expect.poll(() => page.getByTestId('rooms-unplaced').textContent()).toBe('未分配考生：50 人');
    await page.getByTestId('distribute-unplaced').click();
    await page.getByTestId('distribute-confirm-yes').click();
    await page.getByTestId('distribute-result').waitFor();
    await expect.poll(() => page.getByTestId('rooms-unplaced').textContent()).toBe('未分配考生：0 人');
    const rooms = db.select().from(examRooms).where(eq(examRooms.examId, exam.id)).all();
    expect(rooms.map((r) => db.select().from(registrations).where(eq(registrations.roomId, r.id)).all().length)).toEqual([25, 25]);
    const first = rooms.find((r) => r.name === '第一考场')!;
    await page.getByTestId(`room-${first.id}-assign-select`).selectOption(String(invigilator.id));
    await page.getByTestId(`room-${first.id}-assign-button`).click();
    await page.getByTestId(`room-${first.id}-invigilator-${invigilator.id}`).waitFor();
    await screenshot(page, 'admin-flow-rooms');

    // 5. The overview counts everyone as not yet entered.
    await page.getByTestId('exam-tab-overview').click();
    await page.getByTestId('exam-dashboard').waitFor();
    await expect.poll(() => page.getByTestId('dashboard-total').textContent()).toBe('50');
    await expect(page.getByTestId('dashboard-count-not_checked_in').textContent()).resolves.toContain('50');
    await screenshot(page, 'admin-flow-dashboard');

    // The same pages in English.
    await page.context().addCookies([{ name: 'NEXT_LOCALE', value: 'en', url: e2eAppUrl }]);
    await page.reload();
    await expect.poll(() => page.getByTestId('exam-tab-rooms').textContent()).toBe('Rooms & invigilators');
    await screenshot(page, 'admin-flow-dashboard-en');
    await page.getByTestId('exam-tab-candidates').click();
    await page.getByTestId('candidate-row').first().waitFor();
    await screenshot(page, 'admin-flow-candidates-en');

    // 6. The candidate logs in and sees the new exam with their room; the invigilator sees the room.
    const candidatePage = await e2e.newPage();
    await loginAsCandidate(candidatePage, seeded.idNumber!, PASSWORD);
    const card = candidatePage.getByTestId(`exam-${exam.id}`);
    await card.waitFor();
    await expect(card.textContent()).resolves.toContain(title);
    const seat = db
      .select()
      .from(registrations)
      .where(and(eq(registrations.examId, exam.id), eq(registrations.candidateId, seeded.id)))
      .get()!;
    const room = rooms.find((r) => r.id === seat.roomId)!;
    await expect(card.textContent()).resolves.toContain(room.name);
    await screenshot(candidatePage, 'admin-flow-candidate-sees-exam');

    const invigilatorPage = await e2e.newPage();
    await loginAsStaff(invigilatorPage, invigilator.username!, PASSWORD);
    await invigilatorPage.getByTestId(`room-${first.id}`).waitFor();
  });
});
