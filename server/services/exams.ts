import { and, asc, count, desc, eq, gt, inArray, isNotNull, isNull, like, sql, type SQLWrapper } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { prepared } from '@/db/prepared';
import {
  answers,
  events,
  examAttachments,
  examRooms,
  exams,
  flags,
  messageReceipts,
  messages,
  questionSheets,
  recordings,
  registrations,
  users,
  type CandidateQuestion,
  type DisplayState,
  type Exam,
  type PlacedRegistration,
  type Registration,
  type TimelineEvent,
} from '@/db/schema';
import { env } from '../env';
import { AppError } from '../errors';
import { FACE_SIGNALS, type FaceDetail } from '../face/signals';
import type { EventBus } from '../events/bus';
import { resumable } from '../events/resumable';
import { mintCandidatePcToken } from '../livekit/tokens';
import { assertRequiredSteps, blockingStep, candidateChecks, pathSteps, witnessOf } from './entry-path';
import { faceWatchSettings } from './face-watch';
import { decodeStill } from './stills';
import { CANDIDATE_COMMAND_TYPES, recordEvent } from './timeline';

const MIN = 60_000;
/** Saves queued on a poor connection still land this long after the end of the exam. */
export const SAVE_GRACE_MS = 2 * MIN;
/** A client's clock may be this far ahead when it asks to submit at time-out. */
const TIMEOUT_TOLERANCE_MS = 5_000;

export type EntryState = 'not_yet_open' | 'open' | 'closed';

/** The entry window is [opensAt, closesAt): open at the first millisecond, closed at the last. */
export function entryState(exam: Pick<Exam, 'entryOpensAt' | 'entryClosesAt'>, now: Date): EntryState {
  if (now < exam.entryOpensAt) return 'not_yet_open';
  if (now >= exam.entryClosesAt) return 'closed';
  return 'open';
}

/** When the candidate's exam ends: start + duration + any extra time staff granted. */
export function endsAt(exam: Pick<Exam, 'startsAt' | 'durationMinutes'>, reg: Pick<Registration, 'extraMinutes'>) {
  return new Date(exam.startsAt.getTime() + (exam.durationMinutes + reg.extraMinutes) * MIN);
}

/** `endsAt` inside a query (ms since the epoch), from columns or values; no registration counts as no extra time. */
export function endsAtSql(startsAt: SQLWrapper | number, durationMinutes: SQLWrapper | number, extraMinutes: SQLWrapper) {
  return sql`(${startsAt} + (${durationMinutes} + coalesce(${extraMinutes}, 0)) * ${MIN})`;
}

export type Phase = 'before_entry' | 'waiting' | 'in_progress' | 'finished';

export function phaseOf(exam: Exam, reg: Registration, now: Date): Phase {
  if (reg.finishedAt) return 'finished';
  if (!reg.enteredAt) return 'before_entry';
  if (now < exam.startsAt) return 'waiting';
  return 'in_progress';
}

type Ref = { db: DbOrTx; candidateId: number; examId: number };

/**
 * The candidate's registration for this exam with its exam, room and candidate rows, if any.
 * A registration without a room yet (imported, not distributed) does not count: there is
 * nowhere to enter.
 */
export function registrationRow({ db, candidateId, examId }: Ref) {
  const row = db
    .select({ exam: exams, room: examRooms, reg: registrations, candidate: users })
    .from(registrations)
    .innerJoin(exams, eq(exams.id, registrations.examId))
    .innerJoin(examRooms, eq(examRooms.id, registrations.roomId))
    .innerJoin(users, eq(users.id, registrations.candidateId))
    .where(and(eq(registrations.candidateId, candidateId), eq(registrations.examId, examId)))
    .get();
  return row && { ...row, reg: row.reg as PlacedRegistration };
}

/** Row-level: the candidate's own registration for this exam, or NOT_FOUND (never someone else's). */
function registrationOf(ref: Ref) {
  const row = registrationRow(ref);
  if (!row) throw new AppError('NOT_FOUND', 'exam.notRegistered');
  return row;
}

const registrationById = (db: DbOrTx, id: number) => db.select().from(registrations).where(eq(registrations.id, id)).get()!;

export type FinishReason = NonNullable<Registration['finishReason']>;

