import { candidateIdentity } from '@/server/livekit/tokens';
import { describe, expect, it } from 'vitest';
import { AppError } from '@/server/errors';
import { enterExam, entryState, listCandidateExams } from '@/server/services/exams';
import { createRoom, registerCandidate } from '@/server/services/setup';
import { makeCandidate, makeExam, makeRoomScenario } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { claimsOf } from '../helpers/unit-support';

const fx = useTestDb();

const NOW = new Date('2030-06-01T08:00:00.000Z');
const at = (ms: number) => new Date(ms);

describe('entry window [opensAt, closesAt)', () => {
  it('is not yet open one millisecond before it opens', () => {
    const exam = makeExam(fx.db, { now: NOW, opensIn: 0, closesIn: 30 });
    expect(entryState(exam, at(exam.entryOpensAt.getTime() - 1))).toBe('not_yet_open');
  });

  it('is open at exactly the millisecond it opens', () => {
    const exam = makeExam(fx.db, { now: NOW, opensIn: 0, closesIn: 30 });
    expect(entryState(exam, at(exam.entryOpensAt.getTime()))).toBe('open');
  });

  it('is still open one millisecond before it closes', () => {
    const exam = makeExam(fx.db, { now: NOW, opensIn: 0, closesIn: 30 });
    expect(entryState(exam, at(exam.entryClosesAt.getTime() - 1))).toBe('open');
  });

  it('is closed at exactly the millisecond it closes', () => {
    const exam = makeExam(fx.db, { now: NOW, opensIn: 0, closesIn: 30 });
    expect(entryState(exam, at(exam.entryClosesAt.getTime()))).toBe('closed');
  });

  it('keeps the window boundaries to the millisecond through the database', () => {
    const exam = makeExam(fx.db, { now: at(NOW.getTime() + 123), opensIn: 0, closesIn: 30 });
    expect(exam.entryOpensAt.getTime()).toBe(NOW.getTime() + 123);
  });
});

describe('a candidate entering an exam', () => {
  async function scenario() {
    return makeRoomScenario(fx.db, { exam: { now: NOW, opensIn: 0, closesIn: 30 } });
  }

  it('is refused entry one millisecond before the window opens', async () => {
    const { exam, candidates } = await scenario();
    const err = await enterExam({ db: fx.db, candidateId: candidates[0]!.id, examId: exam.id, now: at(exam.entryOpensAt.getTime() - 1) }).catch((e) => e);

    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED', key: 'exam.entryNotOpen' });
    expect((err as AppError).params.opensAt).toEqual(exam.entryOpensAt);
  });

  it('is let in at exactly the millisecond the window opens', async () => {
    const { exam, candidates } = await scenario();
    const res = await enterExam({ db: fx.db, candidateId: candidates[0]!.id, examId: exam.id, now: exam.entryOpensAt });
    expect(res.exam.id).toBe(exam.id);
  });

  it('is let in one millisecond before the window closes', async () => {
    const { exam, candidates } = await scenario();
    const res = await enterExam({ db: fx.db, candidateId: candidates[0]!.id, examId: exam.id, now: at(exam.entryClosesAt.getTime() - 1) });
    expect(res.exam.id).toBe(exam.id);
  });

  it('is refused entry at exactly the millisecond the window closes', async () => {
    const { exam, candidates } = await scenario();
    const err = await enterExam({ db: fx.db, candidateId: candidates[0]!.id, examId: exam.id, now: exam.entryClosesAt }).catch((e) => e);

    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'PRECONDITION_FAILED', key: 'exam.entryClosed' });
    expect((err as AppError).params.closedAt).toEqual(exam.entryClosesAt);
  });

  it('gets a publish token for their own exam room, under their own PC identity and no name', async () => {
    const { exam, room, candidates } = await scenario();
    const cand = candidates[0]!;

    const res = await enterExam({ db: fx.db, candidateId: cand.id, examId: exam.id, now: at(NOW.getTime() + 60_000) });
    const claims = claimsOf(res.livekit.token);

    expect(res.livekit.room).toBe(room.livekitRoom);
    expect(claims.video?.room).toBe(room.livekitRoom);
    expect(claims.sub).toBe(candidateIdentity(cand.id, 'pc'));
    expect(claims.name).toBeFalsy();
    expect(res.exam).toMatchObject({ id: exam.id, title: exam.title, roomName: room.name, seat: 1 });
  });

  it('is given the room of their own registration when the exam has several rooms', async () => {
    const a = await scenario();
    const b = await makeRoomScenario(fx.db, { exam: { now: NOW, opensIn: 0, closesIn: 30 }, candidates: 2 });
    const cand = b.candidates[1]!;

    const res = await enterExam({ db: fx.db, candidateId: cand.id, examId: b.exam.id, now: NOW });

    expect(res.livekit.room).toBe(b.room.livekitRoom);
    expect(res.livekit.room).not.toBe(a.room.livekitRoom);
    expect(res.exam.seat).toBe(2);
  });

  it('cannot enter another candidate’s exam: not registered is NOT_FOUND', async () => {
    const mine = await scenario();
    const theirs = await scenario();

    const err = await enterExam({ db: fx.db, candidateId: mine.candidates[0]!.id, examId: theirs.exam.id, now: NOW }).catch((e) => e);

    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({ code: 'NOT_FOUND', key: 'exam.notRegistered' });
  });

  it('who is registered nowhere gets NOT_FOUND, even outside the window (no hint that the exam exists)', async () => {
    const { exam } = await scenario();
    const stranger = await makeCandidate(fx.db);

    for (const now of [at(exam.entryOpensAt.getTime() - 1), NOW, exam.entryClosesAt]) {
      await expect(enterExam({ db: fx.db, candidateId: stranger.id, examId: exam.id, now })).rejects.toMatchObject({
        code: 'NOT_FOUND',
        key: 'exam.notRegistered',
      });
    }
  });

  it('gets NOT_FOUND for an exam id that does not exist', async () => {
    const { exam, candidates } = await scenario();
    await expect(enterExam({ db: fx.db, candidateId: candidates[0]!.id, examId: exam.id + 1000, now: NOW })).rejects.toMatchObject({
      code: 'NOT_FOUND',
      key: 'exam.notRegistered',
    });
  });
});

