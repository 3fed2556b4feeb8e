import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { recordingChunks, recordings, registrations, users, type Recording, type RecordingTrack } from '@/db/schema';
import { AppError } from '../errors';
import { announceProgress } from './recordings-progress';
import { assertChunkCount, assertMayOpenRecording, assertStartOpen, maxChunks, sittingOf } from './recordings-limits';
import { recordingMediaType } from './recordings-media';
import type { StaffArgs } from '../auth/caller';
import { assertCandidateEvidence, assertRoom, assertWritableRecording, placedRegistration, recorderMayRecord, recorderMaySee, type Recorder } from './access';

export { START_GRACE_MS } from './recordings-limits';

/** At most this many gap ranges are listed per recording; `gapCount` counts every missing chunk. */
export const LISTED_GAP_RANGES = 20;

/** Chunks from..to (inclusive) are missing. */
export type GapRange = { from: number; to: number };

export type LedgerEntry = {
  recordingId: number;
  examId: number;
  candidateId: number;
  track: RecordingTrack;
  mimeType: string;
  startedAt: Date;
  endedAt: Date | null;
  /** Chunks 0..expected-1 once the device said how many it recorded; null until then. */
  expected: number | null;
  received: number;
  bytes: number;
  /** Seqs not received: below `expected` when known, else below the highest seq received. */
  gapCount: number;
  /** The first LISTED_GAP_RANGES ranges of them, in order (fewer than `gapCount` seqs when cut). */
  gaps: GapRange[];
  complete: boolean;
  completedAt: Date | null;
};

/* ------------------------------------------------------------------ device side */

export function startRecording({
  db,
  recorders,
  examId,
  track,
  clientKey,
  mimeType,
  startedAt,
  now = new Date(),
}: {
  db: Db;
  recorders: Recorder[];
  examId: number;
  track: RecordingTrack;
  clientKey: string;
  mimeType: string;
  startedAt: Date;
  now?: Date;
}) {
  const recorder = recorders.find((r) => recorderMayRecord(r, { candidateId: r.candidateId, examId, track }));
  if (!recorder) throw new AppError('FORBIDDEN', 'recordings.trackNotAllowed', { track });
  const candidateId = recorder.candidateId;
  // A retry (lost response, crash, offline start) returns the same recording, whatever the time.
  const existing = db
    .select()
    .from(recordings)
    .where(and(eq(recordings.candidateId, candidateId), eq(recordings.clientKey, clientKey)))
    .get();
  if (existing) {
    if (existing.examId !== examId || existing.track !== track) throw new AppError('CONFLICT', 'recordings.clientKeyTaken');
    return { recordingId: existing.id };
  }
  const reg = placedRegistration(db, candidateId, examId);
  if (!reg.enteredAt) throw new AppError('PRECONDITION_FAILED', 'recordings.notEntered');
  assertStartOpen(sittingOf(db, candidateId, examId), now);
  // Playback serves this type back as the Content-Type of the device's bytes: only a known media type is kept.
  const mediaType = recordingMediaType(mimeType);
  if (!mediaType) throw new AppError('BAD_REQUEST', 'recordings.unsupportedMediaType');
  assertMayOpenRecording(db, { candidateId, examId, track });
  const row = db
    .insert(recordings)
    .values({ candidateId, examId, track, clientKey, mimeType: mediaType, startedAt })
    // Two racing first attempts with one key: the loser reads the winner's row.
    .onConflictDoNothing()
    .returning({ id: recordings.id })
    .get();
  if (row) return { recordingId: row.id };
  return startRecording({ db, recorders, examId, track, clientKey, mimeType, startedAt, now });
}

/** Marks a recording complete when every chunk 0..expected-1 is in. Call inside the write's transaction. */
function settleCompletion(tx: DbOrTx, recordingId: number, now: Date) {
  tx.update(recordings)
    .set({ completedAt: now })
    .where(
      and(
        eq(recordings.id, recordingId),
        sql`${recordings.completedAt} is null`,
        sql`${recordings.expectedChunks} is not null`,
        sql`${recordings.receivedChunks} = ${recordings.expectedChunks}`,
      ),
    )
    .run();
}

/** The device recorded `chunks` chunks (0..chunks-1) and stopped at `endedAt`. Idempotent. */
export function finishRecording({
  db,
  recorders,
  recordingId,
  chunks,
  endedAt,
  now = new Date(),
}: {
  db: Db;
  recorders: Recorder[];
  recordingId: number;
  chunks: number;
  endedAt: Date;
  now?: Date;
}) {
  const rec = assertWritableRecording(db, recorders, recordingId);
  if (rec.expectedChunks != null) {
    if (rec.expectedChunks !== chunks) throw new AppError('CONFLICT', 'recordings.alreadyFinished', { chunks: rec.expectedChunks });
    return ledgerEntry(db, rec);
  }
  // Before anything reads the chunks: a count past what the exam allows is refused at once.
  assertChunkCount(sittingOf(db, rec.candidateId, rec.examId), chunks);
  const highest = db
    .select({ seq: sql<number | null>`max(${recordingChunks.seq})` })
    .from(recordingChunks)
    .where(eq(recordingChunks.recordingId, recordingId))
    .get()?.seq;
  if (highest != null && highest >= chunks) throw new AppError('BAD_REQUEST', 'recordings.fewerThanReceived', { received: highest + 1 });
  db.transaction((tx) => {
    tx.update(recordings).set({ expectedChunks: chunks, endedAt }).where(eq(recordings.id, recordingId)).run();
    settleCompletion(tx, recordingId, now);
  });
  announceProgress(db, recordingId);
  return ledgerEntry(db, db.select().from(recordings).where(eq(recordings.id, recordingId)).get()!);
}