/**
 * The one way a registration becomes finished, whoever finishes it: the first finish wins (the
 * update only touches an unfinished row) and only the winner records its timeline event.
 * Returns the finished row, or undefined when it was already finished. Compose it in a
 * transaction with whatever else the finish writes.
 */
export function finishRegistration({
  db,
  reg,
  reason,
  finishedAt,
  event,
}: {
  db: DbOrTx;
  reg: Pick<PlacedRegistration, 'id' | 'roomId' | 'candidateId'>;
  reason: FinishReason;
  finishedAt: Date;
  /** The timeline event to record; `exam_finished` with the reason unless given. */
  event?: { type: string; payload: Record<string, unknown>; occurredAt?: Date };
}): Registration | undefined {
  return db.transaction((tx) => {
    const finished = tx
      .update(registrations)
      .set({ finishedAt, finishReason: reason })
      .where(and(eq(registrations.id, reg.id), isNull(registrations.finishedAt)))
      .returning()
      .get();
    if (finished) {
      recordEvent({
        db: tx,
        roomId: reg.roomId,
        candidateId: reg.candidateId,
        type: event?.type ?? 'exam_finished',
        occurredAt: event?.occurredAt,
        payload: event?.payload ?? { reason },
      });
    }
    return finished;
  });
}

/**
 * The one way a candidate gets extra time, whoever gives it (an invigilator for one candidate,
 * or for every candidate of an incident): the end moves and the `extra_time` command reaches the
 * exam page, whose countdown follows. Only an unfinished registration is extended; returns
 * undefined otherwise. Compose it in a transaction with the caller's audit row.
 */
export function extendTime({
  db,
  exam,
  reg,
  minutes,
  reason,
  now,
}: {
  db: DbOrTx;
  exam: Pick<Exam, 'startsAt' | 'durationMinutes'>;
  reg: Pick<PlacedRegistration, 'id' | 'roomId' | 'candidateId'>;
  minutes: number;
  reason: string;
  now: Date;
}): { endsAt: Date; extraMinutes: number } | undefined {
  return db.transaction((tx) => {
    const updated = tx
      .update(registrations)
      .set({ extraMinutes: sql`${registrations.extraMinutes} + ${minutes}` })
      .where(and(eq(registrations.id, reg.id), isNull(registrations.finishedAt)))
      .returning()
      .get();
    if (!updated) return undefined;
    const end = endsAt(exam, updated);
    recordEvent({
      db: tx,
      roomId: reg.roomId,
      candidateId: reg.candidateId,
      type: 'extra_time',
      device: null,
      occurredAt: now,
      payload: { minutes, extraMinutes: updated.extraMinutes, endsAt: end.getTime(), reason },
    });
    return { endsAt: end, extraMinutes: updated.extraMinutes };
  });
}

/**
 * An exam left running past its end (the candidate's page was closed or offline) is finished as
 * timed out, at its end time. Returns the registration as it is now.
 */
export function settleTimeout(db: DbOrTx, exam: Exam, reg: PlacedRegistration, now: Date): PlacedRegistration {
  if (reg.finishedAt || !reg.enteredAt) return reg;
  const end = endsAt(exam, reg);
  if (now.getTime() <= end.getTime() + SAVE_GRACE_MS) return reg;
  const finished = finishRegistration({
    db,
    reg,
    reason: 'timeout',
    finishedAt: end,
    event: { type: 'exam_finished', occurredAt: end, payload: { reason: 'timeout' } },
  });
  return (finished ?? registrationById(db, reg.id)) as PlacedRegistration;
}

