import { and, desc, eq, gte, inArray, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Db } from '@/db/client';
import { auditLog, examRooms, exams, users } from '@/db/schema';
import { serverTranslator } from '../../i18n/messages';
import type { Locale } from '../../i18n/config';
import { localTime } from './common';
import { csvPieces } from './exports';

export type AuditFilter = {
  examId?: number;
  actorId?: number;
  action?: string;
  from?: Date;
  /** Inclusive. */
  to?: Date;
};

const actor = alias(users, 'actor');
const candidate = alias(users, 'audit_candidate');
const room = alias(examRooms, 'audit_room');

/**
 * The exam a row belongs to. Back-office rows name it; rows written in a room (the grid's
 * actions) name only the room; a few name it in their detail (presets, exam-wide messages).
 */
const rowExamId = sql<number | null>`coalesce(${auditLog.examId}, ${room.examId}, json_extract(${auditLog.detail}, '$.examId'))`;

function whereOf(f: AuditFilter, cursor?: number): SQL | undefined {
  const conds: (SQL | undefined)[] = [];
  if (f.examId != null) {
    conds.push(
      or(
        eq(auditLog.examId, f.examId),
        inArray(auditLog.roomId, sql`(select ${examRooms.id} from ${examRooms} where ${examRooms.examId} = ${f.examId})`),
        and(sql`${auditLog.examId} is null`, sql`json_extract(${auditLog.detail}, '$.examId') = ${f.examId}`),
      ),
    );
  }
  if (f.actorId != null) conds.push(eq(auditLog.actorId, f.actorId));
  if (f.action) conds.push(eq(auditLog.action, f.action));
  if (f.from) conds.push(gte(auditLog.at, f.from));
  if (f.to) conds.push(lte(auditLog.at, f.to));
  if (cursor != null) conds.push(lt(auditLog.id, cursor));
  return and(...conds);
}

function page(db: Db, f: AuditFilter, limit: number, cursor?: number) {
  return db
    .select({
      id: auditLog.id,
      at: auditLog.at,
      action: auditLog.action,
      detail: auditLog.detail,
      actorId: auditLog.actorId,
      actorName: actor.name,
      actorRole: actor.role,
      examId: rowExamId,
      examTitle: exams.title,
      roomId: auditLog.roomId,
      roomName: room.name,
      candidateId: auditLog.candidateId,
      candidateName: candidate.name,
      candidateIdNumber: candidate.idNumber,
    })
    .from(auditLog)
    .innerJoin(actor, eq(actor.id, auditLog.actorId))
    .leftJoin(room, eq(room.id, auditLog.roomId))
    .leftJoin(exams, eq(exams.id, rowExamId))
    .leftJoin(candidate, eq(candidate.id, auditLog.candidateId))
    .where(whereOf(f, cursor))
    .orderBy(desc(auditLog.id))
    .limit(limit)
    .all();
}

export type AuditListItem = ReturnType<typeof page>[number];

/** Newest first; `nextCursor` (the last id) fetches the following page, null at the end. */
export function listAudit({ db, filter, cursor, limit }: { db: Db; filter: AuditFilter; cursor?: number; limit: number }) {
  const rows = page(db, filter, limit + 1, cursor);
  const items = rows.slice(0, limit);
  return { items, nextCursor: rows.length > limit ? items[items.length - 1]!.id : null };
}

/** What the filters can choose from: actions that occur in the log, and the exams. */
export function auditFilterOptions({ db }: { db: Db }) {
  return {
    actions: db
      .selectDistinct({ action: auditLog.action })
      .from(auditLog)
      .orderBy(auditLog.action)
      .all()
      .map((r) => r.action),
    exams: db.select({ id: exams.id, title: exams.title, startsAt: exams.startsAt }).from(exams).orderBy(desc(exams.startsAt)).all(),
  };
}

/** Namespaces whose `auditActions` word an action (dots become `_`): this area's first, then the other back-office areas'. */
export const AUDIT_ACTION_NAMESPACES = ['adminAudit', 'adminExams', 'adminCandidates', 'adminPhotos', 'adminRooms', 'adminStaff'] as const;

/** The label of an action in the given translator, or the raw action when no namespace words it. */
export function actionLabel(t: { (key: string): string; has(key: string): boolean }, action: string) {
  const key = action.replaceAll('.', '_');
  for (const ns of AUDIT_ACTION_NAMESPACES) {
    const full = `${ns}.auditActions.${key}`;
    if (t.has(full)) return t(full);
  }
  return action;
}

const EXPORT_PAGE = 1000;

/** The filtered log as CSV pieces, newest first, read a page at a time. */
export function auditExport({ db, filter, locale }: { db: Db; filter: AuditFilter; locale: Locale }) {
  const t = serverTranslator(locale) as unknown as { (key: string): string; has(key: string): boolean };
  const header = ['time', 'actor', 'actorRole', 'action', 'actionCode', 'exam', 'room', 'candidate', 'idNumber', 'detail'].map((k) =>
    t(`adminAudit.columns.${k}`),
  );
  function* batches() {
    let cursor: number | undefined;
    for (;;) {
      const rows = page(db, filter, EXPORT_PAGE, cursor);
      if (!rows.length) return;
      cursor = rows[rows.length - 1]!.id;
      yield rows.map((r) => [
        localTime(r.at),
        r.actorName,
        t(`adminAudit.roles.${r.actorRole}`),
        actionLabel(t, r.action),
        r.action,
        r.examTitle,
        r.roomName,
        r.candidateName,
        r.candidateIdNumber,
        JSON.stringify(r.detail ?? {}),
      ]);
      if (rows.length < EXPORT_PAGE) return;
    }
  }
  return { fileName: `audit-${localTime(new Date()).slice(0, 10)}.csv`, pieces: csvPieces(header, batches()) };
}
