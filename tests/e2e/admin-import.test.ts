import fs from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { registrations, users } from '@/db/schema';
import { makeExam, makeStaff, PASSWORD } from '../fixtures/factories';
import { useE2eSession } from '../helpers/e2e-session';
import { E2E } from '../helpers/e2e-env';
import { loginAsStaff } from '../helpers/journeys';

const e2e = useE2eSession();
// Copies of ../shared/data (the project's synthetic candidates), kept in the repo for CI.
const DATA = path.join(process.cwd(), 'tests/fixtures/import');

async function shot(page: Page, name: string) {
  const file = path.join(E2E.artifacts, 'screenshots', `${name}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  await page.screenshot({ path: file, fullPage: true });
}

describe('admin: candidate import', () => {
  it('an admin sees every bad row of a file, then imports the GBK file and manages a candidate', async () => {
    const admin = await makeStaff(e2e.db, 'admin');
    const exam = makeExam(e2e.db, { opensIn: 24 * 60, closesIn: 25 * 60, startsIn: 24 * 60 + 30 });
    const page = await e2e.newPage();
    await loginAsStaff(page, admin.username!, PASSWORD);
    await page.goto(`/admin/exams/${exam.id}/candidates`);
    await page.getByTestId('candidate-list-empty').waitFor();

    // The bad file: every problem listed by line; the commit stays disabled.
    await page.getByTestId('import-file').setInputFiles(path.join(DATA, 'candidates-bad.csv'));
    await page.getByTestId('import-problems').waitFor();
    const lines = await page.getByTestId('import-problem-row').evaluateAll((rows) => rows.map((r) => Number(r.getAttribute('data-line'))));
    expect([...new Set(lines)]).toEqual([3, 4, 5, 6, 7, 8, 9]);
    await expect(page.getByTestId('import-counts').textContent()).resolves.toBe('共 9 行：2 行可导入，7 行有问题');
    await expect(page.getByTestId('import-commit').isDisabled()).resolves.toBe(true);
    await expect(page.getByTestId('import-problems').textContent()).resolves.toContain('身份证号校验位不对（按前 17 位计算应为 4）');
    await shot(page, 'admin-import-problems');

    // The GBK file Excel saves: detected, 200 rows, committed.
    await page.getByTestId('import-file').setInputFiles(path.join(DATA, 'candidates-500.gbk.csv'));
    await page.getByTestId('import-sample').waitFor();
    await expect(page.getByTestId('import-encoding').getAttribute('data-encoding')).resolves.toBe('gb18030');
    await expect(page.getByTestId('import-sample').textContent()).resolves.toContain('李辉凯');
    await shot(page, 'admin-import-preview');
    await expect(page.getByTestId('import-commit').textContent()).resolves.toBe('确认导入 200 名考生');
    await page.getByTestId('import-commit').click();
    await page.getByTestId('import-committed').waitFor();
    await expect.poll(() => page.getByTestId('candidate-total').textContent()).toBe('共 200 名');
    expect(e2e.db.select().from(registrations).where(eq(registrations.examId, exam.id)).all()).toHaveLength(200);

    // Search, switch password login on, set a generated password.
    await page.getByTestId('candidate-search').fill('330106199301171868');
    await expect.poll(() => page.getByTestId('candidate-row').count()).toBe(1);
    const row = page.getByTestId('candidate-row');
    await row.getByTestId('candidate-login-toggle').click();
    await expect.poll(() => row.getByTestId('candidate-login-toggle').getAttribute('aria-checked')).toBe('true');
    await row.getByTestId('candidate-set-password').click();
    await page.getByTestId('candidate-password-submit').click();
    const generated = await page.getByTestId('candidate-generated-password').textContent();
    expect(generated).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{10}$/);
    await shot(page, 'admin-candidate-password');
    await page.getByTestId('candidate-password-done').click();
    const user = e2e.db
      .select()
      .from(users)
      .where(and(eq(users.idNumber, '330106199301171868')))
      .get()!;
    expect(user.passwordLoginEnabled).toBe(true);

    await page.getByTestId('candidate-search').fill('');
    await expect.poll(() => page.getByTestId('candidate-row').count()).toBe(50);
    await shot(page, 'admin-candidate-list');

    // Export.
    const res = await page.request.get(`/api/admin/exams/${exam.id}/candidates`);
    expect(res.status()).toBe(200);
    const csv = await res.text();
    expect(csv.split('\r\n')[0]).toBe('\uFEFF姓名,身份证号,手机号,邮箱,考场,座位号,密码登录,入场时间,结束时间');
    expect(csv.trim().split('\r\n')).toHaveLength(201);
  });
});
