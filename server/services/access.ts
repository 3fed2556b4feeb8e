import { and, eq, inArray } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import {
  chiefInvigilators,
  examAttachments,
  examRooms,
  exams,
  incidents,
  invigilatorAssignments,
  recordings,
  registrations,
  type ExamAttachment,
  type HelpThread,
  type PlacedRegistration,
  type Recording,
  type RecordingTrack,
  users,
} from '@/db/schema';
import type { Caller, PhoneCaller, StaffCaller, UserCaller } from '../auth/caller';
import { AppError, type ErrorKey } from '../errors';

/**
 * Every scope rule in one place: which rooms, exams, candidates, threads, recordings and
 * attachments a caller may reach. Roles are checked before this, in the tRPC procedure
 * builders; this module answers the row-level question. Services ask it and decide nothing
 * about access themselves.
 *
 * The rules:
 * - admin: everything.
 * - invigilator: the rooms assigned to them, and every room of an exam they are chief of. A
 *   candidate is reached only through a room (so only for that room's exam): a staff member who
 *   also holds another exam the candidate sits gets nothing more from that.
 * - support: help threads (all of them, the 400 line is one queue), the candidates of those
 *   threads, every candidate's reference photo, notice files; no room, no recording, no question
 *   sheet before the start.
 * - candidate: their own registrations, threads, recordings, and their exams' files (sheet
 *   images from the start time).
 * - phone: the witness recordings of the one exam it was bound for.
 */

export type RoomScope = { all: true } | { all: false; roomIds: Set<number> };

/** The rooms a caller works in (staff; anyone else works in none). */
export function roomScope(db: DbOrTx, caller: Pick<UserCaller, 'id' | 'role'>): RoomScope {
  if (caller.role === 'admin') return { all: true };
  if (caller.role !== 'invigilator') return { all: false, roomIds: new Set() };
  const assigned = db.select({ id: invigilatorAssignments.roomId }).from(invigilatorAssignments).where(eq(invigilatorAssignments.userId, caller.id)).all();
  const chief = db
    .select({ id: examRooms.id })
    .from(chiefInvigilators)
    .innerJoin(examRooms, eq(examRooms.examId, chiefInvigilators.examId))
    .where(eq(chiefInvigilators.userId, caller.id))
    .all();
  return { all: false, roomIds: new Set([...assigned, ...chief].map((r) => r.id)) };
}

export const inRoomScope = (scope: RoomScope, roomId: number | null | undefined) => scope.all || (roomId != null && scope.roomIds.has(roomId));

/** The exam's chief invigilator (admins are not chiefs; they pass `assertChief` by role). */
export function isChief(db: DbOrTx, caller: Pick<UserCaller, 'id'>, examId: number) {
  return !!db
    .select({ examId: chiefInvigilators.examId })
    .from(chiefInvigilators)
    .where(and(eq(chiefInvigilators.examId, examId), eq(chiefInvigilators.userId, caller.id)))
    .get();
}

/** Whole-exam actions (the chief overview, exam-wide messages, presets): admins and the exam's chief. */
export function assertChief(db: DbOrTx, caller: StaffCaller, examId: number, refusal: ErrorKey = 'invigilate.notChief') {
  if (caller.role !== 'admin' && !isChief(db, caller, examId)) throw new AppError('FORBIDDEN', refusal);
}

/** The room and its exam, if the caller works in it. */
export function assertRoom(db: DbOrTx, caller: Pick<UserCaller, 'id' | 'role'>, roomId: number) {
  const row = db
    .select({ room: examRooms, exam: exams })
    .from(examRooms)
    .innerJoin(exams, eq(exams.id, examRooms.examId))
    .where(eq(examRooms.id, roomId))
    .get();
  if (!row) throw new AppError('NOT_FOUND', 'room.notFound');
  if (caller.role === 'admin') return row;
  const assigned =
    caller.role === 'invigilator' &&
    !!db
      .select({ roomId: invigilatorAssignments.roomId })
      .from(invigilatorAssignments)
      .where(and(eq(invigilatorAssignments.roomId, roomId), eq(invigilatorAssignments.userId, caller.id)))
      .get();
  if (!assigned && !(caller.role === 'invigilator' && isChief(db, caller, row.exam.id))) {
    throw new AppError('FORBIDDEN', 'room.notAssigned');
  }
  return row;
}

/** An incident (many candidates lost at once) with its room and exam, if the caller works in that room. */
export function assertIncident(db: DbOrTx, caller: StaffCaller, incidentId: number) {
  const incident = db.select().from(incidents).where(eq(incidents.id, incidentId)).get();
  if (!incident) throw new AppError('NOT_FOUND', 'incidents.notFound');
  return { incident, ...assertRoom(db, caller, incident.roomId) };
}

