import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { User } from '@/db/schema';
import { answers, events, messageReceipts, registrations } from '@/db/schema';
import { enterExam, saveAnswers } from '@/server/services/exams';
import { createMessage } from '@/server/services/setup';
import { makeQuestionSheet, makeRoomScenario, makeStaff } from '../fixtures/factories';
import { createTestDb } from '../helpers/db';
import { callerFor, makeContext, setServerClock, trpcRefusal } from '../helpers/unit-support';

let db: ReturnType<typeof createTestDb>;
beforeEach(() => {
  db = createTestDb();
});
afterEach(() => {
  vi.useRealTimers();
  db.cleanup();
});

const NOW = new Date('2030-06-01T08:00:00.000Z');
const MIN = 60_000;
const plus = (d: Date, ms: number) => new Date(d.getTime() + ms);

type Caller = ReturnType<typeof callerFor>;

/** Every exam procedure that takes an exam id, called with inputs that are valid for an interview. */
const EXAM_PROCEDURES = {
  notice: (c: Caller, examId: number) => c.exam.notice({ examId }),
  accept: (c: Caller, examId: number) => c.exam.accept({ examId }),
  drawLot: (c: Caller, examId: number) => c.exam.drawLot({ examId }),
  enter: (c: Caller, examId: number) => c.exam.enter({ examId, displays: 'single' }),
  session: (c: Caller, examId: number) => c.exam.session({ examId }),
  questions: (c: Caller, examId: number) => c.exam.questions({ examId }),
  saveAnswers: (c: Caller, examId: number) => c.exam.saveAnswers({ examId, answers: [{ questionId: 'q3', value: '改写', revision: 99 }] }),
  confirmInfo: (c: Caller, examId: number) => c.exam.confirmInfo({ examId }),
  readNotice: (c: Caller, examId: number) => c.exam.readNotice({ examId }),
  reportIntegrity: (c: Caller, examId: number) => c.exam.reportIntegrity({ examId, signal: 'page_hidden', at: new Date() }),
  finish: (c: Caller, examId: number) => c.exam.finish({ examId, reason: 'ended' }),
} satisfies Record<string, (c: Caller, examId: number) => Promise<unknown>>;

/** Every procedure behind candidateProcedure, with inputs that pass the schema. */
const CANDIDATE_PROCEDURES = {
  'exam.listMine': (c: Caller) => c.exam.listMine(),
  ...Object.fromEntries(Object.entries(EXAM_PROCEDURES).map(([name, call]) => [`exam.${name}`, (c: Caller) => call(c, 1)])),
  'candidate.profile': (c: Caller) => c.candidate.profile(),
  'candidate.updateProfile': (c: Caller) => c.candidate.updateProfile({ phone: '13800138000', email: 'a@example.com' }),
  'candidate.reportSystemCheck': (c: Caller) =>
    c.candidate.reportSystemCheck({ clockOffsetMs: 0, roundTripMs: 10, appVersion: '1', displays: 'single', mediaSupported: true, userAgent: 'x' }),
  'candidate.reportDeviceCheck': (c: Caller) =>
    c.candidate.reportDeviceCheck({ passed: true, camera: 'cam', microphone: 'mic', peakLevel: 0.5, recordedMs: 3000, speakersOk: true }),
  'candidate.checks': (c: Caller) => c.candidate.checks(),
  'candidate.processSeen': (c: Caller) => c.candidate.processSeen(),
  'messages.list': (c: Caller) => c.messages.list(),
  'messages.unreadCount': (c: Caller) => c.messages.unreadCount(),
  'messages.markRead': (c: Caller) => c.messages.markRead({ messageId: 1 }),
  'messages.acknowledge': (c: Caller) => c.messages.acknowledge({ messageId: 1 }),
} as Record<string, (c: Caller) => Promise<unknown>>;

/**
 * Candidate A in an interview that started 10 minutes ago (the server clock is pinned there):
 * lot drawn, notice accepted, entered, one answer saved. Candidate B is registered for another
 * exam only.
 */
