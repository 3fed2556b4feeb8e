import { and, asc, count, eq, inArray, isNotNull, isNull, ne, or, sql, type SQL } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { answers, events, examRooms, flags, recordings, registrations, users } from '@/db/schema';
import { AppError, type ErrorKey } from '../../errors';
import type { Locale } from '../../i18n/config';
import { serverTranslator } from '../../i18n/messages';
import { compareNatural } from '../../natural-order';
import { audit } from '../audit';
import { countWithoutReference, hasReferences } from '../face-references';
import { endSessions, generatePassword, hashPassword, NO_PASSWORD, PASSWORD_MIN } from '../auth';
import { candidateOrThrow, editableExam, examOrThrow, localTime, toCsv } from './common';
import { checkCandidateFields, type CandidateFields } from './import';

/** The back office's candidate list and the changes staff make to one candidate. */

export type Placed = 'all' | 'placed' | 'unplaced';

const escapeLike = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

function listWhere(examId: number, q?: string, placed: Placed = 'all') {
  const parts: (SQL | undefined)[] = [eq(registrations.examId, examId)];
  const term = q?.trim();
  if (term) {
    const p = `%${escapeLike(term)}%`;
    const id = `%${escapeLike(term.toUpperCase())}%`;
    parts.push(
      or(
        sql`${users.name} like ${p} escape '\\'`,
        sql`${users.idNumber} like ${id} escape '\\'`,
        sql`${users.phone} like ${p} escape '\\'`,
        sql`${users.email} like ${p} escape '\\'`,
      ),
    );
  }
  if (placed === 'placed') parts.push(isNotNull(registrations.roomId));
  if (placed === 'unplaced') parts.push(isNull(registrations.roomId));
  return and(...parts);
}

const listColumns = {
  candidateId: users.id,
  registrationId: registrations.id,
  name: users.name,
  idNumber: users.idNumber,
  phone: users.phone,
  email: users.email,
  roomId: registrations.roomId,
  roomName: examRooms.name,
  seat: registrations.seat,
  passwordLoginEnabled: users.passwordLoginEnabled,
  hasPassword: sql<boolean>`${users.passwordHash} <> ''`.mapWith(Boolean),
  enteredAt: registrations.enteredAt,
  finishedAt: registrations.finishedAt,
};

export function listCandidates(opts: { db: DbOrTx; examId: number; q?: string; placed?: Placed; page: number; pageSize: number }) {
  const { db, examId, page, pageSize } = opts;
  examOrThrow(db, examId);
  const where = listWhere(examId, opts.q, opts.placed);
  const total = db.select({ n: count() }).from(registrations).innerJoin(users, eq(users.id, registrations.candidateId)).where(where).get()!.n;
  const rows = db
    .select(listColumns)
    .from(registrations)
    .innerJoin(users, eq(users.id, registrations.candidateId))
    .leftJoin(examRooms, eq(examRooms.id, registrations.roomId))
    .where(where)
    .orderBy(asc(registrations.id))
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .all();
  // Who still lacks a reference photo (face login needs one); the photos themselves stay unread.
  const withPhoto = hasReferences({ db, candidateIds: rows.map((r) => r.candidateId) });
  const totals = db
    .select({ all: count(), placed: count(registrations.roomId) })
    .from(registrations)
    .where(eq(registrations.examId, examId))
    .get()!;
  return {
    rows: rows.map((r) => ({ ...r, hasPhoto: withPhoto.has(r.candidateId) })),
    total,
    page,
    pageSize,
    counts: { all: totals.all, placed: totals.placed, unplaced: totals.all - totals.placed },
    withoutPhoto: countWithoutReference({ db, examId }),
  };
}

/** Edits a candidate's own fields, checked like an import row; the ID number stays unique. */
export function updateCandidate(opts: { db: Db; actorId: number; candidateId: number; examId?: number; fields: CandidateFields }) {
  const { db, actorId, candidateId } = opts;
  const { values, problems } = checkCandidateFields(opts.fields);
  if (problems.length) {
    const p = problems[0]!;
    throw new AppError('BAD_REQUEST', `adminCandidates.invalid.${p.key}` as ErrorKey, { ...(p.params ?? {}) });
  }
  return db.transaction((tx) => {
    const before = candidateOrThrow(tx, candidateId);
    const clash = tx
      .select({ id: users.id })
      .from(users)
      .where(and(eq(users.idNumber, values.idNumber), ne(users.id, candidateId)))
      .get();
    if (clash) throw new AppError('CONFLICT', 'adminCandidates.idTaken');
    const next = { name: values.name, idNumber: values.idNumber, phone: values.phone || null, email: values.email || null };
    const changed = (Object.keys(next) as (keyof typeof next)[]).filter((k) => before[k] !== next[k]);
    if (!changed.length) return { changed };
    tx.update(users).set(next).where(eq(users.id, candidateId)).run();
    audit(tx, { actorId, action: 'candidate.updated', examId: opts.examId ?? null, candidateId, detail: { fields: changed } });
    return { changed };
  });
}

/** The manual's back-office switch: may this candidate log in with a password. */
export function setPasswordLogin(opts: { db: Db; actorId: number; candidateId: number; enabled: boolean; examId?: number }) {
  const { db, actorId, candidateId, enabled } = opts;
  return db.transaction((tx) => {
    const user = candidateOrThrow(tx, candidateId);
    if (user.passwordLoginEnabled === enabled) return { enabled, hasPassword: user.passwordHash !== NO_PASSWORD };
    tx.update(users).set({ passwordLoginEnabled: enabled }).where(eq(users.id, candidateId)).run();
    // Switched off: whoever is logged in with the password is logged out too.
    if (!enabled) endSessions({ db: tx, userId: candidateId });
    audit(tx, {
      actorId,
      action: enabled ? 'candidate.password_login_enabled' : 'candidate.password_login_disabled',
      examId: opts.examId ?? null,
      candidateId,
    });
    return { enabled, hasPassword: user.passwordHash !== NO_PASSWORD };
  });
}

