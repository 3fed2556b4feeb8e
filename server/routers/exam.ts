import { z } from 'zod';
import { enterExam, listCandidateExams } from '../services/exams';
import { candidateProcedure, router } from '../trpc/init';

export const ZEnterExamInput = z.object({ examId: z.number().int().positive() });
export type TEnterExamInput = z.infer<typeof ZEnterExamInput>;

export const examRouter = router({
  listMine: candidateProcedure.query(({ ctx }) => listCandidateExams({ db: ctx.db, candidateId: ctx.user.id })),

  enter: candidateProcedure
    .input(ZEnterExamInput)
    .mutation(({ ctx, input }) => enterExam({ db: ctx.db, candidateId: ctx.user.id, examId: input.examId })),
});
