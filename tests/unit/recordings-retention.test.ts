import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exams, faceAttemptFrames, faceAttempts, recordingChunks, recordings, registrations } from '@/db/schema';
import { chunkRelPath } from '@/server/services/recordings-files';
import { purgeExpiredFaceEvidence, purgeExpiredRecordings } from '@/server/services/recordings-retention';
import { makeCandidate, makeRoomScenario } from '../fixtures/factories';
import { useTestDb, type TestDb } from '../helpers/unit-db';

const fx = useTestDb();
const DAY = 86_400_000;
let dataDir: string;
beforeEach(() => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retention-'));
});
afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

/** An exam that started `daysAgo` days ago (90 minutes), with one candidate's two-chunk recording on disk. */
async function examWithRecording(db: TestDb, daysAgo: number, retentionDays: number) {
  const s = await makeRoomScenario(db, {
    exam: { opensIn: -daysAgo * 1440 - 30, closesIn: -daysAgo * 1440 + 15, startsIn: -daysAgo * 1440, durationMinutes: 90 },
  });
  db.update(exams).set({ retentionDays }).where(eq(exams.id, s.exam.id)).run();
  const candidateId = s.candidates[0]!.id;
  const rec = db
    .insert(recordings)
    .values({
      candidateId,
      examId: s.exam.id,
      track: 'camera',
      clientKey: `k-${s.exam.id}`,
      mimeType: 'video/webm',
      startedAt: s.exam.startsAt,
      expectedChunks: 2,
      receivedChunks: 2,
      receivedBytes: 300,
    })
    .returning()
    .get();
  for (const seq of [0, 1]) {
    const rel = chunkRelPath(rec, seq);
    fs.mkdirSync(path.dirname(path.join(dataDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dataDir, rel), Buffer.alloc(150, seq));
    db.insert(recordingChunks).values({ recordingId: rec.id, seq, size: 150, sha256: 'x', path: rel, receivedAt: new Date() }).run();
  }
  return { ...s, rec };
}

describe('recording retention', () => {
  it('deletes the rows and files of an exam past its retention and keeps a younger one', async () => {
    const old = await examWithRecording(fx.db, 40, 30);
    const young = await examWithRecording(fx.db, 10, 30);

    const purged = purgeExpiredRecordings({ db: fx.db, dataDir });

    expect(purged).toEqual([{ examId: old.exam.id, title: old.exam.title, recordings: 1, chunks: 2, bytes: 300 }]);
    expect(fx.db.select().from(recordings).where(eq(recordings.examId, old.exam.id)).all()).toEqual([]);
    expect(fx.db.select().from(recordingChunks).where(eq(recordingChunks.recordingId, old.rec.id)).all()).toEqual([]);
    expect(fs.existsSync(path.join(dataDir, 'recordings', String(old.exam.id)))).toBe(false);
    expect(fx.db.select().from(recordings).where(eq(recordings.examId, young.exam.id)).all()).toHaveLength(1);
    expect(fs.existsSync(path.join(dataDir, chunkRelPath(young.rec, 1)))).toBe(true);
    expect(purgeExpiredRecordings({ db: fx.db, dataDir })).toEqual([]);
  });

  it('counts retention from the latest end, extra time included', async () => {
    const s = await examWithRecording(fx.db, 31, 30);
    // 90 minutes of exam + a day of extra time ends less than 30 days ago.
    fx.db.update(registrations).set({ extraMinutes: 1440 }).where(eq(registrations.examId, s.exam.id)).run();
    expect(purgeExpiredRecordings({ db: fx.db, dataDir })).toEqual([]);

    fx.db.update(registrations).set({ extraMinutes: 0 }).where(eq(registrations.examId, s.exam.id)).run();
    expect(purgeExpiredRecordings({ db: fx.db, dataDir, now: new Date(Date.now() + DAY) })).toHaveLength(1);
  });
});

describe('face login evidence', () => {
  /** A face login attempt of the candidate, `daysAgo` days ago, with two frames and a descriptor. */
  function attempt(db: TestDb, candidateId: number, daysAgo: number) {
    const row = db
      .insert(faceAttempts)
      .values({
        candidateId,
        status: 'accepted',
        similarity: 0.9,
        descriptor: Buffer.alloc(16, 1),
        secretHash: 'h',
        createdAt: new Date(Date.now() - daysAgo * DAY),
      })
      .returning()
      .get();
    for (const idx of [0, 1])
      db.insert(faceAttemptFrames)
        .values({ attemptId: row.id, idx, jpeg: Buffer.from([0xff, 0xd8, 0xff, idx]), faces: 1 })
        .run();
    return row.id;
  }
  const framesOf = (db: TestDb, id: number) => db.select().from(faceAttemptFrames).where(eq(faceAttemptFrames.attemptId, id)).all().length;
  const descriptorOf = (db: TestDb, id: number) => db.select().from(faceAttempts).where(eq(faceAttempts.id, id)).get()!.descriptor;

  it('goes with the recordings: kept while any exam of the candidate keeps them, cleared after; the attempt row stays', async () => {
    const old = await examWithRecording(fx.db, 40, 30);
    const young = await examWithRecording(fx.db, 10, 30);
    const gone = attempt(fx.db, old.candidates[0]!.id, 40);
    const kept = attempt(fx.db, young.candidates[0]!.id, 10);
    // Registered for both: the young exam still keeps this candidate's evidence.
    const both = await examWithRecording(fx.db, 40, 30);
    fx.db.insert(registrations).values({ examId: young.exam.id, candidateId: both.candidates[0]!.id, roomId: young.room.id, seat: 2 }).run();
    const keptToo = attempt(fx.db, both.candidates[0]!.id, 40);

    expect(purgeExpiredFaceEvidence({ db: fx.db })).toBe(1);

    expect([framesOf(fx.db, gone), framesOf(fx.db, kept), framesOf(fx.db, keptToo)]).toEqual([0, 2, 2]);
    expect(descriptorOf(fx.db, gone)).toBeNull();
    expect(descriptorOf(fx.db, kept)).not.toBeNull();
    expect(fx.db.select().from(faceAttempts).where(eq(faceAttempts.id, gone)).get()!.status).toBe('accepted');
  });

  it('a candidate registered for no exam keeps it for the default retention', async () => {
    const c = await makeCandidate(fx.db);
    const recent = attempt(fx.db, c.id, 30);
    const ancient = attempt(fx.db, c.id, 120);

    purgeExpiredFaceEvidence({ db: fx.db });

    expect([framesOf(fx.db, recent), framesOf(fx.db, ancient)]).toEqual([2, 0]);
  });
});