export function listCandidateExams({ db, candidateId, now = new Date() }: { db: Db; candidateId: number; now?: Date }) {
  const rows = db
    .select({ exam: exams, room: examRooms, reg: registrations })
    .from(registrations)
    .innerJoin(exams, eq(exams.id, registrations.examId))
    .innerJoin(examRooms, eq(examRooms.id, registrations.roomId))
    .where(eq(registrations.candidateId, candidateId))
    .orderBy(asc(exams.startsAt))
    .all()
    .map((r) => ({ ...r, reg: r.reg as PlacedRegistration }));
  const files = rows.length
    ? db
        .select({ id: examAttachments.id, examId: examAttachments.examId, fileName: examAttachments.fileName })
        .from(examAttachments)
        .innerJoin(registrations, and(eq(registrations.examId, examAttachments.examId), eq(registrations.candidateId, candidateId)))
        .where(eq(examAttachments.purpose, 'notice'))
        .orderBy(asc(examAttachments.id))
        .all()
    : [];
  const recs = rows.length
    ? db
        .select({ examId: recordings.examId, track: recordings.track, completedAt: recordings.completedAt })
        .from(recordings)
        .where(eq(recordings.candidateId, candidateId))
        .orderBy(asc(recordings.id))
        .all()
    : [];
  const checks = rows.length ? candidateChecks({ db, candidateId }) : null;
  return rows.map(({ exam, room, reg: r }) => {
    const reg = settleTimeout(db, exam, r, now);
    const before = !reg.enteredAt && !reg.finishedAt;
    // The witness is read from the timeline per room: only where it can still decide anything.
    const witness = before ? witnessOf({ db, roomId: room.id, candidateId }) : 'unbound';
    const path = pathSteps(exam, { ...checks!, witness, accepted: !!reg.acceptedAt });
    return {
      id: exam.id,
      title: exam.title,
      kind: exam.kind,
      entryOpensAt: exam.entryOpensAt,
      entryClosesAt: exam.entryClosesAt,
      startsAt: exam.startsAt,
      endsAt: endsAt(exam, reg),
      durationMinutes: exam.durationMinutes,
      roomName: room.name,
      seat: reg.seat,
      entry: entryState(exam, now),
      phase: phaseOf(exam, reg, now),
      lotNumber: reg.lotNumber,
      acceptedAt: reg.acceptedAt,
      enteredAt: reg.enteredAt,
      finishedAt: reg.finishedAt,
      finishReason: reg.finishReason,
      /** The guided path before entry (My exams), and the required step entry waits for, if any. */
      path,
      blockingStep: blockingStep(path),
      attachments: files.filter((f) => f.examId === exam.id).map(({ id, fileName }) => ({ id, fileName })),
      /** The ledger's verdict per recorded track: complete once every chunk is on the server. */
      recordings: recs
        .filter((x) => x.examId === exam.id)
        .map((x) => ({ track: x.track as string, status: x.completedAt ? ('complete' as const) : ('uploading' as const) })),
    };
  });
}

/** The notice and attachments the candidate must read and accept. */
export function examNotice({ db, candidateId, examId }: Ref) {
  const { exam, reg } = registrationOf({ db, candidateId, examId });
  const attachments = db
    .select({ id: examAttachments.id, fileName: examAttachments.fileName })
    .from(examAttachments)
    .where(and(eq(examAttachments.examId, examId), eq(examAttachments.purpose, 'notice')))
    .orderBy(asc(examAttachments.id))
    .all();
  return { title: exam.title, kind: exam.kind, notice: exam.notice, attachments, acceptedAt: reg.acceptedAt, lotNumber: reg.lotNumber };
}

export function acceptNotice({ db, candidateId, examId, now = new Date() }: Ref & { now?: Date }) {
  const { reg } = registrationOf({ db, candidateId, examId });
  if (reg.acceptedAt) return { acceptedAt: reg.acceptedAt };
  db.update(registrations)
    .set({ acceptedAt: now })
    .where(and(eq(registrations.id, reg.id), isNull(registrations.acceptedAt)))
    .run();
  return { acceptedAt: registrationOf({ db, candidateId, examId }).reg.acceptedAt! };
}

/**
 * A draw that lost a race to another connection: either the same lot was written first (unique
 * index), or, in WAL mode, another writer committed after this transaction read (busy snapshot).
 * Either way, reading again and retrying is right.
 */
const lostRace = (err: unknown) => ['SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_BUSY_SNAPSHOT'].includes((err as { code?: string }).code ?? '');

/**
 * Draws the candidate's interview lot: a number from 1 to the room's size that nobody in the
 * room holds yet. Idempotent (a second draw returns the first lot) and safe when several
 * draws run at once: the pick and the write are one transaction, and the unique index on
 * (room, lot) turns a lost race between processes into a retry.
 */
