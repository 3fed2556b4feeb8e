import type { DbOrTx } from '@/db/client';
import { auditLog } from '@/db/schema';

export type AuditRow = {
  actorId: number;
  /** Dotted verb, e.g. `exam.updated`, `candidate.password_login_enabled`; worded by the audit page. */
  action: string;
  examId?: number | null;
  roomId?: number | null;
  candidateId?: number | null;
  detail?: Record<string, unknown>;
  at?: Date;
};

/** One row per staff action, in the caller's transaction: no action without its record. */
export function audit(db: DbOrTx, row: AuditRow) {
  db.insert(auditLog)
    .values({
      actorId: row.actorId,
      action: row.action,
      examId: row.examId ?? null,
      roomId: row.roomId ?? null,
      candidateId: row.candidateId ?? null,
      detail: row.detail ?? {},
      at: row.at ?? new Date(),
    })
    .run();
}
