import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { deviceChecks, events, examRooms, flags, helpThreads, recordings, registrations, type User } from '@/db/schema';
import { examDashboard } from '@/server/services/admin/dashboard';
import { assignInvigilator, createRoom, registerCandidate } from '@/server/services/setup';
import { makeCandidate, makeExam, makeStaff } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, makeContext, trpcRefusal, withLocale } from '../helpers/unit-support';

const fx = useTestDb();
const MIN = 60_000;

type Setup = (reg: { id: number; candidateId: number; roomId: number }) => void;

/**
 * An exam that started five minutes ago (90 minutes long), rooms A and B, and a candidate for
 * every way a candidate can stand, made by direct inserts of the rows each state depends on.
 */
async function world(now = new Date()) {
  const db = fx.db;
  const exam = makeExam(db, { now, opensIn: -20, closesIn: 60, startsIn: -5, durationMinutes: 90 });
  const roomA = createRoom({ db, examId: exam.id, name: 'A 考场' });
  const roomB = createRoom({ db, examId: exam.id, name: 'B 考场' });
  // An archived room nobody is in: not shown.
  const gone = createRoom({ db, examId: exam.id, name: 'Z 已撤销' });
  db.update(examRooms).set({ archivedAt: now }).where(eq(examRooms.id, gone.id)).run();
  const invigilator = await makeStaff(db, 'invigilator');
  assignInvigilator({ db, roomId: roomA.id, userId: invigilator.id });

  const entered = (id: number) =>
    db
      .update(registrations)
      .set({ enteredAt: new Date(now.getTime() - 10 * MIN) })
      .where(eq(registrations.id, id))
      .run();
  const finished = (id: number) => {
    entered(id);
    db.update(registrations)
      .set({ finishedAt: new Date(now.getTime() - MIN), finishReason: 'submitted' })
      .where(eq(registrations.id, id))
      .run();
  };
  const check = (candidateId: number, passed: boolean) =>
    db.insert(deviceChecks).values({ candidateId, passed, camera: 'cam', microphone: 'mic', peakLevel: 0.5, recordedMs: 3000 }).run();
  const event = (r: { roomId: number; candidateId: number }, type: string, device: 'pc' | 'phone' = 'pc') =>
    db.insert(events).values({ roomId: r.roomId, candidateId: r.candidateId, type, device, occurredAt: now }).run();
  const recording = (candidateId: number, complete: boolean) =>
    db
      .insert(recordings)
      .values({
        candidateId,
        examId: exam.id,
        track: 'screen',
        clientKey: crypto.randomUUID(),
        mimeType: 'video/webm',
        startedAt: now,
        expectedChunks: 3,
        receivedChunks: complete ? 3 : 2,
        completedAt: complete ? now : null,
      })
      .run();
  const flag = (r: { roomId: number; candidateId: number }, status: 'open' | 'dismissed') =>
    db.insert(flags).values({ roomId: r.roomId, candidateId: r.candidateId, type: 'manual', source: 'manual', status }).run();

  const cases: [string, number, Setup][] = [
    ['not_checked_in', roomA.id, () => {}],
    ['device_ok', roomA.id, (r) => check(r.candidateId, true)],
    // The latest check counts: passed, then failed.
    ['not_checked_in', roomA.id, (r) => (check(r.candidateId, true), check(r.candidateId, false))],
    ['in_exam', roomA.id, (r) => (entered(r.id), event(r, 'participant_joined'))],
    // Entered, the PC not connected yet (or no LiveKit): not a problem by itself.
    ['in_exam', roomA.id, (r) => entered(r.id)],
    ['problem', roomA.id, (r) => (entered(r.id), flag(r, 'open'))],
    ['problem', roomA.id, (r) => (entered(r.id), event(r, 'participant_joined'), event(r, 'participant_left'))],
    ['problem', roomA.id, (r) => (entered(r.id), event(r, 'participant_joined'), event(r, 'participant_connection_aborted'))],
    // Back after a drop-out: fine again.
    ['in_exam', roomA.id, (r) => (entered(r.id), event(r, 'participant_left'), event(r, 'participant_joined'))],
    // Only the phone left: the grid shows it; the dashboard counts the PC.
    ['in_exam', roomA.id, (r) => (entered(r.id), event(r, 'participant_joined'), event(r, 'participant_left', 'phone'))],
    // A decided flag is no longer a problem.
    ['in_exam', roomA.id, (r) => (entered(r.id), flag(r, 'dismissed'))],
    ['finished', roomA.id, (r) => finished(r.id)],
    ['finished', roomA.id, (r) => (finished(r.id), recording(r.candidateId, true))],
    ['upload_pending', roomA.id, (r) => (finished(r.id), recording(r.candidateId, true), recording(r.candidateId, false))],
    // An open flag on a finished candidate: finished wins.
    ['finished', roomA.id, (r) => (finished(r.id), flag(r, 'open'))],
    ['in_exam', roomB.id, (r) => entered(r.id)],
    ['device_ok', roomB.id, (r) => check(r.candidateId, true)],
    // A recording still uploading while the candidate sits: in exam.
    ['in_exam', roomB.id, (r) => (entered(r.id), recording(r.candidateId, false))],
  ];
  const seats = new Map<number, number>();
  const candidates: { user: User; expected: string; roomId: number }[] = [];
  for (const [expected, roomId, setup] of cases) {
    const user = await makeCandidate(db);
    const seat = (seats.get(roomId) ?? 0) + 1;
    seats.set(roomId, seat);
    const reg = registerCandidate({ db, examId: exam.id, roomId, candidateId: user.id, seat });
    setup({ id: reg.id, candidateId: user.id, roomId });
    candidates.push({ user, expected, roomId });
  }
  // Two imported candidates not yet placed.
  for (let i = 0; i < 2; i++) {
    const user = await makeCandidate(db);
    db.insert(registrations).values({ examId: exam.id, candidateId: user.id }).run();
  }
  // Help: one queued and one assigned in room A, one resolved; one of another exam.
  const asker = candidates[0]!.user.id;
  const thread = (status: 'queued' | 'assigned' | 'resolved', examId = exam.id, roomId: number | null = roomA.id) =>
    db.insert(helpThreads).values({ candidateId: asker, examId, roomId, category: 'technical', status, queuedAt: now, lastMessageAt: now }).run();
  thread('queued');
  thread('assigned');
  thread('resolved');
  const other = makeExam(db, { now });
  thread('queued', other.id, null);
  return { exam, roomA, roomB, invigilator, candidates };
}

