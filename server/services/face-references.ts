import { and, count, eq, inArray, isNull } from 'drizzle-orm';
import sharp from 'sharp';
import type { Db, DbOrTx } from '@/db/client';
import { faceReferences, registrations, users } from '@/db/schema';
import type { UserCaller } from '../auth/caller';
import { AppError, type ErrorKey } from '../errors';
import { blobToDescriptor, descriptorToBlob } from '../face/descriptor';
import { faceEngine, type FaceAnalysis } from '../face/engine';
import { mayReadCandidatePhoto } from './access';
import { candidateOrThrow } from './admin/common';
import { audit } from './audit';

/**
 * Candidates' reference photos: the picture face login compares a live face with, and staff
 * hold beside the live camera. The descriptor is the server's, computed when the photo was
 * accepted. A photo is accepted only with exactly one face large enough to describe, and is
 * stored re-encoded (upright JPEG, at most 640 px, no metadata): whatever a camera or the
 * office's software wrote into the file (GPS, names, thumbnails) is neither kept nor served.
 */

/** Bytes as uploaded: an ID photo is tens of KB, a phone photo a few MB. */
export const PHOTO_MAX_BYTES = 5 * 1024 * 1024;
/** Pixels once decoded: a small PNG can declare a picture of gigabytes. */
export const PHOTO_MAX_PIXELS = 25_000_000;
/**
 * The face's longer side, as a share of the photo's shorter side and in pixels: below either, the
 * descriptor describes blur. An ID photo's face is about half the width.
 */
const MIN_FACE_SHARE = 0.25;
const MIN_FACE_PX = 80;
/** The stored photo's longer side: enough for a person to compare, small enough to send often. */
const STORED_SIDE = 640;
const FORMATS = new Set(['jpeg', 'png', 'webp']);

export type PhotoProblemKey = 'tooLarge' | 'tooManyPixels' | 'badImage' | 'noFace' | 'severalFaces' | 'faceTooSmall';
/** What is wrong with a photo: a message key (adminPhotos.problems.*) and its parameters. */
export type PhotoProblem = { key: PhotoProblemKey; params?: Record<string, number> };
export type PhotoCheck = { ok: true; photo: Buffer; descriptor: Float32Array } | { ok: false; problem: PhotoProblem };

/** The face engine as this service uses it (tests may pass their own). */
export type FaceAnalyzer = { analyze(image: Uint8Array): Promise<FaceAnalysis> };

const problem = (key: PhotoProblemKey, params?: Record<string, number>): PhotoCheck => ({ ok: false, problem: params ? { key, params } : { key } });

/** The decoded size from the header alone, or null when sharp cannot read it as one of our formats. */
async function imageSize(bytes: Uint8Array): Promise<{ width: number; height: number } | null> {
  try {
    const meta = await sharp(bytes).metadata();
    if (!meta.format || !FORMATS.has(meta.format) || !meta.width || !meta.height) return null;
    return { width: meta.width, height: meta.height };
  } catch {
    return null;
  }
}

/** Upright (EXIF orientation applied), at most STORED_SIDE, white behind transparency, no metadata. */
function reencode(bytes: Uint8Array) {
  return sharp(bytes, { failOn: 'error', limitInputPixels: PHOTO_MAX_PIXELS })
    .rotate()
    .resize(STORED_SIDE, STORED_SIDE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: '#ffffff' })
    .jpeg({ quality: 85 })
    .toBuffer();
}

/**
 * Judges one photo. A problem with the photo is an answer (`ok: false`), not an error; errors are
 * for the engine (busy, unavailable) and for face analysis switched off, where no photo can pass.
 */
export async function checkPhoto(bytes: Uint8Array, engine: FaceAnalyzer = faceEngine()): Promise<PhotoCheck> {
  if (bytes.length > PHOTO_MAX_BYTES) return problem('tooLarge', { max: PHOTO_MAX_BYTES / 1024 / 1024 });
  const size = await imageSize(bytes);
  if (!size) return problem('badImage');
  // Checked before anything decodes the pixels (the engine's worker would, first).
  if (size.width * size.height > PHOTO_MAX_PIXELS) return problem('tooManyPixels', { max: PHOTO_MAX_PIXELS / 1_000_000 });
  let analysis: FaceAnalysis;
  try {
    analysis = await engine.analyze(bytes);
  } catch (err) {
    if (err instanceof AppError && err.key === 'face.badImage') return problem('badImage');
    // The candidate-facing wording ("use password login") is wrong for the office.
    if (err instanceof AppError && err.key === 'face.off') throw new AppError('PRECONDITION_FAILED', 'adminPhotos.faceOff');
    throw err;
  }
  const { faces } = analysis;
  if (faces.length === 0) return problem('noFace');
  if (faces.length > 1) return problem('severalFaces', { count: faces.length });
  const face = faces[0]!;
  if (face.size < MIN_FACE_SHARE || Math.max(face.box[2], face.box[3]) < MIN_FACE_PX) {
    return problem('faceTooSmall', { share: Math.round(face.size * 100), min: MIN_FACE_SHARE * 100 });
  }
  // Without the description model there is nothing to match against later.
  if (!face.descriptor) throw new AppError('PRECONDITION_FAILED', 'adminPhotos.faceOff');
  let photo: Buffer;
  try {
    photo = await reencode(bytes);
  } catch {
    return problem('badImage');
  }
  return { ok: true, photo, descriptor: face.descriptor };
}

/** The message of a problem, for a refusal of the one photo being uploaded. */
const photoRefusal = (p: PhotoProblem) => new AppError('BAD_REQUEST', `adminPhotos.problems.${p.key}` as ErrorKey, p.params);