export function drawLot({ db, candidateId, examId, now = new Date(), random = Math.random }: Ref & { now?: Date; random?: () => number }) {
  const { exam } = registrationOf({ db, candidateId, examId });
  if (exam.kind !== 'interview') throw new AppError('PRECONDITION_FAILED', 'exam.lotNotInterview');
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      return db.transaction((tx) => {
        const { reg } = registrationOf({ db: tx, candidateId, examId });
        if (reg.lotNumber != null) return { lotNumber: reg.lotNumber, drawnAt: reg.lotDrawnAt! };
        const size = tx.select({ n: count() }).from(registrations).where(eq(registrations.roomId, reg.roomId)).get()!.n;
        const taken = new Set(
          tx
            .select({ lot: registrations.lotNumber })
            .from(registrations)
            .where(eq(registrations.roomId, reg.roomId))
            .all()
            .map((r) => r.lot),
        );
        const free = Array.from({ length: size }, (_, i) => i + 1).filter((n) => !taken.has(n));
        const lotNumber = free[Math.floor(random() * free.length)]!;
        tx.update(registrations).set({ lotNumber, lotDrawnAt: now }).where(eq(registrations.id, reg.id)).run();
        recordEvent({ db: tx, roomId: reg.roomId, candidateId, type: 'lot_drawn', payload: { lotNumber } });
        return { lotNumber, drawnAt: now };
      });
    } catch (err) {
      if (!lostRace(err)) throw err;
    }
  }
  throw new AppError('CONFLICT', 'exam.lotBusy');
}

/**
 * Entering is refused outside the entry window, before the notice is accepted (and, for an
 * interview, before the lot is drawn), before the steps the exam office made required (device
 * check, phone witness) are done, and while an extended display is reported. A candidate who
 * already entered may come back (a reload, a crash) until the exam is over: the required steps
 * were met then, and a phone lost since is the invigilator's to deal with, not a reason to lock out.
 */
export async function enterExam({ db, candidateId, examId, displays = 'unknown', now = new Date() }: Ref & { db: Db; displays?: DisplayState; now?: Date }) {
  const { exam, room, reg: r } = registrationOf({ db, candidateId, examId });
  const reg = settleTimeout(db, exam, r, now);
  if (reg.finishedAt) throw new AppError('PRECONDITION_FAILED', 'exam.alreadyFinished');
  if (!reg.enteredAt) {
    const state = entryState(exam, now);
    if (state === 'not_yet_open') throw new AppError('PRECONDITION_FAILED', 'exam.entryNotOpen', { opensAt: exam.entryOpensAt });
    if (state === 'closed') throw new AppError('PRECONDITION_FAILED', 'exam.entryClosed', { closedAt: exam.entryClosesAt });
    if (exam.kind === 'interview' && reg.lotNumber == null) throw new AppError('PRECONDITION_FAILED', 'exam.lotRequired');
    if (!reg.acceptedAt) throw new AppError('PRECONDITION_FAILED', 'exam.notAccepted');
    if (exam.deviceCheckRequired || exam.phoneWitnessRequired) {
      const witness = exam.phoneWitnessRequired ? witnessOf({ db, roomId: room.id, candidateId }) : 'unbound';
      assertRequiredSteps(pathSteps(exam, { ...candidateChecks({ db, candidateId }), witness, accepted: true }));
    }
  }
  if (displays === 'extended') {
    recordEvent({ db, roomId: room.id, candidateId, type: 'integrity.extended_display', payload: { at: 'entry' } });
    throw new AppError('PRECONDITION_FAILED', 'exam.extendedDisplay');
  }
  if (!reg.enteredAt) {
    db.transaction((tx) => {
      tx.update(registrations)
        .set({ enteredAt: now })
        .where(and(eq(registrations.id, reg.id), isNull(registrations.enteredAt)))
        .run();
      recordEvent({ db: tx, roomId: room.id, candidateId, type: 'exam_entered' });
    });
  }
  const livekit = await mintCandidatePcToken({ room: room.livekitRoom, candidateId });
  return {
    /** Where the page probes the network while its SFU connection is down (server/network-probe.ts); host null: the app's own. */
    networkProbe: env.NETWORK_PROBE_PORT ? { host: env.NETWORK_PROBE_HOST ?? null, port: env.NETWORK_PROBE_PORT } : null,
    /** The page's face checks on its own camera (components/face); null when face detection is off. */
    face: faceWatchSettings({ db, candidateId, now }),
    exam: {
      id: exam.id,
      title: exam.title,
      kind: exam.kind,
      startsAt: exam.startsAt,
      durationMinutes: exam.durationMinutes,
      roomName: room.name,
      seat: reg.seat,
    },
    livekit,
  };
}