const tally = (cs: { expected: string; roomId: number }[], roomId?: number) => {
  const out: Record<string, number> = { not_checked_in: 0, device_ok: 0, in_exam: 0, problem: 0, finished: 0, upload_pending: 0 };
  for (const c of cs) if (roomId == null || c.roomId === roomId) out[c.expected]!++;
  return out;
};

describe('admin dashboard counts', () => {
  it('puts every placed candidate in exactly one state, per room and in total', async () => {
    const now = new Date();
    const w = await world(now);
    const d = examDashboard({ db: fx.db, examId: w.exam.id, now });
    const { total, ...totals } = d.totals;
    expect(totals).toEqual(tally(w.candidates));
    expect(total).toBe(w.candidates.length);
    expect(d.unplaced).toBe(2);
    expect(d.rooms.map((r) => r.name)).toEqual(['A 考场', 'B 考场']);
    const [a, b] = d.rooms;
    expect(a!.counts).toEqual({ ...tally(w.candidates, w.roomA.id), total: w.candidates.filter((c) => c.roomId === w.roomA.id).length });
    expect(b!.counts).toEqual({ ...tally(w.candidates, w.roomB.id), total: 3 });
    expect(a!.capacity).toBe(30);
    expect(a!.invigilators).toEqual([{ id: w.invigilator.id, name: w.invigilator.name }]);
    expect(b!.invigilators).toEqual([]);
    // Open flags: the sitting candidate's and the finished one's (still undecided).
    expect(d.openFlags).toBe(2);
    expect(a!.openFlags).toBe(2);
    expect(d.help).toEqual({ queued: 1, assigned: 1 });
    expect(a!.openHelp).toBe(2);
    expect(d.clock).toBe('in_progress');
  });

  it('counts a candidate left running past their end and grace as finished', async () => {
    const now = new Date();
    const w = await world(now);
    const later = new Date(now.getTime() + 200 * MIN);
    const d = examDashboard({ db: fx.db, examId: w.exam.id, now: later });
    expect(d.totals.in_exam + d.totals.problem).toBe(0);
    expect(d.clock).toBe('ended');
    // One sitting candidate has an unfinished recording: they wait for the upload.
    expect(d.totals.upload_pending).toBe(tally(w.candidates).upload_pending! + 1);
  });

  it('follows the exam’s clock and extra time', async () => {
    const now = new Date();
    const exam = makeExam(fx.db, { now, opensIn: 10, closesIn: 60, startsIn: 30, durationMinutes: 60 });
    expect(examDashboard({ db: fx.db, examId: exam.id, now }).clock).toBe('scheduled');
    expect(examDashboard({ db: fx.db, examId: exam.id, now: new Date(now.getTime() + 20 * MIN) }).clock).toBe('entry_open');
    const room = createRoom({ db: fx.db, examId: exam.id, name: 'R' });
    const c = await makeCandidate(fx.db);
    registerCandidate({ db: fx.db, examId: exam.id, roomId: room.id, candidateId: c.id, seat: 1 });
    fx.db.update(registrations).set({ extraMinutes: 15 }).run();
    const d = examDashboard({ db: fx.db, examId: exam.id, now: new Date(now.getTime() + 95 * MIN) });
    expect(d.clock).toBe('in_progress');
    expect(d.exam.latestEndsAt.getTime() - d.exam.endsAt.getTime()).toBe(15 * MIN);
    expect(d.rooms[0]!.counts.not_checked_in).toBe(1);
  });

  it('an exam without rooms or candidates has zero counts', () => {
    const exam = makeExam(fx.db);
    const d = examDashboard({ db: fx.db, examId: exam.id });
    expect(d.rooms).toEqual([]);
    expect(d.totals.total).toBe(0);
    expect(d.unplaced).toBe(0);
  });
});

