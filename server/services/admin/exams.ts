import { and, asc, desc, eq, inArray, isNotNull, isNull, or, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import {
  answers,
  events,
  examAttachments,
  examRooms,
  exams,
  flags,
  helpThreads,
  messages,
  phoneDevices,
  presetMessages,
  questionSheets,
  recordings,
  registrations,
  type AttachmentPurpose,
  type Exam,
  type ExamKind,
} from '@/db/schema';
import type { StaffCaller } from '../../auth/caller';
// The locked fields' keys are built from UNDER_WAY_POLICY; the admin-exams tests read each message.
import { AppError, type ErrorKey } from '../../errors';
import { audit } from '../audit';
import { endsAt } from '../exams';
import { addPreset, listPresets, removePreset } from '../invigilate';
import { addAttachment, createExam as insertExam } from '../setup';
import { editableExam, examOrThrow, examUnderWay, type Actor } from './common';
import { sheetImageIds } from './sheets';

/** The admin making a change; every change is audited in its own transaction. */

export const DURATION_RANGE = { min: 1, max: 600 } as const;
export const RETENTION_RANGE = { min: 1, max: 3650 } as const;

/* ------------------------------------------------------------------ status */

export type ExamStatus = 'upcoming' | 'open' | 'in_progress' | 'ended' | 'archived';

/** The scheduled end, before anyone's extra time. */
export const examEndsAt = (exam: Pick<Exam, 'startsAt' | 'durationMinutes'>) => endsAt(exam, { extraMinutes: 0 });

/** upcoming: entry not open yet; open: entry open, not started; in progress: until start + duration; then ended. */
export function examStatus(exam: Exam, now: Date): ExamStatus {
  if (exam.archivedAt) return 'archived';
  if (now < exam.entryOpensAt) return 'upcoming';
  if (now < exam.startsAt) return 'open';
  if (now < examEndsAt(exam)) return 'in_progress';
  return 'ended';
}

/** Question sheets are the paper: from the start time candidates have it, so it is frozen. */
export const examStarted = (exam: Pick<Exam, 'startsAt'>, now: Date) => now >= exam.startsAt;

/* ------------------------------------------------------------------ list, byId */

function countsByExam(db: DbOrTx, examIds: number[]) {
  const regs = new Map<number, number>();
  const rooms = new Map<number, number>();
  if (!examIds.length) return { regs, rooms };
  for (const r of db
    .select({ examId: registrations.examId, n: sql<number>`count(*)` })
    .from(registrations)
    .where(inArray(registrations.examId, examIds))
    .groupBy(registrations.examId)
    .all())
    regs.set(r.examId, r.n);
  for (const r of db
    .select({ examId: examRooms.examId, n: sql<number>`count(*)` })
    .from(examRooms)
    .where(and(inArray(examRooms.examId, examIds), isNull(examRooms.archivedAt)))
    .groupBy(examRooms.examId)
    .all())
    rooms.set(r.examId, r.n);
  return { regs, rooms };
}

function summary(exam: Exam, now: Date, counts: ReturnType<typeof countsByExam>) {
  return {
    id: exam.id,
    title: exam.title,
    kind: exam.kind,
    entryOpensAt: exam.entryOpensAt,
    entryClosesAt: exam.entryClosesAt,
    startsAt: exam.startsAt,
    endsAt: examEndsAt(exam),
    durationMinutes: exam.durationMinutes,
    archivedAt: exam.archivedAt,
    status: examStatus(exam, now),
    registrations: counts.regs.get(exam.id) ?? 0,
    rooms: counts.rooms.get(exam.id) ?? 0,
  };
}

/** Exams, latest start first; archived ones only when asked for. */
export function listExams({ db, includeArchived = false, now = new Date() }: { db: DbOrTx; includeArchived?: boolean; now?: Date }) {
  const rows = db
    .select()
    .from(exams)
    .where(includeArchived ? undefined : isNull(exams.archivedAt))
    .orderBy(desc(exams.startsAt), desc(exams.id))
    .all();
  const counts = countsByExam(
    db,
    rows.map((e) => e.id),
  );
  return rows.map((e) => summary(e, now, counts));
}

/** One exam for the settings page: its fields, status, what may still change, and its history. */
export function examById({ db, examId, now = new Date() }: { db: DbOrTx; examId: number; now?: Date }) {
  const exam = examOrThrow(db, examId);
  const underWay = examUnderWay(exam, now);
  const history = examHistory(db, examId);
  return {
    ...summary(exam, now, countsByExam(db, [examId])),
    notice: exam.notice,
    retentionDays: exam.retentionDays,
    ...pathSettings(exam),
    underWay,
    started: examStarted(exam, now),
    /** Fields the form must disable (under way); entryClosesAt stays editable, later only. */
    lockedFields: underWay ? EXAM_FIELDS.filter((f) => UNDER_WAY_POLICY[f] === 'locked') : [],
    history,
    canDelete: history.length === 0,
  };
}

/* ------------------------------------------------------------------ create, update */

/** The guided path's per-exam settings (see services/entry-path.ts), with a new exam's defaults. */
export const PATH_SETTINGS = ['deviceCheckRequired', 'phoneWitnessRequired', 'cameraRecheckOnReturn'] as const;
export type PathSettings = Record<(typeof PATH_SETTINGS)[number], boolean>;
/** A new exam asks for the device check: most entry-day calls are about a camera or microphone. */
export const NEW_EXAM_PATH: PathSettings = { deviceCheckRequired: true, phoneWitnessRequired: false, cameraRecheckOnReturn: true };
const pathSettings = (exam: PathSettings): PathSettings => Object.fromEntries(PATH_SETTINGS.map((k) => [k, exam[k]])) as PathSettings;

export const EXAM_FIELDS = [
  'title',
  'kind',
  'entryOpensAt',
  'entryClosesAt',
  'startsAt',
  'durationMinutes',
  'notice',
  'retentionDays',
  ...PATH_SETTINGS,
] as const;
export type ExamField = (typeof EXAM_FIELDS)[number];
export type ExamValues = {
  title: string;
  kind: ExamKind;
  entryOpensAt: Date;
  entryClosesAt: Date;
  startsAt: Date;
  durationMinutes: number;
  notice: string;
  retentionDays: number;
} & PathSettings;

/**
 * What may change once the exam is under way (its entry window opened: candidates may be inside,
 * have accepted the notice, be waiting for the start). Times and kind decide who is let in and when
 * the paper appears, so they are fixed, except that the entry window may be extended (later, never
 * past the end). The notice is fixed too: candidates accepted that text; tell them of changes with
 * a system message. The title is only a label, and retention concerns what happens after the exam.
 * The required steps may change too: they gate only a first entry, never someone already inside.
 * Preset warnings, which are not exam fields, may always change.
 */
export const UNDER_WAY_POLICY: Record<ExamField, 'free' | 'locked' | 'laterOnly'> = {
  title: 'free',
  retentionDays: 'free',
  entryClosesAt: 'laterOnly',
  kind: 'locked',
  entryOpensAt: 'locked',
  startsAt: 'locked',
  durationMinutes: 'locked',
  notice: 'locked',
  deviceCheckRequired: 'free',
  phoneWitnessRequired: 'free',
  cameraRecheckOnReturn: 'free',
};

/**
 * Ranges and the order of the times; each rule has its own message (errors.adminExams.*). The one
 * place these rules live: the demo's re-timing checks its exams with it too.
 */
export function checkExamValues(v: ExamValues) {
  if (!Number.isInteger(v.durationMinutes) || v.durationMinutes < DURATION_RANGE.min || v.durationMinutes > DURATION_RANGE.max)
    throw new AppError('BAD_REQUEST', 'adminExams.durationRange', { ...DURATION_RANGE });
  if (!Number.isInteger(v.retentionDays) || v.retentionDays < RETENTION_RANGE.min || v.retentionDays > RETENTION_RANGE.max)
    throw new AppError('BAD_REQUEST', 'adminExams.retentionRange', { ...RETENTION_RANGE });
  if (v.entryOpensAt >= v.entryClosesAt) throw new AppError('BAD_REQUEST', 'adminExams.opensBeforeCloses');
  if (v.entryOpensAt > v.startsAt) throw new AppError('BAD_REQUEST', 'adminExams.opensBeforeStart');
  if (v.entryClosesAt > examEndsAt(v)) throw new AppError('BAD_REQUEST', 'adminExams.closesBeforeEnd');
}

const sameValue = (a: unknown, b: unknown) => (a instanceof Date && b instanceof Date ? a.getTime() === b.getTime() : a === b);

export function createExam({
  db,
  actorId,
  now = new Date(),
  ...input
}: Actor & Omit<ExamValues, 'notice' | 'retentionDays' | keyof PathSettings> & { notice?: string; retentionDays?: number } & Partial<PathSettings>) {
  const values: ExamValues = { ...NEW_EXAM_PATH, ...input, notice: input.notice ?? '', retentionDays: input.retentionDays ?? 90 };
  checkExamValues(values);
  return db.transaction((tx) => {
    const exam = insertExam({ db: tx, ...values });
    audit(tx, { actorId, action: 'exam.created', examId: exam.id, detail: { title: exam.title, kind: exam.kind, ...pathSettings(exam) }, at: now });
    return exam;
  });
}

/**
 * Changes the given fields. Fields sent with their current value are not changes, so a form may
 * send everything. Once under way, UNDER_WAY_POLICY decides; the first refused field is named.
 */
export function updateExam({ db, actorId, examId, now = new Date(), ...patch }: Actor & { examId: number } & Partial<ExamValues>) {
  return db.transaction((tx) => {
    const exam = editableExam(tx, examId);
    const changed = EXAM_FIELDS.filter((f) => patch[f] !== undefined && !sameValue(patch[f], exam[f]));
    if (!changed.length) return exam;
    if (examUnderWay(exam, now)) {
      for (const f of changed) {
        const rule = UNDER_WAY_POLICY[f];
        if (rule === 'locked') throw new AppError('CONFLICT', `adminExams.locked.${f}` as ErrorKey);
        if (rule === 'laterOnly' && (patch[f] as Date) < (exam[f] as Date)) throw new AppError('CONFLICT', `adminExams.locked.${f}Earlier` as ErrorKey);
      }
    }
    const next = { ...exam, ...Object.fromEntries(changed.map((f) => [f, patch[f]])) } as ExamValues;
    checkExamValues(next);
    if (changed.includes('kind') && next.kind === 'interview') {
      const withQuestions = tx
        .select({ id: questionSheets.id })
        .from(questionSheets)
        .where(and(eq(questionSheets.examId, examId), sql`json_array_length(${questionSheets.questions}) > 0`))
        .get();
      if (withQuestions) throw new AppError('CONFLICT', 'adminExams.interviewHasQuestions');
    }
    const set = Object.fromEntries(changed.map((f) => [f, next[f]]));
    const updated = tx.update(exams).set(set).where(eq(exams.id, examId)).returning().get();
    audit(tx, {
      actorId,
      action: 'exam.updated',
      examId,
      detail: { changed: Object.fromEntries(changed.map((f) => [f, { from: exam[f], to: next[f] }])) },
      at: now,
    });
    return updated;
  });
}

/* ------------------------------------------------------------------ archive, delete */

export function archiveExam({ db, actorId, examId, now = new Date() }: Actor & { examId: number }) {
  return db.transaction((tx) => {
    const exam = editableExam(tx, examId);
    const status = examStatus(exam, now);
    // Archiving closes the exam to changes and hides it: not while candidates may be in it.
    if (status === 'open' || status === 'in_progress') throw new AppError('CONFLICT', 'adminExams.archiveWhileRunning');
    tx.update(exams).set({ archivedAt: now }).where(eq(exams.id, examId)).run();
    audit(tx, { actorId, action: 'exam.archived', examId, detail: { title: exam.title }, at: now });
    return { ok: true as const };
  });
}

export function unarchiveExam({ db, actorId, examId, now = new Date() }: Actor & { examId: number }) {
  return db.transaction((tx) => {
    const exam = examOrThrow(tx, examId);
    if (!exam.archivedAt) throw new AppError('CONFLICT', 'adminExams.notArchived');
    tx.update(exams).set({ archivedAt: null }).where(eq(exams.id, examId)).run();
    audit(tx, { actorId, action: 'exam.unarchived', examId, detail: { title: exam.title }, at: now });
    return { ok: true as const };
  });
}

export const HISTORY_KINDS = ['accepted', 'entered', 'events', 'answers', 'flags', 'recordings', 'helpThreads', 'messages', 'phones'] as const;
export type HistoryKind = (typeof HISTORY_KINDS)[number];

/**
 * What candidates or staff have done in this exam: records that must outlive a mistake, so an
 * exam with any of them is archived, not deleted. Set-up (rooms, placed candidates who never
 * accepted the notice, sheets, files, presets, imports, the audit of the set-up) is not history.
 */
export function examHistory(db: DbOrTx, examId: number): HistoryKind[] {
  const roomIds = db.select({ id: examRooms.id }).from(examRooms).where(eq(examRooms.examId, examId));
  const regIds = db.select({ id: registrations.id }).from(registrations).where(eq(registrations.examId, examId));
  const some = (q: { get: () => unknown }) => q.get() !== undefined;
  const found: Record<HistoryKind, boolean> = {
    accepted: some(
      db
        .select({ id: registrations.id })
        .from(registrations)
        .where(and(eq(registrations.examId, examId), or(isNotNull(registrations.acceptedAt), isNotNull(registrations.lotDrawnAt))))
        .limit(1),
    ),
    entered: some(
      db
        .select({ id: registrations.id })
        .from(registrations)
        .where(and(eq(registrations.examId, examId), isNotNull(registrations.enteredAt)))
        .limit(1),
    ),
    events: some(db.select({ id: events.id }).from(events).where(inArray(events.roomId, roomIds)).limit(1)),
    answers: some(db.select({ id: answers.registrationId }).from(answers).where(inArray(answers.registrationId, regIds)).limit(1)),
    flags: some(db.select({ id: flags.id }).from(flags).where(inArray(flags.roomId, roomIds)).limit(1)),
    recordings: some(db.select({ id: recordings.id }).from(recordings).where(eq(recordings.examId, examId)).limit(1)),
    helpThreads: some(
      db
        .select({ id: helpThreads.id })
        .from(helpThreads)
        .where(or(eq(helpThreads.examId, examId), inArray(helpThreads.roomId, roomIds)))
        .limit(1),
    ),
    messages: some(
      db
        .select({ id: messages.id })
        .from(messages)
        .where(or(eq(messages.examId, examId), inArray(messages.roomId, roomIds)))
        .limit(1),
    ),
    phones: some(db.select({ id: phoneDevices.id }).from(phoneDevices).where(eq(phoneDevices.examId, examId)).limit(1)),
  };
  return HISTORY_KINDS.filter((k) => found[k]);
}

/** Deletes an exam without history, with its set-up (rooms, registrations, sheets, files: cascades). */
export function deleteExam({ db, actorId, examId, now = new Date() }: Actor & { examId: number }) {
  return db.transaction((tx) => {
    const exam = examOrThrow(tx, examId);
    const history = examHistory(tx, examId);
    if (history.length) throw new AppError('CONFLICT', 'adminExams.hasHistory');
    const rooms =
      tx
        .select({ n: sql<number>`count(*)` })
        .from(examRooms)
        .where(eq(examRooms.examId, examId))
        .get()?.n ?? 0;
    const regs =
      tx
        .select({ n: sql<number>`count(*)` })
        .from(registrations)
        .where(eq(registrations.examId, examId))
        .get()?.n ?? 0;
    // The audit rows outlive the exam, unlinked by ON DELETE SET NULL (the detail keeps which exam it was).
    audit(tx, { actorId, action: 'exam.deleted', examId, detail: { examId, title: exam.title, kind: exam.kind, rooms, registrations: regs }, at: now });
    tx.delete(exams).where(eq(exams.id, examId)).run();
    return { ok: true as const };
  });
}

/* ------------------------------------------------------------------ attachments */

export const ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024;
/** Spoken instructions: a few minutes of speech, even as WAV. */
export const INSTRUCTIONS_MAX_BYTES = 20 * 1024 * 1024;
const MAX_BYTES: Record<AttachmentPurpose, number> = { notice: ATTACHMENT_MAX_BYTES, sheet: ATTACHMENT_MAX_BYTES, instructions: INSTRUCTIONS_MAX_BYTES };

/** The bytes a file must start with; `null` matches any byte (a size field before a tag). */
type Magic = (number | null)[];
const ascii = (text: string) => [...text].map((c) => c.charCodeAt(0));

/**
 * Allowed files by extension, with the bytes they must start with (a renamed executable is
 * refused; the browser's MIME type is never asked). Notice files: documents and images; sheet
 * files: images only (shown inline); spoken instructions: audio a browser's <audio> plays.
 */
const FILE_TYPES: Record<string, { type: string; magic?: Magic[]; purposes: AttachmentPurpose[] }> = {
  pdf: { type: 'application/pdf', magic: [[0x25, 0x50, 0x44, 0x46]], purposes: ['notice'] },
  png: { type: 'image/png', magic: [[0x89, 0x50, 0x4e, 0x47]], purposes: ['notice', 'sheet'] },
  jpg: { type: 'image/jpeg', magic: [[0xff, 0xd8, 0xff]], purposes: ['notice', 'sheet'] },
  jpeg: { type: 'image/jpeg', magic: [[0xff, 0xd8, 0xff]], purposes: ['notice', 'sheet'] },
  docx: { type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document', magic: [[0x50, 0x4b, 0x03, 0x04]], purposes: ['notice'] },
  xlsx: { type: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', magic: [[0x50, 0x4b, 0x03, 0x04]], purposes: ['notice'] },
  txt: { type: 'text/plain; charset=utf-8', purposes: ['notice'] },
  // An ID3 tag, or straight into an MPEG audio frame (sync bits, layer III).
  mp3: { type: 'audio/mpeg', magic: [ascii('ID3'), [0xff, 0xfb], [0xff, 0xfa], [0xff, 0xf3], [0xff, 0xf2], [0xff, 0xe3]], purposes: ['instructions'] },
  // MPEG-4 audio: a box size, then the `ftyp` box.
  m4a: { type: 'audio/mp4', magic: [[null, null, null, null, ...ascii('ftyp')]], purposes: ['instructions'] },
  // Raw AAC in ADTS frames (MPEG-4 or MPEG-2, no CRC or with).
  aac: {
    type: 'audio/aac',
    magic: [
      [0xff, 0xf1],
      [0xff, 0xf9],
      [0xff, 0xf0],
      [0xff, 0xf8],
    ],
    purposes: ['instructions'],
  },
  ogg: { type: 'audio/ogg', magic: [ascii('OggS')], purposes: ['instructions'] },
  oga: { type: 'audio/ogg', magic: [ascii('OggS')], purposes: ['instructions'] },
  opus: { type: 'audio/ogg', magic: [ascii('OggS')], purposes: ['instructions'] },
  wav: { type: 'audio/wav', magic: [[...ascii('RIFF'), null, null, null, null, ...ascii('WAVE')]], purposes: ['instructions'] },
  // Matroska's EBML header (WebM is Matroska).
  webm: { type: 'audio/webm', magic: [[0x1a, 0x45, 0xdf, 0xa3]], purposes: ['instructions'] },
};

export const allowedExtensions = (purpose: AttachmentPurpose) =>
  Object.entries(FILE_TYPES)
    .filter(([, t]) => t.purposes.includes(purpose))
    .map(([ext]) => ext);

/**
 * Notice files change until entry opens (candidates accept them); so does the spoken
 * instructions' audio (every candidate in the exam hears the same words); sheet images until the start.
 */
function assertAttachmentsOpen(exam: Exam, purpose: AttachmentPurpose, now: Date) {
  if (purpose === 'notice' && examUnderWay(exam, now)) throw new AppError('CONFLICT', 'adminExams.attachmentsLocked');
  if (purpose === 'instructions' && examUnderWay(exam, now)) throw new AppError('CONFLICT', 'adminExams.instructionsLocked');
  if (purpose === 'sheet' && examStarted(exam, now)) throw new AppError('CONFLICT', 'adminExams.sheetsLocked');
}

export function listAttachments({ db, examId, purpose }: { db: DbOrTx; examId: number; purpose?: AttachmentPurpose }) {
  examOrThrow(db, examId);
  return db
    .select({
      id: examAttachments.id,
      fileName: examAttachments.fileName,
      contentType: examAttachments.contentType,
      purpose: examAttachments.purpose,
      size: sql<number>`length(${examAttachments.content})`,
      createdAt: examAttachments.createdAt,
    })
    .from(examAttachments)
    .where(and(eq(examAttachments.examId, examId), purpose ? eq(examAttachments.purpose, purpose) : undefined))
    .orderBy(asc(examAttachments.id))
    .all();
}

/**
 * An uploaded file checked for its purpose: a known extension, within the size bound, and
 * content that starts as that extension's files do.
 */
export function checkedUpload({ fileName, contentBase64, purpose }: { fileName: string; contentBase64: string; purpose: AttachmentPurpose }) {
  // Keep the last path segment only: a browser may send "C:\fakepath\x.pdf".
  const name = fileName.split(/[\\/]/).pop()!.trim().slice(0, 200);
  const ext = name.includes('.') ? name.split('.').pop()!.toLowerCase() : '';
  const type = FILE_TYPES[ext];
  if (!name || !type || !type.purposes.includes(purpose))
    throw new AppError('BAD_REQUEST', 'adminExams.fileType', { allowed: allowedExtensions(purpose).join(', ') });
  const content = Buffer.from(contentBase64, 'base64');
  if (content.length === 0) throw new AppError('BAD_REQUEST', 'adminExams.fileEmpty');
  if (content.length > MAX_BYTES[purpose]) throw new AppError('BAD_REQUEST', 'adminExams.fileTooLarge', { maxMb: MAX_BYTES[purpose] / 1024 / 1024 });
  if (type.magic && !type.magic.some((m) => m.every((b, i) => b === null || content[i] === b)))
    throw new AppError('BAD_REQUEST', 'adminExams.fileContent', { ext });
  return { name, contentType: type.type, content };
}

export function uploadAttachment({
  db,
  actorId,
  examId,
  fileName,
  contentBase64,
  purpose,
  now = new Date(),
}: Actor & { examId: number; fileName: string; contentBase64: string; purpose: AttachmentPurpose }) {
  const { name, contentType, content } = checkedUpload({ fileName, contentBase64, purpose });
  return db.transaction((tx) => {
    const exam = editableExam(tx, examId);
    assertAttachmentsOpen(exam, purpose, now);
    const row = addAttachment({ db: tx, examId, fileName: name, contentType, content, purpose });
    audit(tx, { actorId, action: 'attachment.added', examId, detail: { attachmentId: row.id, fileName: name, purpose, size: content.length }, at: now });
    return { ...row, contentType, size: content.length };
  });
}

export function deleteAttachment({ db, actorId, examId, attachmentId, now = new Date() }: Actor & { examId: number; attachmentId: number }) {
  return db.transaction((tx) => {
    const exam = editableExam(tx, examId);
    const file = tx
      .select({ id: examAttachments.id, fileName: examAttachments.fileName, purpose: examAttachments.purpose })
      .from(examAttachments)
      .where(and(eq(examAttachments.id, attachmentId), eq(examAttachments.examId, examId)))
      .get();
    if (!file) throw new AppError('NOT_FOUND', 'adminExams.attachmentNotFound');
    assertAttachmentsOpen(exam, file.purpose, now);
    if (file.purpose === 'sheet') {
      const used = tx
        .select({ title: questionSheets.title, body: questionSheets.body })
        .from(questionSheets)
        .where(eq(questionSheets.examId, examId))
        .all()
        .find((s) => sheetImageIds(s.body).includes(attachmentId));
      if (used) throw new AppError('CONFLICT', 'adminExams.imageInUse', { sheet: used.title });
    }
    tx.delete(examAttachments).where(eq(examAttachments.id, attachmentId)).run();
    audit(tx, { actorId, action: 'attachment.deleted', examId, detail: { attachmentId, fileName: file.fileName, purpose: file.purpose }, at: now });
    return { ok: true as const };
  });
}

/* ------------------------------------------------------------------ preset warnings */

/** The invigilators' presets (services/invigilate), as an admin; an archived exam's stay as they are. */
export function examPresets({ db, caller, examId }: { db: Db; caller: StaffCaller; examId: number }) {
  return listPresets({ db, caller, examId });
}

export function addExamPreset({ db, caller, examId, text, now = new Date() }: { db: Db; caller: StaffCaller; examId: number; text: string; now?: Date }) {
  editableExam(db, examId);
  return addPreset({ db, caller, examId, text, now });
}

export function removeExamPreset({
  db,
  caller,
  examId,
  presetId,
  now = new Date(),
}: {
  db: Db;
  caller: StaffCaller;
  examId: number;
  presetId: number;
  now?: Date;
}) {
  editableExam(db, examId);
  const preset = db
    .select({ id: presetMessages.id })
    .from(presetMessages)
    .where(and(eq(presetMessages.id, presetId), eq(presetMessages.examId, examId)))
    .get();
  if (!preset) throw new AppError('NOT_FOUND', 'invigilate.presetNotFound');
  return removePreset({ db, caller, presetId, now });
}
