import { z } from 'zod';
import { serverTranslator } from '../../i18n/messages';
import type { Locale } from '../../i18n/config';
import { actionLabel, auditFilterOptions, listAudit } from '../../services/admin/audit-log';
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

/** Actions worded in the caller's language, as the CSV export words them. */
const labeller = (locale: Locale) => {
  const t = serverTranslator(locale) as unknown as Parameters<typeof actionLabel>[0];
  return (action: string) => actionLabel(t, action);
};

export const adminAuditRouter = router({
  /** Staff actions, newest first, filtered; page on with `nextCursor`. */
  list: adminProcedure.input(ZAuditListInput).query(({ ctx, input: { cursor, limit, ...filter } }) => {
    const label = labeller(ctx.locale);
    const page = listAudit({ db: ctx.db, filter, cursor, limit });
    return { ...page, items: page.items.map((item) => ({ ...item, actionLabel: label(item.action) })) };
  }),
  /** The actions that occur in the log (with their wording) and the exams, for the filters. */
  filters: adminProcedure.query(({ ctx }) => {
    const label = labeller(ctx.locale);
    const options = auditFilterOptions({ db: ctx.db });
    return { ...options, actionLabels: Object.fromEntries(options.actions.map((a) => [a, label(a)])) };
  }),
});
