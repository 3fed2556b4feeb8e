import { and, eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { recordings, registrations, type PlacedRegistration, type Recording, type RecordingTrack } from '@/db/schema';
import { AppError } from '../errors';
import { SESSION_COOKIE, userFromSession } from './auth';
import { PHONE_SESSION_COOKIE, phoneDeviceFromCookie } from './phone';
import { assertRoomAccess } from './rooms';

/** The httpOnly cookie of a bound phone (set by the phone binding flow). */
export const PHONE_COOKIE = PHONE_SESSION_COOKIE;

/**
 * A device allowed to record for a candidate: their PC (the candidate's own login session) or
 * their bound phone (a device session, not a login), which may only record the witness track
 * of the exam it was bound for.
 */
export type Recorder =
  | { kind: 'pc'; candidateId: number }
  | { kind: 'phone'; candidateId: number; examId: number; deviceId: number };

/**
 * Every recorder the request's cookies vouch for. A browser may carry both (a phone that is
 * also logged in as the candidate); each recording is then checked against the one that fits.
 */
export function recordersFrom({
  db,
  user,
  sessionToken,
  phoneCookie,
}: {
  db: Db;
  /** Already resolved from the session, when the caller has it. */
  user?: { id: number; role: string } | null;
  sessionToken?: string;
  phoneCookie?: string;
}): Recorder[] {
  const out: Recorder[] = [];
  const u = user !== undefined ? user : sessionToken ? userFromSession({ db, token: sessionToken }) : null;
  if (u?.role === 'candidate') out.push({ kind: 'pc', candidateId: u.id });
  const phone = phoneCookie ? phoneDeviceFromCookie(db, phoneCookie) : null;
  if (phone) out.push({ kind: 'phone', candidateId: phone.candidateId, examId: phone.examId, deviceId: phone.deviceId });
  return out;
}

/** Screen and camera come from the PC, the witness camera from the phone: never the other way. */
export const recorderMayRecord = (r: Recorder, rec: { candidateId: number; examId: number; track: RecordingTrack }) =>
  r.candidateId === rec.candidateId && (r.kind === 'pc' ? rec.track !== 'witness' : rec.track === 'witness' && rec.examId === r.examId);

/** A candidate sees all their recordings; a phone only the witness recordings of its exam. */
export const recorderMaySee = (r: Recorder, rec: { candidateId: number; examId: number; track: RecordingTrack }) =>
  r.kind === 'pc' ? r.candidateId === rec.candidateId : recorderMayRecord(r, rec);

/**
 * Row-level: the recording exists and one of the recorders may write to it. Missing and
 * someone else's read the same, so recording ids cannot be probed.
 */
export function assertWritableRecording(db: Db, recorders: Recorder[], recordingId: number): Recording {
  const rec = db.select().from(recordings).where(eq(recordings.id, recordingId)).get();
  if (!rec || !recorders.some((r) => recorderMayRecord(r, rec))) throw new AppError('NOT_FOUND', 'recordings.notFound');
  return rec;
}

/** The candidate's registration (and so their room) for an exam, or NOT_FOUND. */
export function registrationFor(db: Db, candidateId: number, examId: number) {
  const reg = db
    .select()
    .from(registrations)
    .where(and(eq(registrations.candidateId, candidateId), eq(registrations.examId, examId)))
    .get();
  if (!reg || reg.roomId == null) throw new AppError('NOT_FOUND', 'recordings.notRegistered');
  return reg as PlacedRegistration;
}

/**
 * Staff of the candidate's exam room: invigilators assigned to that room, the exam's chief
 * invigilator, admins. Support agents and other rooms' invigilators are refused.
 */
export function assertCandidateStaff({ db, userId, role, candidateId, examId }: { db: Db; userId: number; role: string; candidateId: number; examId: number }) {
  if (role !== 'admin' && role !== 'invigilator') throw new AppError('FORBIDDEN', 'recordings.staffOnly');
  const reg = registrationFor(db, candidateId, examId);
  assertRoomAccess({ db, userId, role, roomId: reg.roomId });
  return reg;
}
