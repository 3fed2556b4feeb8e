import { desc, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deviceChecks, exams, users } from '@/db/schema';
import { enterGate, pathView, type MyExam } from '@/components/exam/my-exams-gate';
import { getBus } from '@/server/events/bus';
import { handleLivekitWebhook } from '@/server/livekit/webhook';
import { candidateIdentity } from '@/server/livekit/tokens';
import { loginHome } from '@/server/services/auth';
import { markProcessSeen, recordDeviceCheck } from '@/server/services/candidates';
import { enterExam, listCandidateExams } from '@/server/services/exams';
import { bindPhone, createBinding } from '@/server/services/phone';
import { makeCandidate, makeRoomScenario, makeStaff, PASSWORD } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { appRefusal, asCaller, auditRows, callerFor, makeContext, signWebhook, trpcRefusal, webhookBody } from '../helpers/unit-support';

const fx = useTestDb();

/** A candidate placed in an exam whose entry is open, notice accepted: only the per-exam steps stand between them and entry. */
async function ready(settings: { deviceCheckRequired?: boolean; phoneWitnessRequired?: boolean } = {}) {
  const s = await makeRoomScenario(fx.db, { candidates: 1, exam: { opensIn: -5, closesIn: 30, startsIn: 10 } });
  if (Object.keys(settings).length) fx.db.update(exams).set(settings).where(eq(exams.id, s.exam.id)).run();
  return { ...s, cand: s.candidates[0]! };
}

const deviceCheck = (candidateId: number, passed: boolean) =>
  recordDeviceCheck({ db: fx.db, candidateId, passed, camera: 'cam', microphone: 'mic', peakLevel: 0.5, recordedMs: 10_000, speakersOk: true });

const mine = (candidateId: number, examId: number) => listCandidateExams({ db: fx.db, candidateId }).find((e) => e.id === examId)! as MyExam;

async function phoneLive(cand: { id: number }, examId: number, livekitRoom: string) {
  await bindPhone({
    db: fx.db,
    proof: { token: createBinding({ db: fx.db, candidateId: cand.id, examId }).token },
    client: '192.0.2.10',
    userAgent: 'Mozilla/5.0 (Linux; Android 14)',
    removeParticipant: async () => {},
  });
  const identity = candidateIdentity(cand.id, 'phone');
  for (const [event, track] of [['participant_joined'], ['track_published', { source: 'CAMERA' }]] as const) {
    const raw = JSON.parse(webhookBody({ event, room: livekitRoom, identity, track })) as { participant: { sid: string } };
    raw.participant.sid = 'PA_phone';
    const body = JSON.stringify(raw);
    await handleLivekitWebhook({ db: fx.db, bus: getBus(), rawBody: body, authorization: await signWebhook(body), autoFlagGraceMs: 0 });
  }
}

