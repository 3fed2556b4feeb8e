import { createHash, randomBytes } from 'node:crypto';
import { and, asc, count, desc, eq, gt, inArray, isNull, lt } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { faceAttemptFrames, faceAttempts, registrations, users, type FaceAttempt, type User } from '@/db/schema';
import type { StaffCaller } from '../auth/caller';
import { env } from '../env';
import { AppError } from '../errors';
import { blobToDescriptor, descriptorToBlob } from '../face/descriptor';
import { similarity } from '../face/similarity';
import { faceEngine, type FaceAnalysis, type FaceEngine } from '../face/engine';
import { identityScope, mayCheckIdentityOf } from './access';
import { audit } from './audit';
import { beginLoginAttempt, openSession } from './auth';
import { hasReferences, referenceDescriptor } from './face-references';

/** Frames a face login sends: enough to see a live person and to outvote one bad frame. */
export const FACE_FRAMES_MIN = 2;
export const FACE_FRAMES_MAX = 3;
/** A webcam JPEG at 640x480 is 30-80 KB; a bound well above that keeps the worker's input small. */
export const FACE_FRAME_MAX_BYTES = 400 * 1024;
/** The face box's share of the frame's shorter side below which it is too far away to judge. */
export const MIN_FACE_SIZE = 0.15;
/** Anti-spoof / liveness scores below this send the attempt to a person (when those models are on). */
export const LIVENESS_MIN = 0.5;
/** Refusals (by staff) after which the page sends the candidate to the support desk. */
export const REFUSALS_BEFORE_SUPPORT = 3;
/** The window refusals are counted in: one exam day. */
const REFUSALS_WINDOW_MS = 12 * 3600_000;
/** An approved attempt must be collected by its page within this time. */
const CLAIM_WITHIN_MS = 15 * 60_000;

/** Why an attempt was rejected outright (the page says how to do better). */
export type FaceRejectReason = 'noFace' | 'severalFaces' | 'tooSmall';
/** Why it went to a person, or was replaced by a newer one. */
export type FaceLoginReason = FaceRejectReason | 'belowThreshold' | 'liveness' | 'still' | 'fewFrames' | 'superseded';

const sha256 = (b: string | Uint8Array) => createHash('sha256').update(b).digest('hex');
const normalName = (s: string) => s.normalize('NFKC').replace(/\s+/g, '').toUpperCase();

/** The candidate a name and ID number stand for (both must agree), or null. */
function candidateByNameAndId(db: DbOrTx, name: string, idNumber: string): User | null {
  const user = db.select().from(users).where(eq(users.idNumber, idNumber.trim().toUpperCase())).get();
  if (!user || user.role !== 'candidate' || user.archivedAt || normalName(user.name) !== normalName(name)) return null;
  return user;
}

type Who = { db: Db; name: string; idNumber: string; client?: string; now?: Date };

/**
 * The first step of face login: do this name and ID number belong to a candidate who has a
 * reference photo? A wrong pair counts against the same throttles as a wrong password; a right
 * one counts as neither failure nor success (it proves nothing about the person at the camera).
 */
export function faceLoginAvailability({ db, name, idNumber, client = 'unknown', now = new Date() }: Who) {
  const attempt = beginLoginAttempt({ db, subject: `candidate:${idNumber.trim().toUpperCase()}`, client, now });
  const user = candidateByNameAndId(db, name, idNumber);
  if (!user) return attempt.refuse('face.notFound');
  attempt.forget();
  if (!faceEngine().enabled || !env.FACE_MODELS.description) return { available: false as const, reason: 'off' as const };
  if (!hasReferences({ db, candidateIds: [user.id] }).has(user.id)) return { available: false as const, reason: 'noReference' as const };
  return { available: true as const };
}

type FrameVerdict = {
  faces: number;
  similarity: number | null;
  descriptor: Float32Array | null;
  usable: boolean;
  problem: FaceLoginReason | null;
  live: boolean;
};

function judgeFrame(a: FaceAnalysis, reference: Float32Array): FrameVerdict {
  const base = { faces: a.faces.length, similarity: null, descriptor: null, usable: false, live: true };
  if (a.faces.length === 0) return { ...base, problem: 'noFace' };
  if (a.faces.length > 1) return { ...base, problem: 'severalFaces' };
  const f = a.faces[0]!;
  if (f.size < MIN_FACE_SIZE) return { ...base, problem: 'tooSmall' };
  if (!f.descriptor) return { ...base, problem: 'noFace' };
  const live = (f.real == null || f.real >= LIVENESS_MIN) && (f.live == null || f.live >= LIVENESS_MIN);
  return { faces: 1, similarity: similarity(reference, f.descriptor), descriptor: f.descriptor, usable: true, problem: null, live };
}