describe('a candidate listing their exams', () => {
  it('sees only their own exams, with room, seat and entry state', async () => {
    const early = await makeRoomScenario(fx.db, { exam: { now: NOW, opensIn: 0, closesIn: 30, startsIn: 20 }, candidates: 2 });
    const other = await makeRoomScenario(fx.db, { exam: { now: NOW, opensIn: 0, closesIn: 30 } });
    const cand = early.candidates[1]!;

    const list = listCandidateExams({ db: fx.db, candidateId: cand.id, now: NOW });

    expect(list).toHaveLength(1);
    expect(list[0]).toMatchObject({ id: early.exam.id, roomName: early.room.name, seat: 2, entry: 'open' });
    expect(list.map((e) => e.id)).not.toContain(other.exam.id);
  });

  it('sees their exams in start order, each with its own entry state at the given time', async () => {
    const cand = await makeCandidate(fx.db);
    const second = makeExam(fx.db, { now: NOW, opensIn: 60, closesIn: 120, startsIn: 90 });
    const first = makeExam(fx.db, { now: NOW, opensIn: -10, closesIn: 20, startsIn: 10 });
    const past = makeExam(fx.db, { now: NOW, opensIn: -120, closesIn: -60, startsIn: -90 });
    for (const exam of [second, first, past]) {
      const room = createRoom({ db: fx.db, examId: exam.id, name: `room for ${exam.id}` });
      registerCandidate({ db: fx.db, examId: exam.id, roomId: room.id, candidateId: cand.id, seat: 1 });
    }
    // Someone else's exam in between must not show up.
    await makeRoomScenario(fx.db, { exam: { now: NOW, startsIn: 5 } });

    const list = listCandidateExams({ db: fx.db, candidateId: cand.id, now: NOW });

    expect(list.map((e) => [e.id, e.entry])).toEqual([
      [past.id, 'closed'],
      [first.id, 'open'],
      [second.id, 'not_yet_open'],
    ]);
  });

  it('sees an empty list when registered for nothing', async () => {
    await makeRoomScenario(fx.db);
    const loner = await makeCandidate(fx.db);
    expect(listCandidateExams({ db: fx.db, candidateId: loner.id, now: NOW })).toEqual([]);
  });
});