/** Everything the exam page needs, on server time. Question material is not part of it. */
export function examSession({ db, candidateId, examId, now = new Date() }: Ref & { db: Db; now?: Date }) {
  const { exam, room, reg: r, candidate } = registrationOf({ db, candidateId, examId });
  const reg = settleTimeout(db, exam, r, now);
  return {
    serverNow: now,
    exam: {
      id: exam.id,
      title: exam.title,
      kind: exam.kind,
      notice: exam.notice,
      startsAt: exam.startsAt,
      endsAt: endsAt(exam, reg),
      durationMinutes: exam.durationMinutes,
      cameraRecheckOnReturn: exam.cameraRecheckOnReturn,
    },
    room: { name: room.name, seat: reg.seat },
    candidate: { name: candidate.name, idNumber: maskIdNumber(candidate.idNumber ?? ''), phone: candidate.phone, email: candidate.email },
    registration: {
      lotNumber: reg.lotNumber,
      enteredAt: reg.enteredAt,
      infoConfirmedAt: reg.infoConfirmedAt,
      noticeReadAt: reg.noticeReadAt,
      extraMinutes: reg.extraMinutes,
      finishedAt: reg.finishedAt,
      finishReason: reg.finishReason,
    },
    phase: phaseOf(exam, reg, now),
    instructions: spokenInstructions(db, exam),
  };
}

/** The exam's spoken instructions as the exam page plays them, or null when the office uploaded no audio. */
function spokenInstructions(db: DbOrTx, exam: Pick<Exam, 'id' | 'instructionsCaption'>) {
  const file = db
    .select({ id: examAttachments.id })
    .from(examAttachments)
    .where(and(eq(examAttachments.examId, exam.id), eq(examAttachments.purpose, 'instructions')))
    .get();
  return file ? { id: file.id, url: `/api/attachments/${file.id}`, caption: exam.instructionsCaption } : null;
}

export const maskIdNumber = (id: string) => (id.length > 8 ? `${id.slice(0, 4)}${'*'.repeat(id.length - 8)}${id.slice(-4)}` : id);

function assertInExam({ db, candidateId, examId, now }: Ref & { now: Date }) {
  const row = registrationOf({ db, candidateId, examId });
  if (!row.reg.enteredAt) throw new AppError('PRECONDITION_FAILED', 'exam.notEntered');
  return row;
}

/**
 * The question sheets and the candidate's saved answers. Refused before the start time: the
 * material never leaves the server early, whatever the client's clock says.
 */
export function questionMaterial({ db, candidateId, examId, now = new Date() }: Ref & { db: Db; now?: Date }) {
  const { exam, reg: r } = assertInExam({ db, candidateId, examId, now });
  if (now < exam.startsAt) throw new AppError('PRECONDITION_FAILED', 'exam.notStarted', { startsAt: exam.startsAt });
  const reg = settleTimeout(db, exam, r, now);
  // A finished paper is not shown again: what was submitted is what counts.
  if (reg.finishedAt) throw new AppError('PRECONDITION_FAILED', 'exam.alreadyFinished');
  const sheets = db
    .select({ id: questionSheets.id, title: questionSheets.title, body: questionSheets.body, questions: questionSheets.questions })
    .from(questionSheets)
    .where(eq(questionSheets.examId, examId))
    .orderBy(asc(questionSheets.position))
    .all()
    // Answer keys are staff-only.
    .map((sheet) => ({ ...sheet, questions: sheet.questions.map(({ answer: _key, ...q }): CandidateQuestion => q) }));
  const saved = db
    .select({ questionId: answers.questionId, value: answers.value, revision: answers.revision })
    .from(answers)
    .where(eq(answers.registrationId, reg.id))
    .all();
  return { sheets, answers: saved };
}

export type AnswerSave = { questionId: string; value: string | string[]; revision: number };

