import { z } from 'zod';
import { auditFilterOptions, listAudit } from '../../services/admin/audit-log';
import { adminProcedure, router } from '../../trpc/init';

const id = z.number().int().positive();

export const ZAuditFilter = z.object({
  examId: id.optional(),
  actorId: id.optional(),
  action: z.string().trim().min(1).max(100).optional(),
  from: z.date().optional(),
  /** Inclusive. */
  to: z.date().optional(),
});
export type TAuditFilter = z.infer<typeof ZAuditFilter>;

export const ZAuditListInput = ZAuditFilter.extend({
  cursor: id.optional(),
  limit: z.number().int().min(1).max(200).default(50),
});
export type TAuditListInput = z.infer<typeof ZAuditListInput>;

export const adminAuditRouter = router({
  /** Staff actions, newest first, filtered; page on with `nextCursor`. */
  list: adminProcedure.input(ZAuditListInput).query(({ ctx, input: { cursor, limit, ...filter } }) => listAudit({ db: ctx.db, filter, cursor, limit })),
  /** The actions that occur in the log and the exams, for the filters. */
  filters: adminProcedure.query(({ ctx }) => auditFilterOptions({ db: ctx.db })),
});