/**
 * The decision, on the server's own analysis of the frames (the page's view is never asked):
 * - a frame with two people, or no usable face at all: rejected, try again (never queued);
 * - the second-best usable frame at or above FACE_MATCH_THRESHOLD, every frame live, frames not
 *   all the same picture: accepted;
 * - anything else: a person decides (the identity check queue).
 * One lucky frame never lets someone in: with two or more usable frames the second best counts.
 */
export function decideFaceLogin(verdicts: FrameVerdict[], frameHashes: string[], threshold = env.FACE_MATCH_THRESHOLD) {
  const usable = verdicts.filter((v) => v.usable);
  const best = [...usable].sort((a, b) => b.similarity! - a.similarity!);
  const score = best.length ? best[Math.min(1, best.length - 1)]!.similarity! : null;
  const descriptor = best[0]?.descriptor ?? null;
  const result = (status: 'accepted' | 'pending' | 'rejected', reason: FaceLoginReason | null) => ({ status, reason, similarity: score, descriptor });
  if (verdicts.some((v) => v.problem === 'severalFaces')) return result('rejected', 'severalFaces');
  if (!usable.length) return result('rejected', verdicts.find((v) => v.problem === 'tooSmall') ? 'tooSmall' : 'noFace');
  if (usable.some((v) => !v.live)) return result('pending', 'liveness');
  // A camera never sends the same bytes twice; a replayed picture does.
  if (new Set(frameHashes).size < frameHashes.length) return result('pending', 'still');
  if (usable.length < FACE_FRAMES_MIN) return result('pending', 'fewFrames');
  return score! >= threshold ? result('accepted', null) : result('pending', 'belowThreshold');
}

type FaceLoginInput = Who & { frames: Uint8Array[]; engine?: FaceEngine; threshold?: number };

/**
 * A face login: the frames are analysed here and compared with the reference photo's
 * descriptor. Accepted: a session. Pending: the attempt waits in the identity check queue and the
 * page holds a secret to collect the session once a person approves. Rejected: the page asks
 * for another try. Every attempt is stored with its frames.
 */
export async function faceLogin({ db, name, idNumber, frames, client = 'unknown', now = new Date(), engine = faceEngine(), threshold }: FaceLoginInput) {
  if (frames.length < FACE_FRAMES_MIN || frames.length > FACE_FRAMES_MAX)
    throw new AppError('BAD_REQUEST', 'face.frameCount', { min: FACE_FRAMES_MIN, max: FACE_FRAMES_MAX });
  if (frames.some((f) => f.length > FACE_FRAME_MAX_BYTES)) throw new AppError('BAD_REQUEST', 'face.frameTooLarge', { maxKb: FACE_FRAME_MAX_BYTES / 1024 });
  const attempt = beginLoginAttempt({ db, subject: `candidate:${idNumber.trim().toUpperCase()}`, client, now });
  const user = candidateByNameAndId(db, name, idNumber);
  if (!user) return attempt.refuse('face.notFound');
  if (!engine.enabled || !env.FACE_MODELS.description) throw new AppError('PRECONDITION_FAILED', 'face.off');
  const reference = referenceDescriptor({ db, candidateId: user.id });
  if (!reference) throw new AppError('PRECONDITION_FAILED', 'face.noReference');

  // One after another: the engine has one worker, and a candidate's frames should not jump a queue.
  const verdicts: FrameVerdict[] = [];
  for (const frame of frames) verdicts.push(judgeFrame(await engine.analyze(frame), reference));
  const decision = decideFaceLogin(
    verdicts,
    frames.map((f) => sha256(f)),
    threshold,
  );

  const secret = randomBytes(24).toString('base64url');
  const stored = db.transaction((tx) => {
    // A newer attempt replaces a waiting one: staff should not judge a picture the candidate gave up on.
    tx.update(faceAttempts)
      .set({ status: 'rejected', reason: 'superseded' })
      .where(and(eq(faceAttempts.candidateId, user.id), eq(faceAttempts.status, 'pending')))
      .run();
    const row = tx
      .insert(faceAttempts)
      .values({
        candidateId: user.id,
        status: decision.status,
        similarity: decision.similarity,
        descriptor: decision.descriptor ? descriptorToBlob(decision.descriptor) : null,
        reason: decision.reason,
        secretHash: sha256(secret),
        claimedAt: decision.status === 'accepted' ? now : null,
        client: client.slice(0, 100),
        createdAt: now,
      })
      .returning()
      .get();
    // The attempt is on the audit log too, by the candidate, beside the staff decisions on it.
    audit(tx, {
      actorId: user.id,
      action: `face_login.${decision.status}`,
      candidateId: user.id,
      detail: { attemptId: row.id, similarity: decision.similarity, reason: decision.reason },
      at: now,
    });
    frames.forEach((jpeg, idx) =>
      tx
        .insert(faceAttemptFrames)
        .values({ attemptId: row.id, idx, jpeg: Buffer.from(jpeg), faces: verdicts[idx]!.faces, similarity: verdicts[idx]!.similarity })
        .run(),
    );
    return row;
  });

  if (decision.status === 'accepted') {
    return { status: 'accepted' as const, attemptId: stored.id, session: openSession({ db, user, attemptIds: attempt.ids, now }) };
  }
  if (decision.status === 'pending') return { status: 'pending' as const, attemptId: stored.id, secret, reason: decision.reason! };
  return { status: 'rejected' as const, attemptId: stored.id, reason: decision.reason as FaceRejectReason };
}