/**
 * Saves answers. Each answer carries the client's revision for that question; a save whose
 * revision is not above the stored one is stale (a late retry of an older edit) and is ignored,
 * so an older save can never overwrite a newer one. Returns the stored revision per question.
 */
export function saveAnswers({ db, candidateId, examId, items, now = new Date() }: Ref & { db: Db; items: AnswerSave[]; now?: Date }) {
  const { exam, reg: r } = assertInExam({ db, candidateId, examId, now });
  const reg = settleTimeout(db, exam, r, now);
  if (now < exam.startsAt) throw new AppError('PRECONDITION_FAILED', 'exam.notStarted', { startsAt: exam.startsAt });
  if (reg.finishedAt) throw new AppError('PRECONDITION_FAILED', 'exam.alreadyFinished');

  const known = new Map<string, string>();
  for (const sheet of db.select({ questions: questionSheets.questions }).from(questionSheets).where(eq(questionSheets.examId, examId)).all()) {
    for (const q of sheet.questions) known.set(q.id, q.kind);
  }
  for (const item of items) {
    const kind = known.get(item.questionId);
    if (!kind) throw new AppError('BAD_REQUEST', 'exam.unknownQuestion', { questionId: item.questionId });
    if ((kind === 'multiple') !== Array.isArray(item.value)) throw new AppError('BAD_REQUEST', 'exam.answerShape', { questionId: item.questionId });
  }

  return db.transaction((tx) => {
    for (const item of items) {
      tx.insert(answers)
        .values({ registrationId: reg.id, questionId: item.questionId, value: item.value, revision: item.revision, savedAt: now })
        .onConflictDoUpdate({
          target: [answers.registrationId, answers.questionId],
          set: { value: sql`excluded.value`, revision: sql`excluded.revision`, savedAt: sql`excluded.saved_at` },
          setWhere: sql`excluded.revision > ${answers.revision}`,
        })
        .run();
    }
    const stored = tx.select({ questionId: answers.questionId, revision: answers.revision }).from(answers).where(eq(answers.registrationId, reg.id)).all();
    const wanted = new Set(items.map((i) => i.questionId));
    return { saved: stored.filter((s) => wanted.has(s.questionId)), savedAt: now };
  });
}

export function confirmInfo({ db, candidateId, examId, now = new Date() }: Ref & { now?: Date }) {
  const { reg } = assertInExam({ db, candidateId, examId, now });
  if (!reg.infoConfirmedAt) db.update(registrations).set({ infoConfirmedAt: now }).where(eq(registrations.id, reg.id)).run();
  return { ok: true };
}

/**
 * The in-exam notice was read. Kept on the server, not only on the device, so a candidate who
 * comes back from another browser (or after clearing its data) skips it. The first read stands.
 */
export function markNoticeRead({ db, candidateId, examId, now = new Date() }: Ref & { now?: Date }) {
  const { reg } = assertInExam({ db, candidateId, examId, now });
  if (!reg.noticeReadAt) db.update(registrations).set({ noticeReadAt: now }).where(eq(registrations.id, reg.id)).run();
  return { ok: true };
}

/**
 * Submits a written exam or ends an interview. Idempotent: finishing twice keeps the first
 * finish. A time-out is only accepted once the end time has come (on the server's clock).
 */
export function finishExam({ db, candidateId, examId, reason, now = new Date() }: Ref & { db: Db; reason: 'submitted' | 'ended' | 'timeout'; now?: Date }) {
  const { exam, room, reg: r } = assertInExam({ db, candidateId, examId, now });
  // Coming back long after the end is a time-out at the end, however the exam is finished now.
  const reg = settleTimeout(db, exam, r, now);
  if (reg.finishedAt) return { finishedAt: reg.finishedAt, finishReason: reg.finishReason };
  const end = endsAt(exam, reg);
  if (reason === 'timeout' && now.getTime() < end.getTime() - TIMEOUT_TOLERANCE_MS) {
    throw new AppError('PRECONDITION_FAILED', 'exam.notOver', { endsAt: end });
  }
  const finishedAt = reason === 'timeout' && now > end ? end : now;
  const finished = finishRegistration({ db, reg: { ...reg, roomId: room.id }, reason, finishedAt });
  if (!finished) {
    // Another finish (staff, another tab) got there first: it stands.
    const current = registrationById(db, reg.id);
    return { finishedAt: current.finishedAt!, finishReason: current.finishReason };
  }
  return { finishedAt, finishReason: reason };
}

