import fs from 'node:fs';
import path from 'node:path';
import { zipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { faceReferences } from '@/db/schema';
import { registerCandidate } from '@/server/services/setup';
import { facePhoto, noFacePhoto, twoFacesPhoto } from '../fixtures/faces';
import { makeCandidate, makeExam, makeIdNumber, makeStaff, PASSWORD } from '../fixtures/factories';
import { useE2eSession } from '../helpers/e2e-session';
import { E2E } from '../helpers/e2e-env';
import { loginAsStaff } from '../helpers/journeys';

const e2e = useE2eSession();

async function shot(page: Page, name: string, target?: ReturnType<Page['getByTestId']>) {
  const file = path.join(E2E.artifacts, 'screenshots', `${name}.png`);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  if (target) await target.screenshot({ path: file });
  else await page.screenshot({ path: file, fullPage: true });
}

/** Has the image in this element loaded (a real picture, not a broken icon)? */
const loaded = (page: Page, testId: string) =>
  page
    .getByTestId(testId)
    .locator('img')
    .evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)
    .catch(() => false);

describe('admin: candidates’ reference photos', () => {
  it('an admin uploads a photo package, sees each bad file with its reason, imports the good photos and manages one in the editor', async () => {
    const admin = await makeStaff(e2e.db, 'admin');
    const exam = makeExam(e2e.db, { opensIn: 24 * 60, closesIn: 25 * 60, startsIn: 24 * 60 + 30 });
    const candidate = async (name: string) => {
      const c = await makeCandidate(e2e.db, { name });
      registerCandidate({ db: e2e.db, examId: exam.id, candidateId: c.id });
      return c;
    };
    const ana = await candidate('照片甲');
    const bea = await candidate('照片乙');
    const cai = await candidate('照片丙');
    const dee = await candidate('照片丁');
    const eva = await candidate('照片戊');
    const cands = [ana, bea, cai, dee, eva];
    const unknownId = makeIdNumber();
    const zip = zipSync({
      [`考生照片/${ana.idNumber}.jpg`]: [await facePhoto('ana', { margin: 0.4 }), { level: 0 }],
      [`考生照片/${bea.idNumber}.jpg`]: [await facePhoto('bea', { margin: 0.4 }), { level: 0 }],
      [`考生照片/${cai.idNumber}.jpg`]: [await noFacePhoto(), { level: 0 }],
      [`考生照片/${dee.idNumber}.jpg`]: [await twoFacesPhoto(), { level: 0 }],
      [`考生照片/${eva.idNumber}.jpg`]: [Buffer.from('这只是改了扩展名的文本文件\n'), { level: 0 }],
      [`考生照片/${unknownId}.jpg`]: [await facePhoto('cai', { margin: 0.4 }), { level: 0 }],
    });

    const page = await e2e.newPage();
    await loginAsStaff(page, admin.username!, PASSWORD);
    await page.goto(`/admin/exams/${exam.id}/candidates`);
    await expect.poll(() => page.getByTestId('candidate-row').count()).toBe(5);
    await expect(page.getByTestId('candidate-without-photo').textContent()).resolves.toBe('5 名考生还没有照片');

    // The package: every bad file named with its reason, the good ones counted.
    await page.getByTestId('photo-package-file').setInputFiles({ name: '考生照片.zip', mimeType: 'application/zip', buffer: Buffer.from(zip) });
    await page.getByTestId('photo-package-counts').waitFor();
    await expect(page.getByTestId('photo-package-counts').textContent()).resolves.toBe('共 6 个文件：2 张可导入，4 个有问题');
    const rows = await page
      .getByTestId('photo-package-problem')
      .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-name'), tr.getAttribute('data-key'), tr.children[1]!.textContent]));
    expect(rows).toEqual([
      [`考生照片/${cai.idNumber}.jpg`, 'noFace', '照片中没有检测到人脸'],
      [`考生照片/${dee.idNumber}.jpg`, 'severalFaces', '照片中有 2 张人脸，只能有考生本人'],
      [`考生照片/${eva.idNumber}.jpg`, 'badImage', '无法识别为图片，请使用 JPG、PNG 或 WebP 格式'],
      [`考生照片/${unknownId}.jpg`, 'unknownId', '系统中没有这个身份证号的考生'],
    ]);
    await expect(page.getByTestId('photo-package-sample').textContent()).resolves.toContain('照片甲');
    await shot(page, 'admin-photos-preview', page.getByTestId('photo-package-panel'));

    await expect(page.getByTestId('photo-package-commit').textContent()).resolves.toBe('确认导入 2 张照片');
    await page.getByTestId('photo-package-commit').click();
    await expect(page.getByTestId('photo-package-committed').textContent()).resolves.toBe('已导入 2 张照片（其中替换原有照片 0 张）。');
    const withPhoto = () =>
      page.getByTestId('candidate-photo-state').evaluateAll((cells) => cells.filter((c) => c.getAttribute('data-has-photo') === 'true').length);
    await expect.poll(withPhoto).toBe(2);
    await expect(page.getByTestId('candidate-without-photo').textContent()).resolves.toBe('3 名考生还没有照片');
    expect(
      e2e.db
        .select({ id: faceReferences.candidateId })
        .from(faceReferences)
        .where(
          inArray(
            faceReferences.candidateId,
            cands.map((c) => c.id),
          ),
        )
        .all()
        .map((r) => r.id)
        .sort(),
    ).toEqual([ana.id, bea.id].sort());
    await shot(page, 'admin-photos-list', page.getByTestId('candidate-list'));

    // The editor shows the imported photo.
    await page.locator(`[data-testid=candidate-row][data-candidate-id="${ana.id}"]`).getByTestId('candidate-edit').click();
    await expect.poll(() => page.getByTestId('candidate-photo').getAttribute('data-has-photo')).toBe('true');
    await expect.poll(() => loaded(page, 'candidate-photo')).toBe(true);
    await expect(page.getByTestId('candidate-photo').textContent()).resolves.toContain('照片包导入');
    await shot(page, 'admin-photos-editor', page.getByTestId('candidate-edit-dialog'));
    await page.keyboard.press('Escape');

    // A candidate without a photo: a two-face picture is refused with its reason, a good one kept.
    await page.locator(`[data-testid=candidate-row][data-candidate-id="${dee.id}"]`).getByTestId('candidate-edit').click();
    await expect.poll(() => page.getByTestId('candidate-photo').getAttribute('data-has-photo')).toBe('false');
    await expect(page.getByTestId('candidate-photo-none').textContent()).resolves.toBe('无照片');
    await page.getByTestId('candidate-photo-file').setInputFiles({ name: 'two.jpg', mimeType: 'image/jpeg', buffer: await twoFacesPhoto() });
    await expect(page.getByTestId('candidate-photo').getByRole('alert').textContent()).resolves.toBe('照片中有 2 张人脸，只能有考生本人');
    await shot(page, 'admin-photos-editor-refused', page.getByTestId('candidate-edit-dialog'));
    await page.getByTestId('candidate-photo-file').setInputFiles({ name: 'dee.jpg', mimeType: 'image/jpeg', buffer: await facePhoto('dee', { margin: 0.4 }) });
    await expect.poll(() => page.getByTestId('candidate-photo').getAttribute('data-has-photo')).toBe('true');
    await expect.poll(() => loaded(page, 'candidate-photo')).toBe(true);
    expect(e2e.db.select().from(faceReferences).where(eq(faceReferences.candidateId, dee.id)).get()?.source).toBe('editor');
    await expect.poll(withPhoto).toBe(3);
  });
});