describe('the guided path: steps the exam office requires block a first entry', () => {
  it('a candidate without a passed device check is refused entry when the exam requires one, and My exams says the same', async () => {
    const { exam, cand } = await ready({ deviceCheckRequired: true });
    const err = await appRefusal(enterExam({ db: fx.db, candidateId: cand.id, examId: exam.id }));
    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED', key: 'exam.stepRequired.deviceCheck' });

    const listed = mine(cand.id, exam.id);
    expect(listed.blockingStep).toBe('deviceCheck');
    expect(listed.path.find((s) => s.key === 'deviceCheck')).toEqual({ key: 'deviceCheck', required: true, done: false });
    const gate = enterGate(listed, 'open', 'single');
    expect(gate).toEqual({ kind: 'blocked', reason: 'deviceCheck' });
    expect(pathView(listed, gate).map((s) => [s.key, s.state])).toEqual([
      ['systemCheck', 'optional'],
      ['deviceCheck', 'todo'],
      ['phoneWitness', 'optional'],
      ['notice', 'done'],
      ['enter', 'blocked'],
    ]);
  });

  it('a candidate whose latest device check passed is let in; a failed check after it refuses again', async () => {
    const { exam, cand } = await ready({ deviceCheckRequired: true });
    deviceCheck(cand.id, false);
    deviceCheck(cand.id, true);
    expect(mine(cand.id, exam.id).blockingStep).toBeNull();

    deviceCheck(cand.id, false);
    expect((await appRefusal(enterExam({ db: fx.db, candidateId: cand.id, examId: exam.id }))).key).toBe('exam.stepRequired.deviceCheck');
    deviceCheck(cand.id, true);
    const res = await enterExam({ db: fx.db, candidateId: cand.id, examId: exam.id });
    expect(res.exam.id).toBe(exam.id);
  });

  it('an optional device check and phone witness do not block: the candidate enters without them', async () => {
    const { exam, cand } = await ready({ deviceCheckRequired: false, phoneWitnessRequired: false });
    const listed = mine(cand.id, exam.id);
    expect(listed.blockingStep).toBeNull();
    expect(enterGate(listed, 'open', 'single')).toEqual({ kind: 'open', reentry: false });
    expect(pathView(listed, enterGate(listed, 'open', 'single')).at(-1)).toMatchObject({ key: 'enter', state: 'todo' });
    await expect(enterExam({ db: fx.db, candidateId: cand.id, examId: exam.id })).resolves.toMatchObject({ exam: { id: exam.id } });
  });

  it('a candidate who already entered goes back in even when a required step is no longer met', async () => {
    const { exam, cand } = await ready({ deviceCheckRequired: true });
    deviceCheck(cand.id, true);
    await enterExam({ db: fx.db, candidateId: cand.id, examId: exam.id });
    deviceCheck(cand.id, false);
    fx.db.update(exams).set({ phoneWitnessRequired: true }).where(eq(exams.id, exam.id)).run();

    await expect(enterExam({ db: fx.db, candidateId: cand.id, examId: exam.id })).resolves.toMatchObject({ exam: { id: exam.id } });
    expect(enterGate(mine(cand.id, exam.id), 'open', 'single')).toEqual({ kind: 'open', reentry: true });
  });

  it('a required witness phone must be filming: bound is not enough, live (camera published) is', async () => {
    const { exam, room, cand } = await ready({ phoneWitnessRequired: true });
    expect((await appRefusal(enterExam({ db: fx.db, candidateId: cand.id, examId: exam.id }))).key).toBe('exam.stepRequired.phoneWitness');

    await phoneLive(cand, exam.id, room.livekitRoom);
    expect(mine(cand.id, exam.id).path.find((s) => s.key === 'phoneWitness')).toMatchObject({ required: true, done: true });
    await expect(enterExam({ db: fx.db, candidateId: cand.id, examId: exam.id })).resolves.toMatchObject({ exam: { id: exam.id } });
  });

  it('the refusal reaches the candidate through the router with its own key (worded by the catalogue)', async () => {
    const { exam, cand } = await ready({ deviceCheckRequired: true });
    const err = await trpcRefusal(callerFor(makeContext(fx.db, cand)).exam.enter({ examId: exam.id, displays: 'single' }));
    expect(err.code).toBe('PRECONDITION_FAILED');
    expect(err.message).toBe('exam.stepRequired.deviceCheck');
  });
});