/** Integrity signals reported by the candidate's page, for the invigilator's timeline. */
export const INTEGRITY_SIGNALS = [
  'page_hidden',
  'page_visible',
  'window_blurred',
  'window_focused',
  'fullscreen_left',
  'fullscreen_entered',
  'screen_share_stopped',
  'screen_share_restored',
  'camera_lost',
  'camera_restored',
  'microphone_lost',
  'microphone_restored',
  'extended_display',
  'single_display',
  'offline',
  'online',
  // The face checks on the candidate's own camera (components/face/face-signals.ts).
  ...FACE_SIGNALS,
] as const;
export type IntegritySignal = (typeof INTEGRITY_SIGNALS)[number];

/**
 * Reports one candidate's page may send a minute. Far above what a page sends by itself (a
 * signal is a change of state, and the face signals wait out several checks), but a script
 * with the candidate's session gets no further: every report is a stored event and a tile
 * pushed to each invigilator watching the room. The page keeps refused reports and retries.
 */
export const INTEGRITY_REPORTS_PER_MINUTE = 60;

/** A page's server time may run this far ahead of ours (its offset is measured, not exact). */
const REPORT_AHEAD_MS = 5_000;

/**
 * Stores a signal from the candidate's page on their timeline, which raises the flag it
 * suggests (flags.ts). The page is the candidate's: what it claims is bounded here. Its time
 * is kept (a report queued offline lands where it happened) but brought within the opening of
 * entry and a few seconds from now: no report lands before the exam or ahead of events still to
 * come. A still is evidence for a face signal's flag: checked before anything is written, and kept on
 * the flag this report raised, in the same transaction; a report whose flag is already open
 * raises none and its still is not kept.
 */
export function reportIntegrity({
  db,
  candidateId,
  examId,
  signal,
  at,
  detail,
  face,
  still,
  now = new Date(),
}: Ref & { db: Db; signal: IntegritySignal; at: Date; detail?: string; face?: FaceDetail; still?: string; now?: Date }) {
  const { exam, room, reg } = registrationOf({ db, candidateId, examId });
  if (!reg.enteredAt) throw new AppError('PRECONDITION_FAILED', 'exam.notEntered');
  const image = still ? decodeStill(still) : null;
  const occurredAt = new Date(Math.min(Math.max(at.getTime(), exam.entryOpensAt.getTime()), now.getTime() + REPORT_AHEAD_MS));
  return db.transaction((tx) => {
    // The report that would be one too many this minute: the throttle and the insert are one
    // synchronous step, so reports sent in parallel cannot all slip past the same count. Timed
    // by the database's clock, the one that stamped `created_at`.
    const nthLatest = tx
      .select({ withinMinute: sql<number>`${events.createdAt} > unixepoch('subsec') * 1000 - ${MIN}` })
      .from(events)
      .where(and(eq(events.candidateId, candidateId), eq(events.roomId, room.id), like(events.type, 'integrity.%')))
      .orderBy(desc(events.id))
      .limit(1)
      .offset(INTEGRITY_REPORTS_PER_MINUTE - 1)
      .get();
    if (nthLatest?.withinMinute) {
      throw new AppError('TOO_MANY_REQUESTS', 'exam.integrityThrottled', { perMinute: INTEGRITY_REPORTS_PER_MINUTE });
    }
    const payload = { ...(detail ? { detail } : {}), ...(face ? { face } : {}) };
    const row = recordEvent({ db: tx, roomId: room.id, candidateId, type: `integrity.${signal}`, occurredAt, payload });
    if (image) tx.update(flags).set({ still: image }).where(eq(flags.eventId, row.id)).run();
    return { id: row.id };
  });
}

/** What staff tell a candidate's exam page, live (the live topic `commands:<examId>`). */
export type CandidateCommand =
  | { type: 'message'; messageId: number; text: string; at: Date }
  | { type: 'extra_time'; endsAt: Date; minutes: number }
  | { type: 'ended'; reason: FinishReason };