/**
 * A staff action on one candidate: through a room the caller works in, where the candidate
 * sits. The registration returned is that room's, so the action lands on that exam only.
 */
export function assertCandidateInRoom(db: DbOrTx, caller: StaffCaller, { roomId, candidateId }: { roomId: number; candidateId: number }) {
  const { room, exam } = assertRoom(db, caller, roomId);
  const reg = db
    .select()
    .from(registrations)
    .where(and(eq(registrations.roomId, roomId), eq(registrations.candidateId, candidateId)))
    .get();
  if (!reg) throw new AppError('NOT_FOUND', 'invigilate.candidateNotInRoom');
  return { room, exam, reg: reg as PlacedRegistration };
}

/** The candidate's placed registration for an exam, or NOT_FOUND. */
export function placedRegistration(db: DbOrTx, candidateId: number, examId: number) {
  const reg = db
    .select()
    .from(registrations)
    .where(and(eq(registrations.candidateId, candidateId), eq(registrations.examId, examId)))
    .get();
  if (!reg || reg.roomId == null) throw new AppError('NOT_FOUND', 'recordings.notRegistered');
  return reg as PlacedRegistration;
}

/**
 * Evidence about a candidate in an exam (recordings, the upload ledger): the staff of the room
 * the candidate sits in for that exam. Support agents are refused.
 */
export function assertCandidateEvidence(db: DbOrTx, caller: StaffCaller, { candidateId, examId }: { candidateId: number; examId: number }) {
  if (caller.role === 'support') throw new AppError('FORBIDDEN', 'recordings.staffOnly');
  const reg = placedRegistration(db, candidateId, examId);
  assertRoom(db, caller, reg.roomId);
  return reg;
}

/** A help thread: its candidate; support and admins; invigilators of its room. */
export function mayReadThread(db: DbOrTx, caller: UserCaller, thread: Pick<HelpThread, 'candidateId' | 'roomId'>) {
  if (caller.role === 'candidate') return thread.candidateId === caller.id;
  if (caller.role === 'invigilator') return inRoomScope(roomScope(db, caller), thread.roomId);
  return true;
}

/**
 * A candidate's reference photo (face login matches against it; staff compare it with the live
 * camera and in the identity check queue): admins and support agents, who answer for every
 * candidate (the 400 line is one queue); invigilators for the candidates placed in their rooms,
 * in any exam (the photo is the person's, not the exam's). Never a candidate, not even for their
 * own: nothing on their side needs it, and whoever holds a candidate's session should not get
 * the picture a face login is matched against.
 */
export function mayReadCandidatePhoto(db: DbOrTx, caller: UserCaller, candidateId: number) {
  return mayCheckIdentityOf(db, caller, candidateId);
}

/**
 * The candidates whose identity a staff member checks (their photo, their face login attempts
 * and frames, the identity check queue): support agents and admins everyone (the 400 line is one
 * queue), an invigilator the candidates placed in their rooms, in any exam (the face is the
 * person's, not the exam's). Nobody else.
 */
export function identityScope(db: DbOrTx, caller: Pick<UserCaller, 'id' | 'role'>): { all: true } | { all: false; candidateIds: number[] } {
  if (caller.role === 'admin' || caller.role === 'support') return { all: true };
  if (caller.role !== 'invigilator') return { all: false, candidateIds: [] };
  const scope = roomScope(db, caller);
  if (scope.all) return { all: true };
  if (!scope.roomIds.size) return { all: false, candidateIds: [] };
  const rows = db
    .selectDistinct({ id: registrations.candidateId })
    .from(registrations)
    .where(inArray(registrations.roomId, [...scope.roomIds]))
    .all();
  return { all: false, candidateIds: rows.map((r) => r.id) };
}

export function mayCheckIdentityOf(db: DbOrTx, caller: Pick<UserCaller, 'id' | 'role'>, candidateId: number) {
  const scope = identityScope(db, caller);
  return scope.all || scope.candidateIds.includes(candidateId);
}

/** Exams a staff member works in: admins all, invigilators those with a room of theirs. */
function worksInExam(db: DbOrTx, caller: Pick<UserCaller, 'id' | 'role'>, examId: number) {
  if (caller.role === 'admin') return true;
  if (caller.role !== 'invigilator') return false;
  const scope = roomScope(db, caller);
  if (scope.all) return true;
  const rooms = db.select({ id: examRooms.id }).from(examRooms).where(eq(examRooms.examId, examId)).all();
  return rooms.some((r) => scope.roomIds.has(r.id));
}

