import { asStaff } from '../helpers/unit-support';
import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { deviceChecks, recordings, registrations } from '@/db/schema';
import { audit } from '@/server/services/audit';
import { addTime, createFlag, endExam, resolveFlag } from '@/server/services/invigilate';
import { assignInvigilator, createRoom, registerCandidate } from '@/server/services/setup';
import { makeCandidate, makeRoomScenario, makeStaff, PASSWORD } from '../fixtures/factories';
import { useE2eSession } from '../helpers/e2e-session';
import { E2E } from '../helpers/e2e-env';
import { loginAsStaff } from '../helpers/journeys';

const e2e = useE2eSession();

async function fullScreenshot(page: Page, name: string) {
  const file = path.join(E2E.artifacts, 'screenshots', `${name}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
}

const count = (page: Page, testId: string) => page.getByTestId(testId).getAttribute('data-count');

describe('admin dashboard, exports and audit log', () => {
  it('an admin sees the exam’s candidates by state per room, downloads exports and reads the audit log', async () => {
    const db = e2e.db;
    // Room A with 6 candidates, exam started 5 minutes ago; room B with 2; 3 not placed yet.
    const { exam, room, invigilator, candidates } = await makeRoomScenario(db, {
      candidates: 6,
      exam: { opensIn: -20, closesIn: 60, startsIn: -5, durationMinutes: 90 },
    });
    const roomB = createRoom({ db, examId: exam.id, name: '第二考场' });
    const invigilatorB = await makeStaff(db, 'invigilator');
    assignInvigilator({ db, roomId: roomB.id, userId: invigilatorB.id });
    const inB = [await makeCandidate(db), await makeCandidate(db)];
    inB.forEach((c, i) => registerCandidate({ db, examId: exam.id, roomId: roomB.id, candidateId: c.id, seat: i + 1 }));
    for (let i = 0; i < 3; i++)
      db.insert(registrations)
        .values({ examId: exam.id, candidateId: (await makeCandidate(db)).id })
        .run();

    const now = Date.now();
    const set = (candidateId: number, values: Partial<typeof registrations.$inferInsert>) =>
      db.update(registrations).set(values).where(eq(registrations.candidateId, candidateId)).run();
    const [notIn, deviceOk, sitting, flagged, done, uploading] = candidates as [
      (typeof inB)[0],
      (typeof inB)[0],
      (typeof inB)[0],
      (typeof inB)[0],
      (typeof inB)[0],
      (typeof inB)[0],
    ];
    db.insert(deviceChecks).values({ candidateId: deviceOk.id, passed: true, camera: 'c', microphone: 'm', peakLevel: 0.4, recordedMs: 3000 }).run();
    for (const c of [sitting, flagged, done, uploading, ...inB]) set(c.id, { enteredAt: new Date(now - 10 * 60_000) });
    for (const c of [done, uploading]) set(c.id, { finishedAt: new Date(now - 60_000), finishReason: 'submitted' });
    db.insert(recordings)
      .values({
        candidateId: uploading.id,
        examId: exam.id,
        track: 'screen',
        clientKey: `e2e-${now}`,
        mimeType: 'video/webm',
        startedAt: new Date(now - 9 * 60_000),
        expectedChunks: 10,
        receivedChunks: 4,
      })
      .run();

    const admin = await makeStaff(db, 'admin');
    // Enough earlier back-office rows for a second page.
    db.transaction((tx) => {
      for (let i = 0; i < 55; i++)
        audit(tx, {
          actorId: admin.id,
          action: 'candidate.password_login_enabled',
          examId: exam.id,
          candidateId: inB[0]!.id,
          at: new Date(now - (60 - i) * 60_000),
        });
    });

    // The grid's actions, audited: a flag raised and one decided, extra time, an ended exam.
    const staff = { db, caller: asStaff(invigilator) };
    createFlag({ ...staff, roomId: room.id, candidateId: flagged.id, note: '疑似看手机' });
    const { flagId } = createFlag({ ...staff, roomId: room.id, candidateId: sitting.id, note: '左顾右盼' });
    resolveFlag({ ...staff, flagId, resolution: 'dismissed', note: '调整坐姿，已排除' });
    addTime({ ...staff, roomId: room.id, candidateId: sitting.id, minutes: 10, reason: '网络中断 8 分钟' });
    endExam({ db, caller: asStaff(invigilatorB), roomId: roomB.id, candidateId: inB[1]!.id, reason: '替考，经主考确认' });

    const page = await e2e.newPage();
    await page.setViewportSize({ width: 1440, height: 900 });
    await loginAsStaff(page, admin.username!, PASSWORD);
    await page.goto(`/admin/exams/${exam.id}`);
    await page.getByTestId('exam-dashboard').waitFor({ timeout: 20_000 });

    await expect(count(page, 'dashboard-count-not_checked_in')).resolves.toBe('1');
    await expect(count(page, 'dashboard-count-device_ok')).resolves.toBe('1');
    await expect(count(page, 'dashboard-count-in_exam')).resolves.toBe('2');
    await expect(count(page, 'dashboard-count-problem')).resolves.toBe('1');
    await expect(count(page, 'dashboard-count-finished')).resolves.toBe('2');
    await expect(count(page, 'dashboard-count-upload_pending')).resolves.toBe('1');
    await expect(page.getByTestId('dashboard-total').textContent()).resolves.toBe('8');
    await expect(page.getByTestId('dashboard-unplaced').textContent()).resolves.toContain('3');
    await expect(count(page, `dashboard-room-${room.id}-problem`)).resolves.toBe('1');
    await expect(count(page, `dashboard-room-${roomB.id}-finished`)).resolves.toBe('1');
    await expect(page.getByTestId(`dashboard-room-${room.id}-grid`).getAttribute('href')).resolves.toBe(`/rooms/${room.id}`);
    await fullScreenshot(page, 'admin-dashboard');

    // Clicking a count sorts the rooms by it.
    await page.getByTestId('dashboard-count-finished').click();
    await expect(page.getByTestId('dashboard-count-finished').getAttribute('aria-pressed')).resolves.toBe('true');

    // Live: a candidate entering shows up within a refresh.
    set(notIn.id, { enteredAt: new Date() });
    await expect.poll(() => count(page, 'dashboard-count-in_exam'), { timeout: 12_000 }).toBe('3');

    // Exports: the page, and a download.
    await page.getByTestId('exam-tab-exports').click();
    await page.getByTestId('export-card-answers').waitFor();
    await fullScreenshot(page, 'admin-exports');
    const res = await page.request.get(`/api/admin/exams/${exam.id}/exports/flags`);
    expect(res.status()).toBe(200);
    const body = (await res.body()).toString('utf8');
    expect(body.startsWith('\uFEFF编号,考场,座位,考生')).toBe(true);
    expect(body).toContain('调整坐姿，已排除');
    expect((await page.request.get(`/api/admin/exams/${exam.id}/exports/nothing`)).status()).toBe(404);

    // Audit log: filter by exam, the grid's actions worded, more on demand, and the export.
    await page.goto('/admin/audit');
    await page.getByTestId('audit-filter-exam').selectOption(String(exam.id));
    await expect.poll(() => page.getByTestId('audit-row').count(), { timeout: 10_000 }).toBe(50);
    await page.getByTestId('audit-load-more').click();
    await expect.poll(() => page.getByTestId('audit-row').count(), { timeout: 10_000 }).toBe(60);
    await page.getByTestId('audit-filter-action').selectOption('exam.ended');
    await expect.poll(() => page.getByTestId('audit-row').count(), { timeout: 10_000 }).toBe(1);
    await expect(page.getByTestId('audit-row').first().textContent()).resolves.toContain('结束考生考试');
    await expect(page.getByTestId('audit-row').first().textContent()).resolves.toContain('替考，经主考确认');
    const href = await page.getByTestId('audit-export').getAttribute('href');
    expect(href).toContain(`examId=${exam.id}`);
    const csv = await page.request.get(href!);
    expect(csv.status()).toBe(200);
    expect((await csv.body()).toString('utf8').trim().split('\r\n')).toHaveLength(2);
    // Back to all actions: the pages loaded before come back.
    await page.getByTestId('audit-filter-action').selectOption('');
    await expect.poll(() => page.getByTestId('audit-row').count(), { timeout: 10_000 }).toBe(60);
    await page.evaluate(() => window.scrollTo(0, 0));
    await fullScreenshot(page, 'admin-audit');
  });
});