/** Inserts or replaces a candidate's reference (one row per candidate). */
function storeReference(
  tx: DbOrTx,
  row: { candidateId: number; photo: Buffer; descriptor: Buffer; source: 'import' | 'editor'; createdBy: number; createdAt: Date },
) {
  const { candidateId, ...rest } = row;
  tx.insert(faceReferences).values(row).onConflictDoUpdate({ target: faceReferences.candidateId, set: rest }).run();
}

/**
 * The candidate editor's upload: checks the photo (slow: face analysis) before the transaction,
 * then stores it in place of any earlier one. A bad photo is refused with its reason.
 */
export async function setReferencePhoto(opts: {
  db: Db;
  actorId: number;
  candidateId: number;
  bytes: Uint8Array;
  examId?: number;
  engine?: FaceAnalyzer;
  now?: Date;
}) {
  const { db, actorId, candidateId } = opts;
  const now = opts.now ?? new Date();
  // An unknown candidate is told at once, not after a face analysis.
  candidateOrThrow(db, candidateId);
  const check = await checkPhoto(opts.bytes, opts.engine);
  if (!check.ok) throw photoRefusal(check.problem);
  return db.transaction((tx) => {
    candidateOrThrow(tx, candidateId);
    const replaced = hasReferences({ db: tx, candidateIds: [candidateId] }).size > 0;
    storeReference(tx, {
      candidateId,
      photo: check.photo,
      descriptor: descriptorToBlob(check.descriptor),
      source: 'editor',
      createdBy: actorId,
      createdAt: now,
    });
    audit(tx, { actorId, action: 'photo.set', examId: opts.examId ?? null, candidateId, detail: { replaced, size: check.photo.length }, at: now });
    return { createdAt: now, replaced };
  });
}

/** Removes a candidate's reference photo; removing none is not an error (the page may be stale). */
export function removeReferencePhoto({ db, actorId, candidateId, examId }: { db: Db; actorId: number; candidateId: number; examId?: number }) {
  return db.transaction((tx) => {
    candidateOrThrow(tx, candidateId);
    const removed = tx.delete(faceReferences).where(eq(faceReferences.candidateId, candidateId)).run().changes > 0;
    if (removed) audit(tx, { actorId, action: 'photo.removed', examId: examId ?? null, candidateId });
    return { removed };
  });
}

/** The reference to match a face against, or null when the candidate has none. */
export function referenceOf({ db, candidateId }: { db: DbOrTx; candidateId: number }): { descriptor: Float32Array; photo: Buffer; createdAt: Date } | null {
  const row = db
    .select({ descriptor: faceReferences.descriptor, photo: faceReferences.photo, createdAt: faceReferences.createdAt })
    .from(faceReferences)
    .where(eq(faceReferences.candidateId, candidateId))
    .get();
  return row ? { descriptor: blobToDescriptor(row.descriptor), photo: row.photo, createdAt: row.createdAt } : null;
}

/**
 * Only the descriptor of the reference (never reads the photo): what face login and every exam
 * entry compare against, so a room entering at once does not read hundreds of JPEGs for nothing.
 */
export function referenceDescriptor({ db, candidateId }: { db: DbOrTx; candidateId: number }): Float32Array | null {
  const row = db.select({ descriptor: faceReferences.descriptor }).from(faceReferences).where(eq(faceReferences.candidateId, candidateId)).get();
  return row ? blobToDescriptor(row.descriptor) : null;
}

/** Which of these candidates have a reference photo (never reads the photos). */
export function hasReferences({ db, candidateIds }: { db: DbOrTx; candidateIds: readonly number[] }): Set<number> {
  const out = new Set<number>();
  const ids = [...new Set(candidateIds)];
  // Chunks keep each statement under SQLite's bound-parameter limit.
  for (let i = 0; i < ids.length; i += 500) {
    for (const r of db
      .select({ id: faceReferences.candidateId })
      .from(faceReferences)
      .where(inArray(faceReferences.candidateId, ids.slice(i, i + 500)))
      .all())
      out.add(r.id);
  }
  return out;
}

/** How many of an exam's candidates have no reference photo (they cannot log in by face). */
export function countWithoutReference({ db, examId }: { db: DbOrTx; examId: number }): number {
  return db
    .select({ n: count() })
    .from(registrations)
    .leftJoin(faceReferences, eq(faceReferences.candidateId, registrations.candidateId))
    .where(and(eq(registrations.examId, examId), isNull(faceReferences.candidateId)))
    .get()!.n;
}

/** What the candidate editor shows about the photo: where it came from, when, and who put it there. */
export function referenceStatus({ db, candidateId }: { db: DbOrTx; candidateId: number }) {
  candidateOrThrow(db, candidateId);
  const row = db
    .select({ source: faceReferences.source, createdAt: faceReferences.createdAt, createdBy: users.name })
    .from(faceReferences)
    .leftJoin(users, eq(users.id, faceReferences.createdBy))
    .where(eq(faceReferences.candidateId, candidateId))
    .get();
  return row ?? null;
}

/**
 * The photo for a caller who may see this candidate (access.mayReadCandidatePhoto), or null:
 * no photo and not yours read the same, so candidate ids cannot be probed.
 */
export function referencePhotoFor({ db, caller, candidateId }: { db: DbOrTx; caller: UserCaller; candidateId: number }): Buffer | null {
  if (!mayReadCandidatePhoto(db, caller, candidateId)) return null;
  return db.select({ photo: faceReferences.photo }).from(faceReferences).where(eq(faceReferences.candidateId, candidateId)).get()?.photo ?? null;
}
