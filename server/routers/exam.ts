import { z } from 'zod';
import { DISPLAY_STATES } from '@/db/schema';
import { MAX_FACES } from '../face/human-config';
import { FACE_SIGNALS, isFaceStart } from '../face/signals';
import {
  acceptNotice,
  confirmInfo,
  drawLot,
  enterExam,
  examNotice,
  examSession,
  finishExam,
  INTEGRITY_SIGNALS,
  listCandidateExams,
  markNoticeRead,
  questionMaterial,
  reportIntegrity,
} from '../services/exams';
import { claimExamPage, savePageAnswers } from '../services/exam-page';
import { candidateProcedure, router } from '../trpc/init';
import { ZStill } from './invigilate';

export const ZExamInput = z.object({ examId: z.number().int().positive() });
export type TExamInput = z.infer<typeof ZExamInput>;

export const ZEnterExamInput = ZExamInput.extend({ displays: z.enum(DISPLAY_STATES).default('unknown') });
export type TEnterExamInput = z.infer<typeof ZEnterExamInput>;

/** One exam page (a tab): a random id it makes when it opens. */
const ZInstanceId = z.string().uuid();

export const ZClaimPageInput = ZExamInput.extend({ instanceId: ZInstanceId });
export type TClaimPageInput = z.infer<typeof ZClaimPageInput>;

export const ZSaveAnswersInput = ZExamInput.extend({
  /** The saving page's claim (exam.claimPage); absent from a page that has not claimed. */
  epoch: z.number().int().nonnegative().optional(),
  answers: z
    .array(
      z.object({
        questionId: z.string().min(1).max(64),
        value: z.union([z.string().max(20_000), z.array(z.string().max(200)).max(50)]),
        revision: z.number().int().positive(),
      }),
    )
    .min(1)
    .max(200),
});
export type TSaveAnswersInput = z.infer<typeof ZSaveAnswersInput>;

export const ZFinishInput = ZExamInput.extend({ reason: z.enum(['submitted', 'ended', 'timeout']) });
export type TFinishInput = z.infer<typeof ZFinishInput>;

/** What a face signal carries beside its still: counts, a similarity and angles, each bounded. */
export const ZFaceDetail = z
  .object({
    faces: z.number().int().min(0).max(MAX_FACES),
    similarity: z.number().min(-1).max(1),
    /** Head pose, degrees. */
    yaw: z.number().min(-180).max(180),
    pitch: z.number().min(-180).max(180),
    /** How long the condition had lasted when reported. */
    seconds: z.number().int().min(0).max(86_400),
  })
  .partial()
  .strict();

export const ZIntegrityInput = ZExamInput.extend({
  signal: z.enum(INTEGRITY_SIGNALS),
  /** When the page saw it, on server time; queued signals arrive late but keep their moment. */
  at: z.coerce.date(),
  detail: z.string().max(500).optional(),
  face: ZFaceDetail.optional(),
  /** Evidence for the flag a face signal raises: only a condition's start raises one. */
  still: ZStill.optional(),
})
  .refine((i) => !i.face || (FACE_SIGNALS as readonly string[]).includes(i.signal), { path: ['face'] })
  .refine((i) => !i.still || isFaceStart(i.signal), { path: ['still'] });
export type TIntegrityInput = z.infer<typeof ZIntegrityInput>;

export const examRouter = router({
  listMine: candidateProcedure.query(({ ctx }) => listCandidateExams({ db: ctx.db, candidateId: ctx.caller.id })),

  notice: candidateProcedure.input(ZExamInput).query(({ ctx, input }) => examNotice({ db: ctx.db, candidateId: ctx.caller.id, examId: input.examId })),

  accept: candidateProcedure.input(ZExamInput).mutation(({ ctx, input }) => acceptNotice({ db: ctx.db, candidateId: ctx.caller.id, examId: input.examId })),

  drawLot: candidateProcedure.input(ZExamInput).mutation(({ ctx, input }) => drawLot({ db: ctx.db, candidateId: ctx.caller.id, examId: input.examId })),

  enter: candidateProcedure
    .input(ZEnterExamInput)
    .mutation(({ ctx, input }) => enterExam({ db: ctx.db, candidateId: ctx.caller.id, examId: input.examId, displays: input.displays })),

  session: candidateProcedure.input(ZExamInput).query(({ ctx, input }) => examSession({ db: ctx.db, candidateId: ctx.caller.id, examId: input.examId })),

  questions: candidateProcedure.input(ZExamInput).query(({ ctx, input }) => questionMaterial({ db: ctx.db, candidateId: ctx.caller.id, examId: input.examId })),

  claimPage: candidateProcedure
    .input(ZClaimPageInput)
    .mutation(({ ctx, input }) => claimExamPage({ db: ctx.db, bus: ctx.bus, candidateId: ctx.caller.id, examId: input.examId, instanceId: input.instanceId })),

  saveAnswers: candidateProcedure
    .input(ZSaveAnswersInput)
    .mutation(({ ctx, input }) =>
      savePageAnswers({ db: ctx.db, bus: ctx.bus, candidateId: ctx.caller.id, examId: input.examId, epoch: input.epoch, items: input.answers }),
    ),

  confirmInfo: candidateProcedure.input(ZExamInput).mutation(({ ctx, input }) => confirmInfo({ db: ctx.db, candidateId: ctx.caller.id, examId: input.examId })),

  readNotice: candidateProcedure
    .input(ZExamInput)
    .mutation(({ ctx, input }) => markNoticeRead({ db: ctx.db, candidateId: ctx.caller.id, examId: input.examId })),

  finish: candidateProcedure
    .input(ZFinishInput)
    .mutation(({ ctx, input }) => finishExam({ db: ctx.db, candidateId: ctx.caller.id, examId: input.examId, reason: input.reason })),

  reportIntegrity: candidateProcedure.input(ZIntegrityInput).mutation(({ ctx, input }) =>
    reportIntegrity({
      db: ctx.db,
      candidateId: ctx.caller.id,
      examId: input.examId,
      signal: input.signal,
      at: input.at,
      detail: input.detail,
      face: input.face,
      still: input.still,
    }),
  ),
});
