import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { chiefInvigilators, examRooms, invigilatorAssignments, registrations, users } from '@/db/schema';
import { NO_PASSWORD } from '@/server/services/auth';
import { makeExam, makeIdNumber, makeStaff, PASSWORD } from '../fixtures/factories';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsStaff, screenshot } from '../helpers/journeys';

const e2e = useE2eSession();

describe('admin: rooms and staff', () => {
  it('an admin creates two rooms, auto-distributes 50 candidates, assigns an invigilator and the chief', async () => {
    const db = e2e.db;
    const admin = await makeStaff(db, 'admin');
    const invigilator = await makeStaff(db, 'invigilator');
    const exam = makeExam(db, { opensIn: 24 * 60, closesIn: 25 * 60, startsIn: 24 * 60 + 30 });
    // 50 imported candidates, not yet placed (as the importer leaves them without a room column).
    db.transaction((tx) => {
      for (let i = 0; i < 50; i++) {
        const c = tx
          .insert(users)
          .values({ role: 'candidate', name: `分配考生${i + 1}`, idNumber: makeIdNumber(), passwordHash: NO_PASSWORD })
          .returning()
          .get();
        tx.insert(registrations).values({ examId: exam.id, candidateId: c.id }).run();
      }
    });

    const page = await e2e.newPage();
    await loginAsStaff(page, admin.username!, PASSWORD);
    await page.goto(`/admin/exams/${exam.id}/rooms`);
    await page.getByTestId('rooms-console').waitFor();
    await expect(page.getByTestId('rooms-unplaced').textContent()).resolves.toBe('未分配考生：50 人');
    await expect(page.getByTestId('rooms-empty').isVisible()).resolves.toBe(true);

    for (const [name, capacity] of [
      ['第一考场', '30'],
      ['第二考场', '30'],
    ] as const) {
      await page.getByTestId('new-room-name').fill(name);
      await page.getByTestId('new-room-capacity').fill(capacity);
      await page.getByTestId('new-room-submit').click();
      await page.locator(`[data-room-name="${name}"]`).waitFor();
    }
    // A duplicate name is refused beside the form, in Chinese.
    await page.getByTestId('new-room-name').fill('第一考场');
    await page.getByTestId('new-room-submit').click();
    await expect(page.getByTestId('new-room-form').getByRole('alert').textContent()).resolves.toBe('本场考试已有名为“第一考场”的考场，请换一个名称');

    await page.getByTestId('distribute-unplaced').click();
    await expect(page.getByTestId('distribute-confirm').textContent()).resolves.toContain('确认把 50 名未分配的考生自动分配到 2 个考场？');
    await page.getByTestId('distribute-confirm-yes').click();
    await page.getByTestId('distribute-result').waitFor();
    await expect(page.getByTestId('distribute-result').textContent()).resolves.toContain('已分配 50 人，调动 0 人。');
    await expect.poll(() => page.getByTestId('rooms-unplaced').textContent()).toBe('未分配考生：0 人');

    const rooms = db.select().from(examRooms).where(eq(examRooms.examId, exam.id)).all();
    expect(rooms.map((r) => [r.name, r.capacity])).toEqual([
      ['第一考场', 30],
      ['第二考场', 30],
    ]);
    for (const r of rooms) {
      expect(db.select().from(registrations).where(eq(registrations.roomId, r.id)).all()).toHaveLength(25);
      await expect(page.getByTestId(`room-${r.id}-count`).textContent()).resolves.toContain('25 / 30');
    }

    // Assign the invigilator to the first room and make them chief.
    const first = rooms[0]!;
    await page.getByTestId(`room-${first.id}-assign-select`).selectOption(String(invigilator.id));
    await page.getByTestId(`room-${first.id}-assign-button`).click();
    await page.getByTestId(`room-${first.id}-invigilator-${invigilator.id}`).waitFor();
    await page.getByTestId('chief-select').selectOption(String(invigilator.id));
    await expect.poll(() => db.select().from(chiefInvigilators).where(eq(chiefInvigilators.examId, exam.id)).get()?.userId).toBe(invigilator.id);
    expect(
      db
        .select()
        .from(invigilatorAssignments)
        .where(and(eq(invigilatorAssignments.roomId, first.id), eq(invigilatorAssignments.userId, invigilator.id)))
        .get(),
    ).toBeTruthy();

    // Manual placement: find a candidate and move them to the second room.
    await page.getByTestId('place-search').fill('分配考生1');
    await page.getByTestId('place-search-submit').click();
    await page.getByTestId('place-results').waitFor();
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'admin-rooms');
    await page.setViewportSize({ width: 1280, height: 1600 });
    await screenshot(page, 'admin-rooms-full');

    // The link into the invigilation grid.
    await expect(page.getByTestId(`room-${first.id}-enter`).getAttribute('href')).resolves.toBe(`/rooms/${first.id}`);
  });

  it('an admin creates a support account, sets its desk, resets a password (shown once) and archives an account', async () => {
    const db = e2e.db;
    const admin = await makeStaff(db, 'admin');
    const page = await e2e.newPage();
    page.on('dialog', (d) => void d.accept());
    await loginAsStaff(page, admin.username!, PASSWORD);
    await page.goto('/admin/staff');
    await page.getByTestId('staff-console').waitFor();

    const username = `e2e.support.${Date.now() % 1_000_000}`;
    await page.getByTestId('staff-create-role').selectOption('support');
    await page.getByTestId('staff-create-name').fill('客服小周');
    await page.getByTestId('staff-create-username').fill(username);
    await page.getByTestId('staff-create-generate').click();
    await expect(page.getByTestId('staff-create-password').inputValue()).resolves.toMatch(/^.{12}$/);
    await page.getByTestId('staff-create-submit').click();
    await page.getByTestId('staff-created').waitFor();
    await page.getByTestId('staff-tab-support').click();
    await page.getByTestId(`staff-row-${username}`).waitFor();

    await page.getByTestId(`staff-${username}-capacity`).fill('8');
    await page.getByTestId(`staff-${username}-desk-save`).click();
    await expect.poll(() => page.getByTestId(`staff-${username}-desk-save`).isDisabled()).toBe(true);

    await page.getByTestId(`staff-${username}-reset`).click();
    await page.getByTestId('reset-password-result').waitFor();
    const password = (await page.getByTestId('reset-password-value').textContent())!;
    expect(password).toMatch(/^[A-Za-z2-9]{12}$/);
    await page.getByTestId('staff-tab-all').click();
    await page.getByTestId('staff-search').fill('e2e.support');
    await page.getByTestId(`staff-row-${username}`).waitFor();
    await screenshot(page, 'admin-staff');

    await page.getByTestId(`staff-${username}-archive`).click();
    await expect.poll(() => page.getByTestId(`staff-row-${username}`).count()).toBe(0);
    const row = db.select().from(users).where(eq(users.username, username)).get()!;
    expect(row.archivedAt).toBeInstanceOf(Date);

    // The archived account cannot log in with its new password.
    const other = await e2e.newPage();
    await other.goto('/login');
    await other.getByRole('tab').nth(1).click();
    await other.locator('input[name=username]').fill(username);
    await other.locator('input[name=password]').fill(password);
    await other.locator('button[type=submit]').click();
    await other.locator('[data-alert=error]').waitFor();
    expect(new URL(other.url()).pathname).toBe('/login');
  });
});