function refusalsOf(db: DbOrTx, candidateId: number, now: Date) {
  return (
    db
      .select({ n: count() })
      .from(faceAttempts)
      .where(
        and(
          eq(faceAttempts.candidateId, candidateId),
          eq(faceAttempts.status, 'refused'),
          gt(faceAttempts.createdAt, new Date(now.getTime() - REFUSALS_WINDOW_MS)),
        ),
      )
      .get()?.n ?? 0
  );
}

/**
 * What the waiting page learns about its attempt (by the secret only it holds). Approved: the
 * session, handed out once. Refused: how many refusals today, so the page can send the candidate
 * to the support desk after REFUSALS_BEFORE_SUPPORT.
 */
export function faceAttemptOutcome({ db, attemptId, secret, now = new Date() }: { db: Db; attemptId: number; secret: string; now?: Date }) {
  const row = db
    .select()
    .from(faceAttempts)
    .where(and(eq(faceAttempts.id, attemptId), eq(faceAttempts.secretHash, sha256(secret))))
    .get();
  if (!row) throw new AppError('NOT_FOUND', 'face.attemptGone');
  if (row.status === 'pending') return { status: 'pending' as const, ahead: queueAhead(db, row) };
  if (row.status === 'refused') {
    const refusals = refusalsOf(db, row.candidateId, now);
    return { status: 'refused' as const, note: row.decisionNote, refusals, callSupport: refusals >= REFUSALS_BEFORE_SUPPORT };
  }
  if (row.status !== 'approved' || row.claimedAt || !row.decidedAt || now.getTime() - row.decidedAt.getTime() > CLAIM_WITHIN_MS) {
    throw new AppError('NOT_FOUND', 'face.attemptGone');
  }
  // Claimed once: two polls racing get one session between them.
  const claimed = db
    .update(faceAttempts)
    .set({ claimedAt: now })
    .where(and(eq(faceAttempts.id, row.id), isNull(faceAttempts.claimedAt)))
    .run().changes;
  const user = db.select().from(users).where(eq(users.id, row.candidateId)).get();
  if (!claimed || !user || user.archivedAt) throw new AppError('NOT_FOUND', 'face.attemptGone');
  return { status: 'approved' as const, session: openSession({ db, user, now }) };
}

/** Attempts waiting longer than this one: the page's "n people ahead of you". */
const queueAhead = (db: DbOrTx, row: FaceAttempt) =>
  db
    .select({ n: count() })
    .from(faceAttempts)
    .where(and(eq(faceAttempts.status, 'pending'), lt(faceAttempts.id, row.id)))
    .get()?.n ?? 0;

/* ------------------------------------------------------------------ the identity check queue (staff) */