/** Exam-wide staff tools (preset messages): admins, the chief, invigilators of one of its rooms. */
export function assertExamStaff(db: DbOrTx, caller: StaffCaller, examId: number) {
  if (!db.select({ id: exams.id }).from(exams).where(eq(exams.id, examId)).get()) throw new AppError('NOT_FOUND', 'invigilate.examNotFound');
  if (!worksInExam(db, caller, examId)) throw new AppError('FORBIDDEN', 'invigilate.notExamStaff');
}

/**
 * An exam file. Question-sheet images are question material: before the start time only admins
 * may fetch them (ids are sequential, so anything else would leak the paper). Notice files and
 * the spoken instructions go to the exam's candidates, its invigilators and support (who answer
 * questions about them).
 */
export function mayReadAttachment(db: DbOrTx, caller: UserCaller, file: Pick<ExamAttachment, 'examId' | 'purpose'>, now = new Date()) {
  if (caller.role === 'admin') return true;
  if (file.purpose === 'sheet') {
    const exam = db.select({ startsAt: exams.startsAt }).from(exams).where(eq(exams.id, file.examId)).get();
    if (!exam || now < exam.startsAt) return false;
  }
  if (caller.role === 'candidate') {
    return !!db
      .select({ id: registrations.id })
      .from(registrations)
      .where(and(eq(registrations.examId, file.examId), eq(registrations.candidateId, caller.id)))
      .get();
  }
  if (caller.role === 'support') return file.purpose === 'notice' || file.purpose === 'instructions';
  return worksInExam(db, caller, file.examId);
}

/** The attachment row if the caller may read it, else null (missing and refused look alike). */
export function readableAttachment(db: Db, caller: UserCaller, attachmentId: number, now = new Date()) {
  const file = db.select().from(examAttachments).where(eq(examAttachments.id, attachmentId)).get();
  return file && mayReadAttachment(db, caller, file, now) ? file : null;
}

/**
 * The LiveKit rooms a staff account may watch now: none once archived (or if not staff). Taken
 * before and after a change to find the rooms it lost.
 */
export function watchableLivekitRooms(db: DbOrTx, userId: number): Set<string> {
  const u = db.select({ id: users.id, role: users.role, archivedAt: users.archivedAt }).from(users).where(eq(users.id, userId)).get();
  if (!u || u.archivedAt || (u.role !== 'invigilator' && u.role !== 'admin')) return new Set();
  const scope = roomScope(db, u);
  const rows = scope.all
    ? db.select({ name: examRooms.livekitRoom }).from(examRooms).all()
    : scope.roomIds.size
      ? db
          .select({ name: examRooms.livekitRoom })
          .from(examRooms)
          .where(inArray(examRooms.id, [...scope.roomIds]))
          .all()
      : [];
  return new Set(rows.map((r) => r.name));
}

/* ------------------------------------------------------------------ recorders */

/**
 * A device allowed to record for a candidate: their PC (the candidate's login) or their bound
 * phone, which may only record the witness track of the exam it was bound for.
 */
export type Recorder = { kind: 'pc'; candidateId: number } | { kind: 'phone'; candidateId: number; examId: number; deviceId: number };

/** Every recorder the request vouches for (a browser may carry a login and a phone session). */
export function recordersOf(callers: (Caller | null)[]): Recorder[] {
  const out: Recorder[] = [];
  for (const c of callers) {
    if (!c) continue;
    if (c.kind === 'user' && c.role === 'candidate') out.push({ kind: 'pc', candidateId: c.id });
    if (c.kind === 'phone') out.push(phoneRecorder(c));
  }
  return out;
}

const phoneRecorder = (p: PhoneCaller): Recorder => ({ kind: 'phone', candidateId: p.candidateId, examId: p.examId, deviceId: p.deviceId });

type RecordingRef = { candidateId: number; examId: number; track: RecordingTrack };

/** Screen and camera come from the PC, the witness camera from the phone: never the other way. */
export const recorderMayRecord = (r: Recorder, rec: RecordingRef) =>
  r.candidateId === rec.candidateId && (r.kind === 'pc' ? rec.track !== 'witness' : rec.track === 'witness' && rec.examId === r.examId);

/** A candidate sees all their recordings; a phone only the witness recordings of its exam. */
export const recorderMaySee = (r: Recorder, rec: RecordingRef) => (r.kind === 'pc' ? r.candidateId === rec.candidateId : recorderMayRecord(r, rec));

/**
 * The recording, if one of the recorders may write to it. Missing and someone else's read the
 * same, so recording ids cannot be probed.
 */
export function assertWritableRecording(db: DbOrTx, recorders: Recorder[], recordingId: number): Recording {
  const rec = db.select().from(recordings).where(eq(recordings.id, recordingId)).get();
  if (!rec || !recorders.some((r) => recorderMayRecord(r, rec))) throw new AppError('NOT_FOUND', 'recordings.notFound');
  return rec;
}
