import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { exams, recordings, registrations, type RecordingTrack } from '@/db/schema';
import { env } from '../env';
import { AppError } from '../errors';
import { endsAt } from './exams';

/**
 * What one candidate may put into the recordings of one exam. Everything a device sends is
 * bounded by the exam it belongs to: how many recordings, how many chunks each, how many bytes
 * in all, and until when. A device that stays inside these never notices them.
 */

const MIN = 60_000;
const HOUR = 60 * MIN;

/**
 * How often the recorder hands over a chunk: TIMESLICE_MS in components/recording/chunk-recorder.ts
 * (a unit test keeps the two equal). The server only uses it to bound the chunk count.
 */
export const CHUNK_MS = 4000;

/**
 * A recording may be started (or its start retried) until this long after the candidate's exam
 * ended: a device that was offline or crashed registers its recording when it comes back, and
 * its chunks must still find a home.
 */
export const START_GRACE_MS = 12 * HOUR;

/**
 * New chunk uploads are accepted until this long after the candidate's exam ended. A device that
 * registers its recording at the last moment of START_GRACE_MS still has 12 hours to deliver its
 * backlog (a whole exam drains in minutes on an ordinary line); after that the ledger is final,
 * so reviews and the upload export describe a closed set, and an account cannot keep writing to
 * the disk for ever. Unfinished uploads expire after the same 24 hours.
 */
export const UPLOAD_GRACE_MS = 24 * HOUR;

/** Slack on the recording window for clock skew and a recorder stopped a little late. */
const WINDOW_MARGIN_MS = 30 * MIN;

/**
 * Recordings one candidate may open per track and exam. A recorder restarts on a reload, a
 * camera switch or a crash; fifty restarts is far past any real sitting.
 */
export const MAX_RECORDINGS_PER_TRACK = 50;

/**
 * The candidate's exam as the recording bounds see it: when recording could begin and end. A
 * registration taken away after the recording began (moved out of every room) still bounds
 * its uploads by the exam's own times.
 */
export function sittingOf(db: DbOrTx, candidateId: number, examId: number) {
  const reg = db
    .select({ enteredAt: registrations.enteredAt, finishedAt: registrations.finishedAt, extraMinutes: registrations.extraMinutes })
    .from(registrations)
    .where(and(eq(registrations.candidateId, candidateId), eq(registrations.examId, examId)))
    .get() ?? { enteredAt: null, finishedAt: null, extraMinutes: 0 };
  const exam = db.select().from(exams).where(eq(exams.id, examId)).get()!;
  const scheduledEnd = endsAt(exam, reg);
  return {
    reg,
    /** The end the grace periods count from: when the candidate finished, else the scheduled end. */
    end: reg.finishedAt ?? scheduledEnd,
    /** Recording starts on entering the exam (before the start, in the waiting room) and stops by its end. */
    window: { from: reg.enteredAt ?? exam.entryOpensAt, to: new Date(Math.max(scheduledEnd.getTime(), reg.finishedAt?.getTime() ?? 0)) },
  };
}
export type Sitting = ReturnType<typeof sittingOf>;

/**
 * The most chunks one recording of this sitting can have: the recording window (plus a margin)
 * cut into chunks, twice over (a recorder may hand over early, on a pause or a track change).
 * A 90-minute exam gives a few thousand; the ledger and the playback stay small with it.
 */
export function maxChunks(sitting: Sitting) {
  const windowMs = Math.max(0, sitting.window.to.getTime() - sitting.window.from.getTime()) + WINDOW_MARGIN_MS;
  return Math.ceil(windowMs / CHUNK_MS) * 2;
}

export function assertChunkCount(sitting: Sitting, chunks: number) {
  const max = maxChunks(sitting);
  if (chunks > max) throw new AppError('BAD_REQUEST', 'recordings.tooManyChunks', { max });
}

export function assertStartOpen(sitting: Sitting, now: Date) {
  if (now.getTime() > sitting.end.getTime() + START_GRACE_MS) throw new AppError('PRECONDITION_FAILED', 'recordings.examOver');
}

export function assertUploadOpen(sitting: Sitting, now: Date) {
  if (now.getTime() > sitting.end.getTime() + UPLOAD_GRACE_MS) throw new AppError('PRECONDITION_FAILED', 'recordings.uploadClosed');
}

/** A new recording on this track, unless the candidate already opened the most a sitting needs. */
export function assertMayOpenRecording(db: DbOrTx, { candidateId, examId, track }: { candidateId: number; examId: number; track: RecordingTrack }) {
  const open = db
    .select({ n: sql<number>`count(*)` })
    .from(recordings)
    .where(and(eq(recordings.candidateId, candidateId), eq(recordings.examId, examId), eq(recordings.track, track)))
    .get()!.n;
  if (open >= MAX_RECORDINGS_PER_TRACK) throw new AppError('PRECONDITION_FAILED', 'recordings.tooManyRecordings', { max: MAX_RECORDINGS_PER_TRACK });
}

/** Bytes already stored for the candidate in this exam, over all tracks. */
export function storedBytes(db: DbOrTx, candidateId: number, examId: number) {
  return Number(
    db
      .select({ bytes: sql<number>`coalesce(sum(${recordings.receivedBytes}), 0)` })
      .from(recordings)
      .where(and(eq(recordings.candidateId, candidateId), eq(recordings.examId, examId)))
      .get()!.bytes,
  );
}

/** Whether `adding` more bytes keep the candidate within the exam's byte quota (RECORDING_QUOTA_BYTES). */
export const withinQuota = (db: DbOrTx, ref: { candidateId: number; examId: number }, adding: number, quotaBytes = env.RECORDING_QUOTA_BYTES) =>
  storedBytes(db, ref.candidateId, ref.examId) + adding <= quotaBytes;