/**
 * Sets the given password or a generated one, and switches password login on (a password the
 * candidate cannot use would be a trap). The generated password is returned once and never stored.
 */
export async function setCandidatePassword(opts: { db: Db; actorId: number; candidateId: number; password?: string; examId?: number }) {
  const { db, actorId, candidateId } = opts;
  candidateOrThrow(db, candidateId);
  const password = opts.password ?? generatePassword();
  if (password.length < PASSWORD_MIN) throw new AppError('BAD_REQUEST', 'adminCandidates.passwordTooShort', { min: PASSWORD_MIN });
  const passwordHash = await hashPassword(password);
  db.transaction((tx) => {
    candidateOrThrow(tx, candidateId);
    tx.update(users).set({ passwordHash, passwordLoginEnabled: true }).where(eq(users.id, candidateId)).run();
    // A new password ends the sessions opened with the old one.
    endSessions({ db: tx, userId: candidateId });
    audit(tx, { actorId, action: 'candidate.password_set', examId: opts.examId ?? null, candidateId, detail: { generated: opts.password === undefined } });
  });
  return { generatedPassword: opts.password === undefined ? password : null, passwordLoginEnabled: true };
}

/** Whether a registration has anything worth keeping: then it is not removed. */
function hasHistory(
  db: DbOrTx,
  reg: { id: number; examId: number; candidateId: number; enteredAt: Date | null; finishedAt: Date | null; lotDrawnAt: Date | null },
) {
  if (reg.enteredAt || reg.finishedAt || reg.lotDrawnAt) return true;
  const roomIds = db
    .select({ id: examRooms.id })
    .from(examRooms)
    .where(eq(examRooms.examId, reg.examId))
    .all()
    .map((r) => r.id);
  const inRooms = (col: typeof events.roomId | typeof flags.roomId) => (roomIds.length ? inArray(col, roomIds) : sql`0`);
  return Boolean(
    db
      .select({ id: events.id })
      .from(events)
      .where(and(eq(events.candidateId, reg.candidateId), inRooms(events.roomId)))
      .limit(1)
      .get() ||
    db
      .select({ id: flags.id })
      .from(flags)
      .where(and(eq(flags.candidateId, reg.candidateId), inRooms(flags.roomId)))
      .limit(1)
      .get() ||
    db.select({ q: answers.questionId }).from(answers).where(eq(answers.registrationId, reg.id)).limit(1).get() ||
    db
      .select({ id: recordings.id })
      .from(recordings)
      .where(and(eq(recordings.candidateId, reg.candidateId), eq(recordings.examId, reg.examId)))
      .limit(1)
      .get(),
  );
}

/** Removes a registration made by mistake; refused once the candidate has any history in the exam. */
export function unregisterCandidate(opts: { db: Db; actorId: number; examId: number; candidateId: number }) {
  const { db, actorId, examId, candidateId } = opts;
  return db.transaction((tx) => {
    editableExam(tx, examId);
    const reg = tx
      .select()
      .from(registrations)
      .where(and(eq(registrations.examId, examId), eq(registrations.candidateId, candidateId)))
      .get();
    if (!reg) throw new AppError('NOT_FOUND', 'adminCandidates.notRegistered');
    if (hasHistory(tx, reg)) throw new AppError('CONFLICT', 'adminCandidates.hasHistory');
    tx.delete(registrations).where(eq(registrations.id, reg.id)).run();
    audit(tx, { actorId, action: 'candidate.unregistered', examId, candidateId, roomId: reg.roomId, detail: { seat: reg.seat } });
    return { ok: true as const };
  });
}

export const CSV_COLUMNS = ['name', 'idNumber', 'phone', 'email', 'room', 'seat', 'passwordLogin', 'enteredAt', 'finishedAt'] as const;

/** The candidate list of an exam as CSV, headings in the reader's language, times in exam time (China). */
export function candidatesCsv(opts: { db: DbOrTx; examId: number; locale: Locale }) {
  const { db, examId } = opts;
  const exam = examOrThrow(db, examId);
  const tr = serverTranslator(opts.locale);
  const rows = db
    .select(listColumns)
    .from(registrations)
    .innerJoin(users, eq(users.id, registrations.candidateId))
    .leftJoin(examRooms, eq(examRooms.id, registrations.roomId))
    .where(eq(registrations.examId, examId))
    .all()
    // Unplaced first (no room), then rooms in natural order, seats in order.
    .sort(
      (a, b) =>
        Number(a.roomName != null) - Number(b.roomName != null) ||
        compareNatural(a.roomName ?? '', b.roomName ?? '') ||
        (a.seat ?? 0) - (b.seat ?? 0) ||
        a.registrationId - b.registrationId,
    );
  const csv = toCsv(
    CSV_COLUMNS.map((c) => tr(`adminCandidates.csv.columns.${c}`)),
    rows.map((r) => [
      r.name,
      r.idNumber,
      r.phone,
      r.email,
      r.roomName,
      r.seat,
      tr(r.passwordLoginEnabled ? 'adminCandidates.csv.yes' : 'adminCandidates.csv.no'),
      localTime(r.enteredAt),
      localTime(r.finishedAt),
    ]),
  );
  return { fileName: `${tr('adminCandidates.csv.fileName')}-${exam.title}.csv`, csv };
}
