import { toCaller } from '@/server/services/auth';
import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { User } from '@/db/schema';
import { playbackResponse } from '@/server/http/recordings-playback';
import { START_GRACE_MS } from '@/server/services/recordings';
import { createRoom, registerCandidate } from '@/server/services/setup';
import { makeCandidate, makeChief, makeStaff } from '../fixtures/factories';
import { createTestDb } from '../helpers/db';
import { callerAs, chunkBytes, recordingScenario } from '../helpers/tus';
import { trpcRefusal } from '../helpers/unit-support';

let db: ReturnType<typeof createTestDb>;
let s: Awaited<ReturnType<typeof recordingScenario>>;

beforeEach(async () => {
  db = createTestDb();
  s = await recordingScenario(db);
});
afterEach(async () => {
  await s.cleanup();
  db.cleanup();
});

const startInput = (over: Record<string, unknown> = {}) => ({
  examId: s.exam.id,
  track: 'screen' as const,
  clientKey: randomUUID(),
  mimeType: 'video/webm;codecs=vp9,opus',
  startedAt: new Date(),
  ...over,
});

/** Uploads the given seqs of a recording (content derived from the seq) and returns their bytes. */
async function uploadSeqs(cookie: string, recordingId: number, seqs: number[], size = 3000) {
  const bytes = new Map<number, Buffer>();
  for (const seq of seqs) {
    const b = chunkBytes(size + seq, recordingId * 100 + seq);
    expect((await s.upload(cookie, recordingId, seq, b)).status).toBe(204);
    bytes.set(seq, b);
  }
  return bytes;
}

const play = (user: User | null, recordingId: number, range: string | null = null) =>
  playbackResponse({ db, dataDir: s.dataDir, caller: user && toCaller(user), recordingId: String(recordingId), range });

