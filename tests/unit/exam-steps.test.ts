import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { exams } from '@/db/schema';
import { writtenSteps, type WrittenFacts } from '@/components/exam/exam-steps';
import { makeRoomScenario } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, makeContext, registrationRow, trpcRefusal } from '../helpers/unit-support';

const fx = useTestDb();

/** A first visit on a fresh page: nothing done yet. */
const FRESH: WrittenFacts = { infoConfirmed: false, noticeRead: false, returning: false, cameraRecheckOnReturn: true, cameraOk: false, screenShared: false };

describe('written exam steps on the page', () => {
  it('a first-time candidate goes screen, info, camera, notice, then the exam, each in turn', () => {
    const seen = [];
    let f = FRESH;
    for (const done of [{ screenShared: true }, { infoConfirmed: true }, { cameraOk: true }, { noticeRead: true }]) {
      seen.push(writtenSteps(f).current);
      f = { ...f, ...done };
    }
    seen.push(writtenSteps(f).current);
    expect(seen).toEqual(['screen', 'info', 'camera', 'notice', 'exam']);
    expect(writtenSteps(FRESH).shown).toEqual(['screen', 'info', 'camera', 'notice', 'exam']);
  });

  it('a candidate coming back from another browser shares the screen, checks the camera again, and is in the exam', () => {
    const back = { ...FRESH, infoConfirmed: true, noticeRead: true, returning: true };
    expect(writtenSteps(back)).toEqual({ shown: ['screen', 'camera', 'exam'], current: 'screen' });
    expect(writtenSteps({ ...back, screenShared: true }).current).toBe('camera');
    expect(writtenSteps({ ...back, screenShared: true, cameraOk: true }).current).toBe('exam');
  });

  it('a candidate coming back to an exam without the camera recheck only shares the screen', () => {
    const back = { ...FRESH, infoConfirmed: true, noticeRead: true, returning: true, cameraRecheckOnReturn: false };
    expect(writtenSteps(back)).toEqual({ shown: ['screen', 'exam'], current: 'screen' });
    expect(writtenSteps({ ...back, screenShared: true }).current).toBe('exam');
  });

  it('a candidate who left before reading the notice does the camera and the notice again on a new browser, not the info', () => {
    const f = { ...FRESH, infoConfirmed: true, screenShared: true };
    expect(writtenSteps(f)).toEqual({ shown: ['screen', 'info', 'camera', 'notice', 'exam'], current: 'camera' });
  });

  it('a reload on the same device keeps the camera confirmed there and asks only for the screen', () => {
    const f = { ...FRESH, infoConfirmed: true, noticeRead: true, returning: true, cameraOk: true };
    expect(writtenSteps(f).current).toBe('screen');
    expect(writtenSteps({ ...f, screenShared: true }).current).toBe('exam');
  });
});

describe('what exam.session tells the page about the steps', () => {
  async function entered() {
    const { exam, candidates } = await makeRoomScenario(fx.db, { exam: { opensIn: -10, closesIn: 60, startsIn: 5 } });
    const cand = candidates[0]!;
    const caller = callerFor(makeContext(fx.db, cand));
    await caller.exam.enter({ examId: exam.id, displays: 'single' });
    return { exam, cand, caller };
  }

  it('a candidate who confirmed the info and read the notice has both in the session, so another browser skips them', async () => {
    const { exam, cand, caller } = await entered();
    expect((await caller.exam.session({ examId: exam.id })).registration).toMatchObject({ infoConfirmedAt: null, noticeReadAt: null });

    await caller.exam.confirmInfo({ examId: exam.id });
    await caller.exam.readNotice({ examId: exam.id });

    const session = await caller.exam.session({ examId: exam.id });
    expect(session.registration.infoConfirmedAt).toBeInstanceOf(Date);
    expect(session.registration.noticeReadAt).toBeInstanceOf(Date);
    expect(registrationRow(fx.db, cand.id, exam.id).noticeReadAt).toEqual(session.registration.noticeReadAt);
    expect(session.exam.cameraRecheckOnReturn).toBe(true);
  });

  it('reading the notice twice keeps the first time', async () => {
    const { exam, cand, caller } = await entered();
    await caller.exam.readNotice({ examId: exam.id });
    const first = registrationRow(fx.db, cand.id, exam.id).noticeReadAt;

    await caller.exam.readNotice({ examId: exam.id });

    expect(registrationRow(fx.db, cand.id, exam.id).noticeReadAt).toEqual(first);
  });

  it('the session carries the exam office’s camera recheck setting', async () => {
    const { exam, caller } = await entered();
    fx.db.update(exams).set({ cameraRecheckOnReturn: false }).where(eq(exams.id, exam.id)).run();
    expect((await caller.exam.session({ examId: exam.id })).exam.cameraRecheckOnReturn).toBe(false);
  });

  it('a candidate who has not entered cannot mark the notice read (PRECONDITION_FAILED exam.notEntered)', async () => {
    const { exam, candidates } = await makeRoomScenario(fx.db);
    const cand = candidates[0]!;
    const err = await trpcRefusal(callerFor(makeContext(fx.db, cand)).exam.readNotice({ examId: exam.id }));
    expect(err.code).toBe('PRECONDITION_FAILED');
    expect(err.cause).toMatchObject({ key: 'exam.notEntered' });
    expect(registrationRow(fx.db, cand.id, exam.id).noticeReadAt).toBeNull();
  });
});
