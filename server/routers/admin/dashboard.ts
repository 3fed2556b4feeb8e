import { z } from 'zod';
import { examDashboard } from '../../services/admin/dashboard';
import { adminProcedure, router } from '../../trpc/init';

export const ZDashboardInput = z.object({ examId: z.number().int().positive() });
export type TDashboardInput = z.infer<typeof ZDashboardInput>;

export const adminDashboardRouter = router({
  /** Live counts of an exam by candidate state, per room and in total (polled by the page). */
  byExam: adminProcedure.input(ZDashboardInput).query(({ ctx, input }) => examDashboard({ db: ctx.db, examId: input.examId })),
});