describe('admin.dashboard.byExam', () => {
  it('an admin gets the dashboard', async () => {
    const w = await world();
    const admin = await makeStaff(fx.db, 'admin');
    const d = await callerFor(makeContext(fx.db, admin)).admin.dashboard.byExam({ examId: w.exam.id });
    expect(d.totals.total).toBe(w.candidates.length);
    expect(d.rooms).toHaveLength(2);
  });

  it('refuses candidates, invigilators and support with FORBIDDEN, and anonymous callers', async () => {
    const w = await world();
    for (const user of [w.candidates[0]!.user, w.invigilator, await makeStaff(fx.db, 'support')]) {
      const err = await trpcRefusal(callerFor(makeContext(fx.db, user)).admin.dashboard.byExam({ examId: w.exam.id }));
      expect(err.code).toBe('FORBIDDEN');
    }
    expect((await trpcRefusal(callerFor(makeContext(fx.db, null)).admin.dashboard.byExam({ examId: w.exam.id }))).code).toBe('UNAUTHORIZED');
  });

  it('an unknown exam is NOT_FOUND, worded in both languages', async () => {
    const admin = await makeStaff(fx.db, 'admin');
    const { httpCall } = await import('../helpers/unit-support');
    const zh = await httpCall({ ctx: makeContext(fx.db, admin), path: 'admin.dashboard.byExam', input: { examId: 999_999 }, method: 'GET' });
    expect(zh.status).toBe(404);
    expect(zh.body.error.json.message).toBe('找不到该考试');
    const en = await httpCall({ ctx: withLocale(makeContext(fx.db, admin), 'en'), path: 'admin.dashboard.byExam', input: { examId: 999_999 }, method: 'GET' });
    expect(en.body.error.json.message).toBe('This exam does not exist');
    const bad = await trpcRefusal(callerFor(makeContext(fx.db, admin)).admin.dashboard.byExam({ examId: -1 }));
    expect(bad.code).toBe('BAD_REQUEST');
  });
});