describe('recordings.start / finish / mine', () => {
  it('candidate: start is idempotent on the client key; the same key for another track is refused', async () => {
    const [alice] = s.candidates;
    const caller = callerAs(db, alice!);
    const input = startInput();
    const first = await caller.recordings.start(input);
    expect(await caller.recordings.start(input)).toEqual(first);
    const err = await trpcRefusal(caller.recordings.start({ ...input, track: 'camera' }));
    expect(err.code).toBe('CONFLICT');
  });

  it('candidate: cannot record before entering the exam, nor start long after it ended; a retried start still answers', async () => {
    const [alice] = s.candidates;
    const outsider = await makeCandidate(db);
    const room2 = createRoom({ db, examId: s.exam.id, name: '候考室' });
    registerCandidate({ db, examId: s.exam.id, roomId: room2.id, candidateId: outsider.id, seat: 1, acceptedAt: new Date() });
    const notEntered = await trpcRefusal(callerAs(db, outsider).recordings.start(startInput()));
    expect(notEntered.code).toBe('PRECONDITION_FAILED');
    expect(notEntered.message).toBe('recordings.notEntered');

    const input = startInput();
    const { recordingId } = await callerAs(db, alice!).recordings.start(input);
    const { startRecording } = await import('@/server/services/recordings');
    const later = new Date(s.exam.startsAt.getTime() + (s.exam.durationMinutes + 1) * 60_000 + START_GRACE_MS);
    const recorders = [{ kind: 'pc' as const, candidateId: alice!.id }];
    expect(() => startRecording({ db, recorders, ...startInput(), now: later })).toThrow('recordings.examOver');
    expect(startRecording({ db, recorders, ...input, now: later })).toEqual({ recordingId });
  });

  it('candidate: a witness recording is refused from the PC; bad input is refused field by field', async () => {
    const [alice] = s.candidates;
    const caller = callerAs(db, alice!);
    expect((await trpcRefusal(caller.recordings.start(startInput({ track: 'witness' })))).code).toBe('FORBIDDEN');
    expect((await trpcRefusal(caller.recordings.start(startInput({ clientKey: 'not-a-uuid' })))).code).toBe('BAD_REQUEST');
    expect((await trpcRefusal(caller.recordings.start(startInput({ mimeType: 'text/html\r\nx: y' })))).code).toBe('BAD_REQUEST');
    expect((await trpcRefusal(callerAs(db, null).recordings.start(startInput()))).code).toBe('UNAUTHORIZED');
  });

  it('candidate: finish sets the expected count once; a different count or one below a received seq is refused', async () => {
    const [alice] = s.candidates;
    const caller = callerAs(db, alice!);
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    await uploadSeqs(cookie, rec, [0, 4]);
    const below = await trpcRefusal(caller.recordings.finish({ recordingId: rec, chunks: 4, endedAt: new Date() }));
    expect(below.code).toBe('BAD_REQUEST');
    const ledger = await caller.recordings.finish({ recordingId: rec, chunks: 5, endedAt: new Date() });
    expect(ledger).toMatchObject({ expected: 5, received: 2, gapCount: 3, gaps: [{ from: 1, to: 3 }], complete: false });
    expect(await caller.recordings.finish({ recordingId: rec, chunks: 5, endedAt: new Date() })).toMatchObject({ expected: 5 });
    expect((await trpcRefusal(caller.recordings.finish({ recordingId: rec, chunks: 6, endedAt: new Date() }))).code).toBe('CONFLICT');
    const [bob] = s.candidates.slice(1);
    expect((await trpcRefusal(callerAs(db, bob!).recordings.finish({ recordingId: rec, chunks: 5, endedAt: new Date() }))).code).toBe('NOT_FOUND');
  });

  it('candidate sees all their recordings in mine; their phone sees only the witness one', async () => {
    const [alice, bob] = s.candidates;
    const phone = await s.phoneCookie(alice!);
    const screen = await s.start(alice!, 'screen');
    const witness = await s.start(alice!, 'witness', phone.session);
    await s.start(bob!, 'screen');
    const mine = await callerAs(db, alice!).recordings.mine();
    expect(mine.map((r) => r.recordingId).sort()).toEqual([screen, witness].sort());
    const phones = await callerAs(db, null, phone.session).recordings.mine({ examId: s.exam.id });
    expect(phones.map((r) => [r.recordingId, r.track])).toEqual([[witness, 'witness']]);
  });
});

describe('recordings.ledger and recordings.roomBacklog', () => {
  it('invigilator: the ledger shows gaps below the highest seq, then below the announced end, and completion', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!, 'camera');
    await uploadSeqs(cookie, rec, [0, 2, 5], 1000);
    const staff = callerAs(db, s.invigilator);
    let [entry] = await staff.recordings.ledger({ examId: s.exam.id, candidateId: alice!.id });
    expect(entry).toMatchObject({
      recordingId: rec,
      track: 'camera',
      expected: null,
      received: 3,
      bytes: 1000 * 3 + 7,
      gapCount: 3,
      gaps: [
        { from: 1, to: 1 },
        { from: 3, to: 4 },
      ],
      complete: false,
    });
    await callerAs(db, alice!).recordings.finish({ recordingId: rec, chunks: 7, endedAt: new Date() });
    [entry] = await staff.recordings.ledger({ examId: s.exam.id, candidateId: alice!.id });
    expect(entry).toMatchObject({
      expected: 7,
      gapCount: 4,
      gaps: [
        { from: 1, to: 1 },
        { from: 3, to: 4 },
        { from: 6, to: 6 },
      ],
      complete: false,
    });
    await uploadSeqs(cookie, rec, [1, 3, 4, 6], 1000);
    [entry] = await staff.recordings.ledger({ examId: s.exam.id, candidateId: alice!.id });
    expect(entry).toMatchObject({ expected: 7, received: 7, gapCount: 0, gaps: [], complete: true });
  });

  it('invigilator: the room backlog counts pending chunks per candidate; other rooms and candidates are refused', async () => {
    const [alice, bob] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const screen = await s.start(alice!, 'screen');
    const camera = await s.start(alice!, 'camera');
    await uploadSeqs(cookie, screen, [0, 1], 500);
    await uploadSeqs(cookie, camera, [0], 500);
    await callerAs(db, alice!).recordings.finish({ recordingId: screen, chunks: 4, endedAt: new Date() });
    const backlog = await callerAs(db, s.invigilator).recordings.roomBacklog({ roomId: s.room.id });
    expect(backlog.find((b) => b.candidateId === alice!.id)).toMatchObject({
      recordings: 2,
      pendingChunks: 2,
      open: 1,
      receivedChunks: 3,
      receivedBytes: 500 + 501 + 500,
      complete: false,
    });
    expect(backlog.find((b) => b.candidateId === bob!.id)).toMatchObject({ recordings: 0, pendingChunks: 0, complete: false });

    const stranger = await makeStaff(db, 'invigilator');
    expect((await trpcRefusal(callerAs(db, stranger).recordings.roomBacklog({ roomId: s.room.id }))).code).toBe('FORBIDDEN');
    expect((await trpcRefusal(callerAs(db, stranger).recordings.ledger({ examId: s.exam.id, candidateId: alice!.id }))).code).toBe('FORBIDDEN');
    expect((await trpcRefusal(callerAs(db, alice!).recordings.ledger({ examId: s.exam.id, candidateId: alice!.id }))).code).toBe('FORBIDDEN');
  });
});

