import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { exams, recordingChunks, recordings, registrations } from '@/db/schema';
import { chunkRelPath } from '@/server/services/recordings-files';
import { purgeExpiredRecordings } from '@/server/services/recordings-retention';
import { makeRoomScenario } from '../fixtures/factories';
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
