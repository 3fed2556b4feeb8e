import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '@/db/client';
import { recordings, type Recording } from '@/db/schema';
import { env } from '../env';
import { checkChunk, recordChunk, storedChunk, type ChunkOutcome } from './recordings';
import { assertWritableRecording, type Recorder } from './access';
import { chunkRelPath, fileDigest, placeFile, removeQuietly } from './recordings-files';
import { assertUploadOpen, sittingOf, withinQuota } from './recordings-limits';
import { announceProgress } from './recordings-progress';

/**
 * Chunk uploads, the domain side: whether an upload may be created, whose it is, and filing a
 * fully received chunk in the ledger. The transport (tus, HTTP statuses, the caller's language)
 * is in server/http/recordings-upload.ts.
 */

const digits = (max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/)
    .transform(Number)
    .pipe(z.number().int().min(0).max(max));

/** tus Upload-Metadata of a chunk; other keys (filename, filetype) are ignored. */
export const ZChunkMeta = z.object({
  recordingId: digits(2 ** 31).pipe(z.number().min(1)),
  seq: digits(10_000_000),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/)
    .transform((s) => s.toLowerCase()),
  offsetMs: digits(7 * 24 * 60 * 60 * 1000).optional(),
});
export type TChunkMeta = z.infer<typeof ZChunkMeta>;

/**
 * Why an upload is refused, beyond the ledger's own AppErrors: the kind picks the transport's
 * answer (`damaged` is tus' checksum mismatch, which the client sends again), the key the message.
 */
export type ChunkRefusalKind = 'invalid' | 'tooLarge' | 'damaged' | 'notFound';

export class ChunkRefusal {
  constructor(
    readonly kind: ChunkRefusalKind,
    readonly key: string,
    readonly params: Record<string, string | number> = {},
  ) {}
}

export type UploadLimits = {
  /** The largest chunk accepted. */
  maxChunkBytes: number;
  /** Bytes one candidate may store per exam (RECORDING_QUOTA_BYTES). */
  quotaBytes?: number;
};

const quotaRefusal = (quotaBytes: number) => new ChunkRefusal('tooLarge', 'recordings.quotaExceeded', { max: Math.floor(quotaBytes / (1024 * 1024)) });

export function parseChunkMeta(raw: Record<string, string | null | undefined> | null | undefined): TChunkMeta | null {
  const meta = ZChunkMeta.safeParse(raw ?? {});
  return meta.success ? meta.data : null;
}

/**
 * A new upload: refused before any byte is stored unless its length fits, the recording is one
 * the recorders may write, uploads for the exam are still open, the seq is new (or the same
 * bytes again) and within the recording, and the candidate's quota holds the new bytes.
 */
export function admitUpload({
  db,
  recorders,
  meta,
  length,
  maxChunkBytes,
  quotaBytes = env.RECORDING_QUOTA_BYTES,
  now = new Date(),
}: UploadLimits & { db: Db; recorders: Recorder[]; meta: TChunkMeta | null; length: number; now?: Date }) {
  if (length > maxChunkBytes) throw new ChunkRefusal('tooLarge', 'recordings.tooLarge', { max: maxChunkBytes });
  if (!meta) throw new ChunkRefusal('invalid', 'recordings.badMetadata');
  const rec = assertWritableRecording(db, recorders, meta.recordingId);
  assertUploadOpen(sittingOf(db, rec.candidateId, rec.examId), now);
  // A conflicting duplicate or a seq past the end is refused now, not after the upload.
  if (checkChunk(db, rec, meta.seq, meta.sha256) === 'new' && !withinQuota(db, rec, length, quotaBytes)) throw quotaRefusal(quotaBytes);
}

/** An existing upload (resume, offset query, termination): it must be for one of the recorders' recordings. */
export function assertUploadOwner(db: Db, recorders: Recorder[], meta: TChunkMeta | null): Recording {
  if (!meta) throw new ChunkRefusal('notFound', 'recordings.notFound');
  return assertWritableRecording(db, recorders, meta.recordingId);
}

/**
 * All bytes of an upload arrived but its chunk is not in the ledger (the server stopped in
 * between): it must be filed (or dropped), never reported as delivered.
 */
export const needsFiling = (db: Db, meta: TChunkMeta, upload: { offset: number; size?: number }) =>
  upload.size !== undefined && upload.offset === upload.size && storedChunk(db, meta.recordingId, meta.seq)?.sha256 !== meta.sha256;

/**
 * Verifies a fully received chunk (its temp file) and files it in the ledger. Throws a
 * ChunkRefusal or an AppError to refuse; the caller then removes the upload.
 */
export async function fileChunk({
  db,
  dataDir,
  tempFile,
  meta,
  size,
  quotaBytes = env.RECORDING_QUOTA_BYTES,
}: {
  db: Db;
  /** Recordings go to `<dataDir>/recordings/…`. */
  dataDir: string;
  tempFile: string;
  meta: TChunkMeta | null;
  /** The length announced at creation. */
  size: number | undefined;
  quotaBytes?: number;
}): Promise<ChunkOutcome> {
  if (!meta) throw new ChunkRefusal('invalid', 'recordings.badMetadata');
  const { recordingId, seq, sha256, offsetMs } = meta;
  const digest = await fileDigest(tempFile);
  if (digest.size !== size) throw new ChunkRefusal('damaged', 'recordings.sizeMismatch', { seq });
  if (digest.sha256 !== sha256) throw new ChunkRefusal('damaged', 'recordings.hashMismatch', { seq });
  // From here to the ledger write nothing awaits: no other upload of this process interleaves.
  const rec = db.select().from(recordings).where(eq(recordings.id, recordingId)).get();
  if (!rec) throw new ChunkRefusal('notFound', 'recordings.notFound');
  // A conflicting duplicate or a seq past the end throws an AppError, answered as a refusal.
  if (checkChunk(db, rec, seq, sha256) === 'duplicate') return 'duplicate';
  // Checked at creation too; uploads created side by side are held to the quota here.
  if (!withinQuota(db, rec, digest.size, quotaBytes)) throw quotaRefusal(quotaBytes);
  const rel = chunkRelPath(rec, seq);
  const finalFile = path.join(dataDir, rel);
  if (!placeFile(tempFile, finalFile)) {
    // No row names this file (checked above), so it is left from an attempt that died between
    // placing it and writing its row: it is nobody's, replace it.
    fs.rmSync(finalFile, { force: true });
    placeFile(tempFile, finalFile);
  }
  let outcome: ChunkOutcome;
  try {
    outcome = recordChunk({ db, rec, seq, size: digest.size, sha256, offsetMs: offsetMs ?? null, path: rel });
  } catch (err) {
    if (storedChunk(db, rec.id, seq)?.path !== rel) removeQuietly(finalFile);
    throw err;
  }
  announceProgress(db, rec.id);
  return outcome;
}