/** The candidate's recordings (all of them from the PC; the phone sees the witness ones of its exam). */
export function myRecordings({ db, recorders, examId }: { db: Db; recorders: Recorder[]; examId?: number }) {
  const candidateIds = [...new Set(recorders.map((r) => r.candidateId))];
  const rows = db
    .select()
    .from(recordings)
    .where(and(inArray(recordings.candidateId, candidateIds), examId ? eq(recordings.examId, examId) : undefined))
    .orderBy(asc(recordings.startedAt), asc(recordings.id))
    .all()
    .filter((rec) => recorders.some((r) => recorderMaySee(r, rec)));
  return ledgerEntries(db, rows);
}

/* ------------------------------------------------------------------ chunks */

export type ChunkOutcome = 'stored' | 'duplicate';

/** The chunk row already stored for this seq, if any. */
export const storedChunk = (db: DbOrTx, recordingId: number, seq: number) =>
  db
    .select()
    .from(recordingChunks)
    .where(and(eq(recordingChunks.recordingId, recordingId), eq(recordingChunks.seq, seq)))
    .get();

/**
 * Checks a verified chunk against the ledger before its file is placed: the same seq with the
 * same bytes is a duplicate (success, nothing changes), with other bytes a conflict, and a seq
 * past the announced end is out of range.
 */
export function checkChunk(db: DbOrTx, rec: Recording, seq: number, sha256: string): ChunkOutcome | 'new' {
  if (rec.expectedChunks != null && seq >= rec.expectedChunks) {
    throw new AppError('BAD_REQUEST', 'recordings.seqOutOfRange', { seq, chunks: rec.expectedChunks });
  }
  // While the end is unknown the ledger counts gaps up to the highest seq: that must stay bounded too.
  const max = maxChunks(sittingOf(db, rec.candidateId, rec.examId));
  if (seq >= max) throw new AppError('BAD_REQUEST', 'recordings.tooManyChunks', { max });
  const stored = storedChunk(db, rec.id, seq);
  if (!stored) return 'new';
  if (stored.sha256 !== sha256) throw new AppError('CONFLICT', 'recordings.chunkConflict', { seq });
  return 'duplicate';
}

/**
 * Records a chunk whose file is already in place, and updates the ledger, in one transaction.
 * Returns 'duplicate' when the same bytes were recorded meanwhile (by a concurrent upload).
 */
export function recordChunk({
  db,
  rec,
  seq,
  size,
  sha256,
  offsetMs,
  path,
  now = new Date(),
}: {
  db: Db;
  rec: Recording;
  seq: number;
  size: number;
  sha256: string;
  offsetMs: number | null;
  path: string;
  now?: Date;
}): ChunkOutcome {
  return db.transaction((tx) => {
    const outcome = checkChunk(tx, rec, seq, sha256);
    if (outcome === 'duplicate') return outcome;
    tx.insert(recordingChunks).values({ recordingId: rec.id, seq, size, sha256, offsetMs, path, receivedAt: now }).run();
    tx.update(recordings)
      .set({ receivedChunks: sql`${recordings.receivedChunks} + 1`, receivedBytes: sql`${recordings.receivedBytes} + ${size}` })
      .where(eq(recordings.id, rec.id))
      .run();
    settleCompletion(tx, rec.id, now);
    return 'stored';
  });
}

/* ------------------------------------------------------------------ ledger */

const seqAt = (db: DbOrTx, query: ReturnType<typeof sql>) => db.get<{ seq: number | null }>(query)?.seq ?? null;

/**
 * The missing chunks of a recording: how many, and the first `limit` ranges. Counted from the
 * ledger's counters and walked on the chunk index from the start, so the work and the answer
 * stay small whatever `expected` says, and a recording with no hole inside reads no chunk rows.
 */
