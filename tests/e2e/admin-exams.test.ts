import { desc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, examAttachments, exams, presetMessages, questionSheets } from '@/db/schema';
import { toInputValue } from '@/components/admin/exams/time';
import { makeExam, makeStaff, PASSWORD } from '../fixtures/factories';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsStaff, screenshot } from '../helpers/journeys';

const e2e = useE2eSession();

const MIN = 60_000;

describe('admin: exams', () => {
  it('an admin creates an exam through the form, adds a notice file and a preset warning, and writes a sheet with an image and a keyed question', async () => {
    const admin = await makeStaff(e2e.db, 'admin');
    const page = await e2e.newPage();
    await loginAsStaff(page, admin.username!, PASSWORD);
    await page.goto('/admin/exams');
    await page.getByTestId('exams-new').click();
    await page.waitForURL('**/admin/exams/new');

    // Times a day ahead, typed as Beijing time.
    const base = Math.ceil(Date.now() / (60 * MIN)) * 60 * MIN + 24 * 60 * MIN;
    const title = `E2E 笔试 ${Date.now()}`;
    await page.getByLabel('考试名称').fill(title);
    await page.getByTestId('exam-kind-written').check({ force: true });
    await page.getByLabel('入场开始时间').fill(toInputValue(new Date(base)));
    await page.getByLabel('开考时间', { exact: true }).fill(toInputValue(new Date(base + 30 * MIN)));
    // Entry closing before it opens: the form says so beside the field, nothing is created.
    await page.getByLabel('入场截止时间').fill(toInputValue(new Date(base - 10 * MIN)));
    await page.getByLabel('考试时长（分钟）').fill('90');
    await page.getByLabel('考生须知').fill('请独立完成，不得使用任何资料。');
    await page.getByTestId('exam-save').click();
    await expect(page.getByTestId('field-error').first().textContent()).resolves.toBe('入场开始时间必须早于入场截止时间。');
    await screenshot(page, 'admin-exam-new-error');

    await page.getByLabel('入场截止时间').fill(toInputValue(new Date(base + 45 * MIN)));
    await page.getByTestId('exam-save').click();
    await page.waitForURL('**/admin/exams/*/settings', { timeout: 15_000 });
    const exam = e2e.db.select().from(exams).where(eq(exams.title, title)).get()!;
    expect(exam).toMatchObject({ kind: 'written', durationMinutes: 90, startsAt: new Date(base + 30 * MIN), entryClosesAt: new Date(base + 45 * MIN) });

    // Settings: a notice file and a preset warning.
    await page.getByTestId('attachment-file').setInputFiles({ name: '考生须知.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 考生须知') });
    await expect.poll(() => page.getByTestId('attachment-name').allTextContents()).toEqual(['考生须知.pdf']);
    await page.getByTestId('preset-input').fill('请保持正脸在摄像头画面中');
    await page.getByTestId('preset-add').click();
    await expect.poll(() => page.getByTestId('preset-text').allTextContents()).toEqual(['请保持正脸在摄像头画面中']);
    await page.getByTestId('exam-delete').waitFor();
    await screenshot(page, 'admin-exam-settings');

    // Sheets: a sheet with an image (a real PNG: a shot of the page) and a single-choice question.
    const png = await page.screenshot({ clip: { x: 0, y: 0, width: 320, height: 160 } });
    await page.getByTestId('exam-tab-sheets').click();
    await page.waitForURL('**/sheets');
    await page.getByTestId('sheet-new').click();
    await page.getByTestId('sheet-title').fill('第一部分 常识');
    await page.getByTestId('sheet-body').fill('请根据下图作答：');
    await page.getByTestId('sheet-body').press('End');
    await page.getByTestId('sheet-image-file').setInputFiles({ name: '示意图.png', mimeType: 'image/png', buffer: png });
    await expect.poll(() => page.getByTestId('sheet-body').inputValue()).toMatch(/!\[示意图\]\(\/api\/attachments\/\d+\)/);
    await page.getByTestId('sheet-preview').getByTestId('sheet-image').waitFor();
    await page.getByTestId('question-add-single').click();
    await page.getByTestId('question-prompt').fill('中国的首都是哪座城市？');
    for (const [i, option] of ['上海', '北京', '广州', '深圳'].entries()) await page.getByTestId(`question-option-${i}`).fill(option);
    await page.getByTestId('question-key-1').check();
    await page.getByTestId('sheet-save').click();
    await page.getByTestId('sheet-saved').waitFor();
    await expect.poll(() => page.getByTestId('sheet-item').count()).toBe(1);
    await page.evaluate(() => window.scrollTo(0, 0));
    await screenshot(page, 'admin-exam-sheets');

    const sheet = e2e.db.select().from(questionSheets).where(eq(questionSheets.examId, exam.id)).get()!;
    expect(sheet.questions).toEqual([
      { id: 'q1', kind: 'single', prompt: '中国的首都是哪座城市？', options: ['上海', '北京', '广州', '深圳'], answer: '北京', points: 2 },
    ]);
    const files = e2e.db
      .select({ purpose: examAttachments.purpose, fileName: examAttachments.fileName })
      .from(examAttachments)
      .where(eq(examAttachments.examId, exam.id))
      .all();
    expect(files).toEqual([
      { purpose: 'notice', fileName: '考生须知.pdf' },
      { purpose: 'sheet', fileName: '示意图.png' },
    ]);
    expect(e2e.db.select().from(presetMessages).where(eq(presetMessages.examId, exam.id)).all()).toHaveLength(1);
    const actions = e2e.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(eq(auditLog.actorId, admin.id))
      .orderBy(desc(auditLog.id))
      .all()
      .map((r) => r.action);
    expect(actions).toEqual(['sheet.created', 'attachment.added', 'preset.added', 'attachment.added', 'exam.created']);

    // The list shows it, upcoming, with its counts.
    await page.goto('/admin/exams');
    const row = page.getByTestId(`exam-row-${exam.id}`);
    await row.waitFor();
    await expect(row.getByTestId('exam-status').getAttribute('data-status')).resolves.toBe('upcoming');
    await screenshot(page, 'admin-exams-list');
  });

  it('once entry has opened, the settings lock the times, notice and files with the reason; the title can still change', async () => {
    const admin = await makeStaff(e2e.db, 'admin');
    const exam = makeExam(e2e.db, { opensIn: -10, closesIn: 40, startsIn: 20, notice: '请独立完成。' });
    const page = await e2e.newPage();
    await loginAsStaff(page, admin.username!, PASSWORD);
    await page.goto(`/admin/exams/${exam.id}/settings`);
    await page.getByTestId('under-way-hint').waitFor();
    for (const id of ['exam-starts', 'exam-entry-opens', 'exam-duration', 'exam-notice'])
      await expect(page.getByTestId(id).isDisabled(), id).resolves.toBe(true);
    await expect(page.getByTestId('exam-entry-closes').isEnabled()).resolves.toBe(true);
    await expect(page.getByTestId('attachment-file').count()).resolves.toBe(0);
    await page.getByLabel('考试名称').fill(`${exam.title}（改）`);
    await page.getByTestId('exam-save').click();
    await page.getByTestId('exam-saved').waitFor();
    expect(e2e.db.select().from(exams).where(eq(exams.id, exam.id)).get()!.title).toBe(`${exam.title}（改）`);
    await screenshot(page, 'admin-exam-settings-under-way');
  });
});
