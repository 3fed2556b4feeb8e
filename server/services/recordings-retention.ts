import fs from 'node:fs';
import path from 'node:path';
import { and, eq, inArray, isNotNull, lt, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { exams, faceAttemptFrames, faceAttempts, recordingChunks, recordings, registrations } from '@/db/schema';
import { endsAt } from './exams';

const DAY = 24 * 60 * 60_000;

export type PurgedExam = { examId: number; title: string; recordings: number; chunks: number; bytes: number };

/**
 * Exams past their recordings' retention: the exam ended (start + duration + the most extra time
 * anyone was given) more than `retentionDays` days before `now`.
 */
export function expiredRecordingExams(db: Db, now: Date) {
  const rows = db
    .select({
      id: exams.id,
      title: exams.title,
      startsAt: exams.startsAt,
      durationMinutes: exams.durationMinutes,
      retentionDays: exams.retentionDays,
      maxExtra: sql<number>`coalesce((select max(${registrations.extraMinutes}) from ${registrations} where ${registrations.examId} = ${exams.id}), 0)`,
    })
    .from(exams)
    .all();
  return rows.filter((e) => endsAt(e, { extraMinutes: Number(e.maxExtra) }).getTime() + e.retentionDays * DAY < now.getTime());
}

/**
 * Deletes the recordings of every exam past its retention: the rows (chunks cascade) in one
 * transaction, then the files (`recordings/<examId>/` under the data folder). Files go after the
 * commit, so a crash in between leaves files without rows, never rows without files; the next run
 * removes those folders too, as it removes the folder of every expired exam. Returns the exams
 * whose recordings it deleted.
 */
export function purgeExpiredRecordings({ db, dataDir, now = new Date() }: { db: Db; dataDir: string; now?: Date }): PurgedExam[] {
  const expired = expiredRecordingExams(db, now);
  if (!expired.length) return [];
  const ids = expired.map((e) => e.id);
  const purged = db.transaction((tx) => {
    const stats = tx
      .select({
        examId: recordings.examId,
        recordings: sql<number>`count(distinct ${recordings.id})`,
        chunks: sql<number>`count(${recordingChunks.seq})`,
        bytes: sql<number>`coalesce(sum(${recordingChunks.size}), 0)`,
      })
      .from(recordings)
      .leftJoin(recordingChunks, eq(recordingChunks.recordingId, recordings.id))
      .where(inArray(recordings.examId, ids))
      .groupBy(recordings.examId)
      .all();
    tx.delete(recordings).where(inArray(recordings.examId, ids)).run();
    return stats;
  });
  for (const id of ids) fs.rmSync(path.join(dataDir, 'recordings', String(id)), { recursive: true, force: true });
  return purged.map((p) => ({
    examId: p.examId,
    title: expired.find((e) => e.id === p.examId)!.title,
    recordings: Number(p.recordings),
    chunks: Number(p.chunks),
    bytes: Number(p.bytes),
  }));
}

/** How long the evidence of a candidate registered for no exam is kept: an exam's default retention. */
export const UNREGISTERED_FACE_RETENTION_DAYS = 90;

/**
 * Face login evidence (the frames and the matched descriptor of each attempt) is kept as long as
 * the candidate's recordings: while any exam they are registered for keeps its recordings. The
 * attempt rows stay, without the biometric data, as the record of who was let in and by whom.
 * Returns the number of attempts cleared.
 */
export function purgeExpiredFaceEvidence({ db, now = new Date() }: { db: Db; now?: Date }) {
  const expired = new Set(expiredRecordingExams(db, now).map((e) => e.id));
  const holders = db.selectDistinct({ candidateId: faceAttempts.candidateId }).from(faceAttempts).where(isNotNull(faceAttempts.secretHash)).all();
  const clear: number[] = [];
  const old = new Date(now.getTime() - UNREGISTERED_FACE_RETENTION_DAYS * DAY);
  for (const { candidateId } of holders) {
    const examIds = db.select({ examId: registrations.examId }).from(registrations).where(eq(registrations.candidateId, candidateId)).all();
    if (examIds.some((r) => !expired.has(r.examId))) continue;
    const attempts = db
      .select({ id: faceAttempts.id })
      .from(faceAttempts)
      .where(and(eq(faceAttempts.candidateId, candidateId), examIds.length ? undefined : lt(faceAttempts.createdAt, old)))
      .all();
    clear.push(...attempts.map((a) => a.id));
  }
  if (!clear.length) return 0;
  db.transaction((tx) => {
    tx.delete(faceAttemptFrames).where(inArray(faceAttemptFrames.attemptId, clear)).run();
    tx.update(faceAttempts).set({ descriptor: null }).where(inArray(faceAttempts.id, clear)).run();
  });
  return clear.length;
}