describe('back office: the per-exam required steps', () => {
  const fields = () => {
    const t0 = Date.now() + 24 * 3600_000;
    return {
      title: '2026 年秋季招聘笔试',
      kind: 'written' as const,
      entryOpensAt: new Date(t0),
      entryClosesAt: new Date(t0 + 45 * 60_000),
      startsAt: new Date(t0 + 30 * 60_000),
      durationMinutes: 90,
    };
  };

  it('a new exam requires the device check unless the admin says otherwise; changes are audited', async () => {
    const admin = await makeStaff(fx.db, 'admin');
    const api = callerFor(makeContext(fx.db, admin));
    const exam = await api.admin.exams.create(fields());
    expect(exam).toMatchObject({ deviceCheckRequired: true, phoneWitnessRequired: false, cameraRecheckOnReturn: true });
    const other = await api.admin.exams.create({ ...fields(), deviceCheckRequired: false, phoneWitnessRequired: true });
    expect(other).toMatchObject({ deviceCheckRequired: false, phoneWitnessRequired: true });

    await api.admin.exams.update({ examId: exam.id, phoneWitnessRequired: true, cameraRecheckOnReturn: false });
    expect(await api.admin.exams.byId({ examId: exam.id })).toMatchObject({
      deviceCheckRequired: true,
      phoneWitnessRequired: true,
      cameraRecheckOnReturn: false,
    });
    const updated = auditRows(fx.db).filter((r) => r.action === 'exam.updated' && r.examId === exam.id);
    expect(updated.at(-1)!.detail).toEqual({
      changed: { phoneWitnessRequired: { from: false, to: true }, cameraRecheckOnReturn: { from: true, to: false } },
    });
  });

  it('a setting that is not a yes/no is refused with a field error', async () => {
    const admin = await makeStaff(fx.db, 'admin');
    const api = callerFor(makeContext(fx.db, admin));
    const exam = await api.admin.exams.create(fields());
    const err = await trpcRefusal(api.admin.exams.update({ examId: exam.id, deviceCheckRequired: 'yes' as unknown as boolean }));
    expect(err.code).toBe('BAD_REQUEST');
    expect(fx.db.select().from(exams).where(eq(exams.id, exam.id)).get()!.deviceCheckRequired).toBe(true);
  });

  it('the required steps may change while entry is open (they only gate a first entry)', async () => {
    const admin = await makeStaff(fx.db, 'admin');
    const { exam } = await ready();
    const api = callerFor(makeContext(fx.db, admin));
    await api.admin.exams.update({ examId: exam.id, deviceCheckRequired: true });
    expect(fx.db.select().from(exams).where(eq(exams.id, exam.id)).get()!.deviceCheckRequired).toBe(true);
  });
});

describe('device check: the speakers answer', () => {
  it('a candidate reports whether the test sound was heard, and it is stored', async () => {
    const cand = await makeCandidate(fx.db);
    const api = callerFor(makeContext(fx.db, cand));
    await api.candidate.reportDeviceCheck({ passed: true, camera: 'cam', microphone: 'mic', peakLevel: 0.4, recordedMs: 10_000, speakersOk: false });
    const row = fx.db.select().from(deviceChecks).where(eq(deviceChecks.candidateId, cand.id)).orderBy(desc(deviceChecks.id)).get();
    expect(row).toMatchObject({ passed: true, speakersOk: false });
  });

  it('a report without the speakers answer, or with something else than yes/no, is refused', async () => {
    const cand = await makeCandidate(fx.db);
    const api = callerFor(makeContext(fx.db, cand));
    const base = { passed: true, camera: 'cam', microphone: 'mic', peakLevel: 0.4, recordedMs: 10_000 };
    for (const input of [base, { ...base, speakersOk: 'heard' }, { ...base, speakersOk: null }]) {
      expect((await trpcRefusal(api.candidate.reportDeviceCheck(input as typeof base & { speakersOk: boolean }))).code).toBe('BAD_REQUEST');
    }
    expect(fx.db.select().from(deviceChecks).where(eq(deviceChecks.candidateId, cand.id)).all()).toEqual([]);
  });
});

describe('the exam-process page on the first login', () => {
  it("a candidate's first login lands on the process page; once seen, later logins land on My exams", async () => {
    const cand = await makeCandidate(fx.db, { firstLogin: true });
    const login = () => callerFor(makeContext(fx.db, null)).auth.loginCandidate({ idNumber: cand.idNumber!, password: PASSWORD });
    expect((await login()).home).toBe('/process');
    // Logging in again before the page was shown still lands there.
    expect((await login()).home).toBe('/process');

    const api = callerFor(makeContext(fx.db, cand));
    expect(await api.candidate.processSeen()).toEqual({ firstTime: true });
    expect(await api.candidate.processSeen()).toEqual({ firstTime: false });
    expect(fx.db.select().from(users).where(eq(users.id, cand.id)).get()!.processSeenAt).toBeInstanceOf(Date);
    expect((await login()).home).toBe('/exams');
  });

  it('staff never land on the process page', async () => {
    const staff = await makeStaff(fx.db, 'invigilator');
    expect(loginHome({ db: fx.db, user: asCaller(staff) })).toBe('/rooms');
    expect(markProcessSeen).toBeTypeOf('function');
  });
});