async function twoCandidates() {
  const mine = await makeRoomScenario(db, { exam: { now: NOW, kind: 'interview', opensIn: -10, closesIn: 60, startsIn: 30 } });
  makeQuestionSheet(db, mine.exam.id);
  const a = mine.candidates[0]!;
  await enterExam({ db, candidateId: a.id, examId: mine.exam.id, now: plus(NOW, MIN) });
  saveAnswers({ db, candidateId: a.id, examId: mine.exam.id, items: [{ questionId: 'q3', value: '原答案', revision: 1 }], now: plus(mine.exam.startsAt, MIN) });
  const theirs = await makeRoomScenario(db, { exam: { now: NOW, kind: 'interview' } });
  setServerClock(plus(mine.exam.startsAt, 10 * MIN));
  return { exam: mine.exam, a, b: theirs.candidates[0]! };
}

/** Everything a candidate's call could change. */
const snapshot = () => ({
  registrations: db.select().from(registrations).all(),
  answers: db.select().from(answers).all(),
  events: db.select().from(events).all(),
  receipts: db.select().from(messageReceipts).all(),
});

describe('a candidate using another candidate’s exam id', () => {
  it.each(Object.keys(EXAM_PROCEDURES) as (keyof typeof EXAM_PROCEDURES)[])(
    'candidate B calling exam.%s with candidate A’s exam id gets NOT_FOUND exam.notRegistered and nothing changes for A',
    async (name) => {
      const { exam, b } = await twoCandidates();
      const before = snapshot();

      const err = await trpcRefusal(EXAM_PROCEDURES[name](callerFor(makeContext(db, b)), exam.id));

      expect(err.code).toBe('NOT_FOUND');
      expect(err.cause).toMatchObject({ key: 'exam.notRegistered' });
      expect(snapshot()).toEqual(before);
    },
  );

  it('candidate A calling the same procedures on their own exam is served (so the refusals above are about B)', async () => {
    const { exam, a } = await twoCandidates();
    const caller = callerFor(makeContext(db, a));

    for (const call of Object.values(EXAM_PROCEDURES)) await call(caller, exam.id);

    expect(await caller.exam.session({ examId: exam.id })).toMatchObject({ phase: 'finished', registration: { finishReason: 'ended' } });
  });

  it('candidate B listing their exams never sees candidate A’s exam', async () => {
    const { exam, b } = await twoCandidates();
    const list = await callerFor(makeContext(db, b)).exam.listMine();
    expect(list.map((e) => e.id)).not.toContain(exam.id);
    expect(list).toHaveLength(1);
  });
});

describe('who may call the candidate procedures', () => {
  const names = Object.keys(CANDIDATE_PROCEDURES);

  it.each(names)('an invigilator calling %s is refused with FORBIDDEN', async (name) => {
    const invigilator = await makeStaff(db, 'invigilator');
    const err = await trpcRefusal(CANDIDATE_PROCEDURES[name]!(callerFor(makeContext(db, invigilator))));
    expect(err.code).toBe('FORBIDDEN');
    expect(err.cause).toMatchObject({ key: 'auth.wrongRole' });
  });

  it.each(names)('an anonymous visitor calling %s is refused with UNAUTHORIZED', async (name) => {
    const err = await trpcRefusal(CANDIDATE_PROCEDURES[name]!(callerFor(makeContext(db, null))));
    expect(err.code).toBe('UNAUTHORIZED');
    expect(err.cause).toMatchObject({ key: 'auth.required' });
  });

  it('support staff and admins are refused the candidate procedures too, and nothing is written on their behalf', async () => {
    const { exam } = await twoCandidates();
    createMessage({ db, audience: 'all', title: 't', body: 'b' });
    const staff: User[] = [await makeStaff(db, 'support'), await makeStaff(db, 'admin')];
    const before = snapshot();

    for (const user of staff) {
      const caller = callerFor(makeContext(db, user));
      for (const call of Object.values(EXAM_PROCEDURES)) expect((await trpcRefusal(call(caller, exam.id))).code).toBe('FORBIDDEN');
      expect((await trpcRefusal(caller.messages.markRead({ messageId: 1 }))).code).toBe('FORBIDDEN');
    }

    expect(snapshot()).toEqual(before);
  });
});