/** The room a candidate is placed in for an exam (NOT_FOUND unless placed): light and prepared, as every open exam page re-checks it. */
const placement = prepared((db) =>
  db
    .select({ roomId: registrations.roomId })
    .from(registrations)
    .where(
      and(eq(registrations.candidateId, sql.placeholder('candidateId')), eq(registrations.examId, sql.placeholder('examId')), isNotNull(registrations.roomId)),
    )
    .prepare(),
);

export function commandRoomOf({ db, candidateId, examId }: Ref) {
  const row = placement(db).get({ candidateId, examId });
  if (row?.roomId == null) throw new AppError('NOT_FOUND', 'exam.notRegistered');
  return row.roomId;
}

const commandsAfter = prepared((db) =>
  db
    .select()
    .from(events)
    .where(
      and(
        eq(events.candidateId, sql.placeholder('candidateId')),
        eq(events.roomId, sql.placeholder('roomId')),
        inArray(events.type, [...CANDIDATE_COMMAND_TYPES]),
        gt(events.id, sql.placeholder('afterId')),
      ),
    )
    .orderBy(asc(events.id))
    .prepare(),
);

/**
 * Staff commands for this candidate in this room after a cursor, oldest first: the backfill of a
 * resumed `commands:<examId>` topic. A message the candidate already acknowledged (in another tab, in
 * the message centre) is not shown again.
 */
export function candidateCommandsAfter({ db, candidateId, roomId, afterId }: { db: Db; candidateId: number; roomId: number; afterId: number }) {
  const rows = commandsAfter(db).all({ candidateId, roomId, afterId });
  const messageIds = rows.filter((e) => e.type === 'staff_message').map((e) => Number(e.payload?.messageId));
  const acknowledged = new Set(
    messageIds.length
      ? db
          .select({ messageId: messageReceipts.messageId })
          .from(messageReceipts)
          .where(and(eq(messageReceipts.candidateId, candidateId), inArray(messageReceipts.messageId, messageIds), isNotNull(messageReceipts.acknowledgedAt)))
          .all()
          .map((r) => r.messageId)
      : [],
  );
  return rows.filter((e) => e.type !== 'staff_message' || !acknowledged.has(Number(e.payload?.messageId)));
}

/**
 * Staff commands for one candidate's exam page (messages to acknowledge, extra time, the end of
 * the exam) after a cursor, then live. Throws unless the candidate is placed in the exam.
 */
export function commandStream({
  db,
  bus,
  candidateId,
  examId,
  afterId,
  signal,
}: {
  db: Db;
  bus: EventBus;
  candidateId: number;
  examId: number;
  afterId: number;
  signal?: AbortSignal;
}) {
  const roomId = commandRoomOf({ db, candidateId, examId });
  const read = (after: number) => candidateCommandsAfter({ db, candidateId, roomId, afterId: after });
  return resumable({
    bus,
    // One channel per candidate carries all their exams: `accept` keeps this exam's room only.
    channel: `candidate:${candidateId}`,
    signal,
    backfill: () => {
      const rows = read(afterId);
      const items = rows.flatMap((event) => {
        const command = commandOf({ db, event });
        return command ? [{ id: event.id, data: command }] : [];
      });
      return { items, cursor: rows.at(-1)?.id ?? afterId };
    },
    between: (after, upTo) => read(after).filter((e) => e.id <= upTo),
    accept: (event) => (event.roomId === roomId ? commandOf({ db, event }) : null),
  });
}

/** The command a stored staff event stands for (null for other events). */
export function commandOf({ db, event }: { db: Db; event: TimelineEvent }): CandidateCommand | null {
  const p = event.payload ?? {};
  switch (event.type) {
    case 'staff_message': {
      const messageId = Number(p.messageId);
      const message = db.select({ body: messages.body }).from(messages).where(eq(messages.id, messageId)).get();
      return message ? { type: 'message', messageId, text: message.body, at: event.occurredAt } : null;
    }
    case 'extra_time':
      return { type: 'extra_time', endsAt: new Date(Number(p.endsAt)), minutes: Number(p.minutes) };
    case 'exam_ended_by_staff':
      return { type: 'ended', reason: 'staff' };
    default:
      return null;
  }
}
