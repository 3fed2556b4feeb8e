import { eq } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { examRooms, exams, users, type Exam, type ExamRoom } from '@/db/schema';
import { AppError } from '../../errors';
import { APP_TIME_ZONE } from '../../i18n/config';

/** A back-office change: admins only (adminProcedure), so the actor is just who the audit row names. */
export type Actor = { db: Db; actorId: number; now?: Date };

/**
 * Shared row checks of the back office. The procedure builder has vouched for the role (admin);
 * these check the rows.
 */

/** The exam, or NOT_FOUND. */
export function examOrThrow(db: DbOrTx, examId: number): Exam {
  const exam = db.select().from(exams).where(eq(exams.id, examId)).get();
  if (!exam) throw new AppError('NOT_FOUND', 'admin.examNotFound');
  return exam;
}

/** The exam, for a change: NOT_FOUND, or CONFLICT when it is archived. */
export function editableExam(db: DbOrTx, examId: number): Exam {
  const exam = examOrThrow(db, examId);
  if (exam.archivedAt) throw new AppError('CONFLICT', 'admin.examArchived');
  return exam;
}

/**
 * An exam is under way from the moment its entry window opens: candidates may be inside. From
 * then on only safe changes are allowed (see the exams service).
 */
export const examUnderWay = (exam: Pick<Exam, 'entryOpensAt'>, now: Date) => now >= exam.entryOpensAt;

/** The room and its exam, or NOT_FOUND. */
export function roomOrThrow(db: DbOrTx, roomId: number): { room: ExamRoom; exam: Exam } {
  const row = db
    .select({ room: examRooms, exam: exams })
    .from(examRooms)
    .innerJoin(exams, eq(exams.id, examRooms.examId))
    .where(eq(examRooms.id, roomId))
    .get();
  if (!row) throw new AppError('NOT_FOUND', 'admin.roomNotFound');
  return row;
}

/** A candidate's account, or NOT_FOUND (staff accounts are not candidates). */
export function candidateOrThrow(db: DbOrTx, candidateId: number) {
  const user = db.select().from(users).where(eq(users.id, candidateId)).get();
  if (!user || user.role !== 'candidate') throw new AppError('NOT_FOUND', 'admin.candidateNotFound');
  return user;
}

/** A plain decimal (`-12`, `3.5`, `-0.25`), the only text starting with `-` a spreadsheet may read as is. */
const STRICT_NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * A cell a spreadsheet would run as a formula gets a leading apostrophe. Only strict numbers are
 * exempt: testing the first digit alone let `-2+3+cmd|' /C calc'!A0` through.
 */
function csvSafe(s: string): string {
  return /^[=+\-@\t\r]/.test(s) && !STRICT_NUMBER.test(s) ? `'${s}` : s;
}

/** Formats rows as CSV (RFC 4180, CRLF, a BOM so that Excel reads UTF-8), each cell through `csvSafe`. */
export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cell = (v: unknown) => {
    const s = csvSafe(v == null ? '' : v instanceof Date ? v.toISOString() : String(v));
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return `\uFEFF${[header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`;
}

const timeFormat = new Intl.DateTimeFormat('sv-SE', {
  timeZone: APP_TIME_ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
/** Exam-local time (the exams are held in China), as a spreadsheet reads it: `2026-06-01 09:30:00`. */
export const localTime = (d: Date | null | undefined) => (d ? timeFormat.format(d) : '');