export function gapsOf(
  db: DbOrTx,
  rec: Pick<Recording, 'id' | 'expectedChunks' | 'receivedChunks'>,
  limit = LISTED_GAP_RANGES,
): { gapCount: number; gaps: GapRange[] } {
  const id = rec.id;
  const highest = rec.receivedChunks > 0 ? (seqAt(db, sql`select max(seq) as seq from recording_chunks where recording_id = ${id}`) ?? -1) : -1;
  const upTo = rec.expectedChunks ?? highest + 1;
  const gapCount = Math.max(0, upTo - rec.receivedChunks);
  const gaps: GapRange[] = [];
  if (gapCount === 0 || limit <= 0) return { gapCount, gaps };
  // Seqs 0..highest all present: the only hole is the tail.
  if (highest + 1 === rec.receivedChunks) return { gapCount, gaps: [{ from: highest + 1, to: upTo - 1 }] };
  /** The first missing seq at or after `s`. */
  const missingFrom = (s: number) =>
    seqAt(db, sql`select 1 as seq from recording_chunks where recording_id = ${id} and seq = ${s}`) == null
      ? s
      : seqAt(
          db,
          sql`select c.seq + 1 as seq from recording_chunks c where c.recording_id = ${id} and c.seq >= ${s}
              and not exists (select 1 from recording_chunks d where d.recording_id = c.recording_id and d.seq = c.seq + 1)
              order by c.seq limit 1`,
        )!;
  let s = 0;
  while (gaps.length < limit) {
    const from = missingFrom(s);
    if (from >= upTo) break;
    const next = from > highest ? null : seqAt(db, sql`select min(seq) as seq from recording_chunks where recording_id = ${id} and seq > ${from}`);
    gaps.push({ from, to: (next ?? upTo) - 1 });
    if (next == null) break;
    s = next;
  }
  return { gapCount, gaps };
}

function ledgerEntries(db: Db, rows: Recording[]): LedgerEntry[] {
  return rows.map((rec) => ({
    recordingId: rec.id,
    examId: rec.examId,
    candidateId: rec.candidateId,
    track: rec.track,
    mimeType: rec.mimeType,
    startedAt: rec.startedAt,
    endedAt: rec.endedAt,
    expected: rec.expectedChunks,
    received: rec.receivedChunks,
    bytes: rec.receivedBytes,
    ...gapsOf(db, rec),
    complete: rec.completedAt != null,
    completedAt: rec.completedAt,
  }));
}

const ledgerEntry = (db: Db, rec: Recording) => ledgerEntries(db, [rec])[0]!;

/** A candidate's recordings in one exam with their ledger, for the staff of that candidate's room. */
export function candidateLedger({ db, caller, examId, candidateId }: StaffArgs & { examId: number; candidateId: number }) {
  assertCandidateEvidence(db, caller, { candidateId, examId });
  const rows = db
    .select()
    .from(recordings)
    .where(and(eq(recordings.examId, examId), eq(recordings.candidateId, candidateId)))
    .orderBy(asc(recordings.startedAt), asc(recordings.id))
    .all();
  return ledgerEntries(db, rows);
}

export type CandidateBacklog = {
  candidateId: number;
  name: string;
  recordings: number;
  /** Chunks announced but not received yet, over the recordings whose end is known. */
  pendingChunks: number;
  /** Recordings still running (or whose device has not said how many chunks it made). */
  open: number;
  receivedChunks: number;
  receivedBytes: number;
  /** Every recording ended and fully received (false while there is none). */
  complete: boolean;
};

/** Upload backlog per candidate of a room, for the invigilator's tiles. */
export function roomBacklog({ db, caller, roomId }: StaffArgs & { roomId: number }): CandidateBacklog[] {
  const { room } = assertRoom(db, caller, roomId);
  const regs = db
    .select({ candidateId: registrations.candidateId, name: users.name })
    .from(registrations)
    .innerJoin(users, eq(users.id, registrations.candidateId))
    .where(eq(registrations.roomId, roomId))
    .orderBy(asc(registrations.seat))
    .all();
  const recs = regs.length
    ? db
        .select()
        .from(recordings)
        .where(
          and(
            eq(recordings.examId, room.examId),
            inArray(
              recordings.candidateId,
              regs.map((r) => r.candidateId),
            ),
          ),
        )
        .all()
    : [];
  return regs.map(({ candidateId, name }) => {
    const mine = recs.filter((r) => r.candidateId === candidateId);
    return {
      candidateId,
      name,
      recordings: mine.length,
      pendingChunks: mine.reduce((n, r) => n + (r.expectedChunks != null ? r.expectedChunks - r.receivedChunks : 0), 0),
      open: mine.filter((r) => r.expectedChunks == null).length,
      receivedChunks: mine.reduce((n, r) => n + r.receivedChunks, 0),
      receivedBytes: mine.reduce((n, r) => n + r.receivedBytes, 0),
      complete: mine.length > 0 && mine.every((r) => r.completedAt != null),
    };
  });
}

/* ------------------------------------------------------------------ playback */

/**
 * The recording and its received chunks in order, for the staff of the candidate's room. A
 * candidate may know their recording exists (`recordings.mine`) but not download it.
 */
export function playbackOf({ db, caller, recordingId }: StaffArgs & { recordingId: number }) {
  const rec = db.select().from(recordings).where(eq(recordings.id, recordingId)).get();
  if (!rec) throw new AppError('NOT_FOUND', 'recordings.notFound');
  assertCandidateEvidence(db, caller, { candidateId: rec.candidateId, examId: rec.examId });
  const chunks = db
    .select({ seq: recordingChunks.seq, size: recordingChunks.size, path: recordingChunks.path })
    .from(recordingChunks)
    .where(eq(recordingChunks.recordingId, recordingId))
    .orderBy(asc(recordingChunks.seq))
    .all();
  return { recording: rec, chunks };
}
