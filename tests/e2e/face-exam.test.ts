import { and, eq } from 'drizzle-orm';
import type { Browser, Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { events, flags } from '@/db/schema';
import { noFacePhoto, twoFacesPhoto } from '../fixtures/faces';
import { makeQuestionSheet, makeRoomScenario, PASSWORD } from '../fixtures/factories';
import { launchBrowser, newContext } from '../helpers/browser';
import { useE2eSession } from '../helpers/e2e-session';
import { e2eAppUrl } from '../helpers/e2e-env';
import { fakeCameraFile } from '../helpers/fake-camera';
import { loginAsCandidate, loginAsStaff, screenshot, shareScreen } from '../helpers/journeys';

const e2e = useE2eSession();
const browsers: Browser[] = [];
afterAll(async () => {
  for (const b of browsers) await b.close().catch(() => {});
});

/** The candidate's browser, whose camera films `still` (Chromium's fake camera plays it in a loop). */
async function candidateBrowser(name: string, still: Buffer): Promise<Page> {
  const browser = await launchBrowser({ args: [`--use-file-for-fake-video-capture=${fakeCameraFile(name, [still])}`] });
  browsers.push(browser);
  return (await newContext(browser, e2eAppUrl)).newPage();
}

async function enterExam(page: Page, idNumber: string, examId: number) {
  await loginAsCandidate(page, idNumber, PASSWORD);
  await page.goto(`/exams/${examId}`);
  await shareScreen(page);
  for (const s of ['screen_share', 'camera', 'microphone']) {
    await expect.poll(() => page.getByTestId(`source-${s}`).getAttribute('data-on'), { timeout: 20_000 }).toBe('true');
  }
}

/** A sitting that started a minute ago, with its invigilator's grid open. */
async function sitting() {
  const s = await makeRoomScenario(e2e.db, { candidates: 1, exam: { startsIn: -1, durationMinutes: 30 } });
  makeQuestionSheet(e2e.db, s.exam.id);
  const inv = await e2e.newPage();
  await loginAsStaff(inv, s.invigilator.username!, PASSWORD);
  await inv.goto(`/rooms/${s.room.id}`);
  await expect.poll(() => inv.getByTestId('video-state').getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
  return { ...s, cand: s.candidates[0]!, inv };
}

const flagOf = (candidateId: number, type: 'second_person' | 'face_missing') =>
  e2e.db
    .select()
    .from(flags)
    .where(and(eq(flags.candidateId, candidateId), eq(flags.type, type)))
    .get();

describe('face checks in the exam page (the page’s own detector on its fake camera)', () => {
  it('two people in the camera raise "second person" on the invigilator’s tile, with the camera still on the flag', async () => {
    const { exam, cand, inv } = await sitting();
    const page = await candidateBrowser('exam-two-faces', await twoFacesPhoto());

    await enterExam(page, cand.idNumber!, exam.id);

    const tile = inv.getByTestId(`tile-${cand.id}`);
    await expect.poll(() => tile.getByTestId('face-badge').getAttribute('data-state'), { timeout: 60_000 }).toBe('several');
    await expect.poll(() => flagOf(cand.id, 'second_person')?.status, { timeout: 10_000 }).toBe('open');
    const still = flagOf(cand.id, 'second_person')!.still!;
    expect([...still.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    await screenshot(inv, 'face-exam-second-person');
  }, 180_000);

  it('an empty camera raises "no face" once the configured time has passed, not before', async () => {
    const { exam, cand, inv } = await sitting();
    const page = await candidateBrowser('exam-nobody', await noFacePhoto());

    await enterExam(page, cand.idNumber!, exam.id);

    const tile = inv.getByTestId(`tile-${cand.id}`);
    await expect.poll(() => tile.getByTestId('face-badge').getAttribute('data-state'), { timeout: 60_000 }).toBe('none');
    await expect.poll(() => flagOf(cand.id, 'face_missing')?.status, { timeout: 10_000 }).toBe('open');
    const [signal] = e2e.db
      .select()
      .from(events)
      .where(and(eq(events.candidateId, cand.id), eq(events.type, 'integrity.face_missing')))
      .all();
    // The page saw no face for at least FACE_MISSING_SECONDS (10 s by default) before saying so.
    expect(Number((signal!.payload as { face?: { seconds?: number } }).face?.seconds)).toBeGreaterThanOrEqual(10);
    await screenshot(inv, 'face-exam-no-face');
  }, 180_000);
});
