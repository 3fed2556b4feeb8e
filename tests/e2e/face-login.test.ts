import { eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { faceAttempts, faceReferences } from '@/db/schema';
import { descriptorToBlob } from '@/server/face/descriptor';
import { FaceEngine } from '@/server/face/engine';
import { cameraFrame, facePhoto, noFacePhoto, type FaceName } from '../fixtures/faces';
import { makeCandidate, makeStaff, PASSWORD } from '../fixtures/factories';
import { launchBrowser, newContext } from '../helpers/browser';
import { useE2eSession } from '../helpers/e2e-session';
import { e2eAppUrl } from '../helpers/e2e-env';
import { fakeCameraFile } from '../helpers/fake-camera';
import { loginAsStaff, screenshot } from '../helpers/journeys';

const e2e = useE2eSession();
// The test's own engine makes the registered photos' descriptors, as the back office would.
const engine = new FaceEngine({ detector: true, mesh: true, description: true, antispoof: false, liveness: false, object: false });
const browsers: Browser[] = [];
afterAll(async () => {
  for (const b of browsers) await b.close().catch(() => {});
  await engine.close();
});

/** A browser whose camera films `what`: a person, or an empty room. */
async function cameraBrowser(what: FaceName | 'nobody'): Promise<Page> {
  const still = what === 'nobody' ? await noFacePhoto() : await cameraFrame(what);
  const browser = await launchBrowser({ args: [`--use-file-for-fake-video-capture=${fakeCameraFile(`login-${what}`, [still])}`] });
  browsers.push(browser);
  return (await newContext(browser, e2eAppUrl)).newPage();
}

/** A candidate with `who`'s photo on file. */
async function candidateWithPhoto(who: FaceName) {
  const cand = await makeCandidate(e2e.db);
  const photo = await facePhoto(who, { margin: 0.4, size: 400 });
  const found = await engine.analyze(photo);
  e2e.db
    .insert(faceReferences)
    .values({ candidateId: cand.id, photo, descriptor: descriptorToBlob(found.faces[0]!.descriptor!), source: 'editor' })
    .run();
  return cand;
}

/** Name + ID number, next, then the camera step's start button. */
async function faceLogin(page: Page, cand: { name: string; idNumber: string | null }) {
  await page.goto('/login');
  await page.locator('input[name=name]').fill(cand.name);
  await page.locator('input[name=idNumber]').fill(cand.idNumber!);
  await page.getByRole('button', { name: '下一步' }).click();
  const preview = page.getByTestId('face-preview');
  await preview.waitFor();
  await expect.poll(() => preview.evaluate((v: HTMLVideoElement) => v.videoWidth), { timeout: 20_000 }).toBeGreaterThan(0);
  await page.getByRole('button', { name: '开始识别' }).click();
}

const attemptsOf = (candidateId: number) => e2e.db.select().from(faceAttempts).where(eq(faceAttempts.candidateId, candidateId)).all();

describe('face login', () => {
  beforeAll(() => engine.warm());

  it('the right person is in; the server decided on frames it analysed itself', async () => {
    const cand = await candidateWithPhoto('bea');
    const page = await cameraBrowser('bea');

    await faceLogin(page, cand);
    await page.waitForURL('**/exams', { timeout: 30_000 });

    const [attempt] = attemptsOf(cand.id);
    expect(attempt).toMatchObject({ status: 'accepted' });
    expect(attempt!.similarity).toBeGreaterThan(0.7);
    await screenshot(page, 'face-login-accepted-home');
  }, 120_000);

  it("another person's face waits for a person: support refuses, then approves a second try, and the page goes in", async () => {
    const cand = await candidateWithPhoto('bea');
    const page = await cameraBrowser('dee');
    await faceLogin(page, cand);
    await page.getByText('正在等待工作人员人工核验身份').waitFor({ timeout: 30_000 });
    await screenshot(page, 'face-login-waiting');

    const agent = await makeStaff(e2e.db, 'support');
    const desk = await e2e.newPage();
    await loginAsStaff(desk, agent.username!, PASSWORD);
    // The waiting count is on every staff page's navigation, not only on /identity.
    await expect.poll(async () => Number(await desk.getByTestId('identity-waiting').textContent()), { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    await desk.goto('/identity');
    const [first] = attemptsOf(cand.id);
    const card = desk.getByTestId(`identity-attempt-${first!.id}`);
    await card.waitFor();
    await expect
      .poll(() => card.locator('img').evaluateAll((imgs) => imgs.map((i) => (i as HTMLImageElement).naturalWidth > 0)))
      .toEqual([true, true, true, true]);
    await screenshot(desk, 'identity-queue');
    await card.getByRole('button', { name: '不是本人' }).click();
    await page.getByText('工作人员未能确认您的身份').waitFor({ timeout: 15_000 });
    await screenshot(page, 'face-login-refused');

    await page.getByRole('button', { name: '重新识别' }).click();
    await faceLogin(page, cand);
    await page.getByText('正在等待工作人员人工核验身份').waitFor({ timeout: 30_000 });
    const second = attemptsOf(cand.id).at(-1)!;
    await desk.getByTestId(`identity-attempt-${second.id}`).getByRole('button', { name: '确认是本人' }).click();
    await page.waitForURL('**/exams', { timeout: 15_000 });
    expect(attemptsOf(cand.id).map((a) => a.status)).toEqual(['refused', 'approved']);
  }, 180_000);

  it('an empty camera is told it shows no face; nothing is queued', async () => {
    const cand = await candidateWithPhoto('bea');
    const page = await cameraBrowser('nobody');

    await faceLogin(page, cand);
    await page.getByText('没有看到您的脸').waitFor({ timeout: 30_000 });

    expect(attemptsOf(cand.id).map((a) => [a.status, a.reason])).toEqual([['rejected', 'noFace']]);
    expect(page.url()).toContain('/login');
    await screenshot(page, 'face-login-no-face');
  }, 120_000);

  it('a candidate without a photo is told why face login is unavailable', async () => {
    const cand = await makeCandidate(e2e.db);
    const page = await e2e.newPage();
    await page.goto('/login');
    await page.locator('input[name=name]').fill(cand.name);
    await page.locator('input[name=idNumber]').fill(cand.idNumber!);
    await page.getByRole('button', { name: '下一步' }).click();
    await page.getByText('您还没有登记照片').waitFor();
    await screenshot(page, 'face-login-no-photo');
  }, 60_000);
});