describe('playback file', () => {
  it('staff: chunks uploaded out of order play back concatenated byte-exactly in seq order, with ranges', async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    const bytes = await uploadSeqs(cookie, rec, [3, 1, 0, 2], 20_000);
    await callerAs(db, alice!).recordings.finish({ recordingId: rec, chunks: 4, endedAt: new Date() });
    const whole = Buffer.concat([0, 1, 2, 3].map((seq) => bytes.get(seq)!));

    const res = play(s.invigilator, rec);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('video/webm;codecs=vp8');
    expect(res.headers.get('content-length')).toBe(String(whole.length));
    expect(res.headers.get('x-recording-complete')).toBe('1');
    expect(Buffer.from(await res.arrayBuffer()).equals(whole)).toBe(true);

    // A range across the boundary of chunks 0 and 1, then an open-ended tail.
    const part = play(s.invigilator, rec, 'bytes=19990-20020');
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 19990-20020/${whole.length}`);
    expect(Buffer.from(await part.arrayBuffer()).equals(whole.subarray(19990, 20021))).toBe(true);
    const tail = play(s.invigilator, rec, 'bytes=-100');
    expect(Buffer.from(await tail.arrayBuffer()).equals(whole.subarray(whole.length - 100))).toBe(true);
    expect(play(s.invigilator, rec, `bytes=${whole.length}-`).status).toBe(416);
  });

  it("the chief and admins may play a recording; the candidate, another room's invigilator and support may not", async () => {
    const [alice] = s.candidates;
    const cookie = await s.candidateCookie(alice!);
    const rec = await s.start(alice!);
    await uploadSeqs(cookie, rec, [0]);
    const chief = await makeChief(db, s.exam.id);
    const admin = await makeStaff(db, 'admin');
    const otherRoom = createRoom({ db, examId: s.exam.id, name: '第二考场' });
    const otherInvigilator = await makeStaff(db, 'invigilator');
    const { assignInvigilator } = await import('@/server/services/setup');
    assignInvigilator({ db, roomId: otherRoom.id, userId: otherInvigilator.id });
    const support = await makeStaff(db, 'support');

    expect(play(chief, rec).status).toBe(200);
    expect(play(admin, rec).status).toBe(200);
    expect(play(alice!, rec).status).toBe(403);
    expect(play(otherInvigilator, rec).status).toBe(403);
    expect(play(support, rec).status).toBe(403);
    expect(play(null, rec).status).toBe(401);
    expect(play(s.invigilator, rec + 1000).status).toBe(404);
    const refused = await play(alice!, rec).json();
    expect(refused.message).toBe('只有该考生所在考场的监考员和本场考试的主监考可以查看录像。');
  });
});