/** The waiting attempts a staff member may decide, oldest first, with what they need to judge. */
export function identityQueue({ db, caller, limit = 50 }: { db: Db; caller: StaffCaller; limit?: number }) {
  const scope = identityScope(db, caller);
  if (!scope.all && !scope.candidateIds.length) return [];
  const rows = db
    .select({
      id: faceAttempts.id,
      candidateId: faceAttempts.candidateId,
      name: users.name,
      idNumber: users.idNumber,
      similarity: faceAttempts.similarity,
      reason: faceAttempts.reason,
      createdAt: faceAttempts.createdAt,
    })
    .from(faceAttempts)
    .innerJoin(users, eq(users.id, faceAttempts.candidateId))
    .where(and(eq(faceAttempts.status, 'pending'), scope.all ? undefined : inArray(faceAttempts.candidateId, scope.candidateIds)))
    .orderBy(asc(faceAttempts.id))
    .limit(limit)
    .all();
  const frames = rows.length
    ? db
        .select({
          attemptId: faceAttemptFrames.attemptId,
          idx: faceAttemptFrames.idx,
          faces: faceAttemptFrames.faces,
          similarity: faceAttemptFrames.similarity,
        })
        .from(faceAttemptFrames)
        .where(
          inArray(
            faceAttemptFrames.attemptId,
            rows.map((r) => r.id),
          ),
        )
        .orderBy(asc(faceAttemptFrames.attemptId), asc(faceAttemptFrames.idx))
        .all()
    : [];
  return rows.map((r) => ({
    ...r,
    threshold: env.FACE_MATCH_THRESHOLD,
    refusals: refusalsOf(db, r.candidateId, new Date()),
    frames: frames.filter((f) => f.attemptId === r.id).map(({ idx, faces, similarity }) => ({ idx, faces, similarity })),
  }));
}

/** How many attempts wait for this staff member (the badge on the navigation's "identity checks"). */
export function identityQueueSize({ db, caller }: { db: Db; caller: StaffCaller }) {
  const scope = identityScope(db, caller);
  if (!scope.all && !scope.candidateIds.length) return 0;
  return (
    db
      .select({ n: count() })
      .from(faceAttempts)
      .where(and(eq(faceAttempts.status, 'pending'), scope.all ? undefined : inArray(faceAttempts.candidateId, scope.candidateIds)))
      .get()?.n ?? 0
  );
}

/** A person's decision on a waiting attempt: once, by staff who may check that candidate, audited. */
export function decideIdentity({
  db,
  caller,
  attemptId,
  approve,
  note,
  now = new Date(),
}: {
  db: Db;
  caller: StaffCaller;
  attemptId: number;
  approve: boolean;
  note?: string | null;
  now?: Date;
}) {
  return db.transaction((tx) => {
    const row = tx.select().from(faceAttempts).where(eq(faceAttempts.id, attemptId)).get();
    if (!row || !mayCheckIdentityOf(tx, caller, row.candidateId)) throw new AppError('NOT_FOUND', 'face.attemptNotFound');
    if (row.status !== 'pending') throw new AppError('CONFLICT', 'face.alreadyDecided');
    tx.update(faceAttempts)
      .set({ status: approve ? 'approved' : 'refused', decidedBy: caller.id, decidedAt: now, decisionNote: note ?? null })
      .where(eq(faceAttempts.id, row.id))
      .run();
    audit(tx, {
      actorId: caller.id,
      action: approve ? 'identity.approved' : 'identity.refused',
      candidateId: row.candidateId,
      detail: { attemptId: row.id, similarity: row.similarity, reason: row.reason, note: note ?? null },
      at: now,
    });
    return { status: approve ? ('approved' as const) : ('refused' as const) };
  });
}

/** One frame of an attempt, for staff who may check that candidate; null otherwise (404 either way). */
export function attemptFrame({ db, caller, attemptId, idx }: { db: Db; caller: StaffCaller; attemptId: number; idx: number }) {
  const row = db.select({ candidateId: faceAttempts.candidateId }).from(faceAttempts).where(eq(faceAttempts.id, attemptId)).get();
  if (!row || !mayCheckIdentityOf(db, caller, row.candidateId)) return null;
  return (
    db
      .select({ jpeg: faceAttemptFrames.jpeg })
      .from(faceAttemptFrames)
      .where(and(eq(faceAttemptFrames.attemptId, attemptId), eq(faceAttemptFrames.idx, idx)))
      .get()?.jpeg ?? null
  );
}

/** The descriptor of the candidate's latest face login today, for the exam page's identity signal. */
export function loginBaseline({ db, candidateId, now = new Date() }: { db: DbOrTx; candidateId: number; now?: Date }) {
  const row = db
    .select({ descriptor: faceAttempts.descriptor })
    .from(faceAttempts)
    .where(
      and(
        eq(faceAttempts.candidateId, candidateId),
        inArray(faceAttempts.status, ['accepted', 'approved']),
        gt(faceAttempts.createdAt, new Date(now.getTime() - REFUSALS_WINDOW_MS)),
      ),
    )
    .orderBy(desc(faceAttempts.id))
    .get();
  return row?.descriptor ? Array.from(blobToDescriptor(row.descriptor)) : null;
}
