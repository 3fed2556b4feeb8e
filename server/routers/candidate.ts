import { z } from 'zod';
import { DISPLAY_STATES } from '@/db/schema';
import { latestChecks, markProcessSeen, profile, recordDeviceCheck, recordSystemCheck, updateProfile } from '../services/candidates';
import { candidateProcedure, router } from '../trpc/init';

/** Mainland mobile numbers: 11 digits starting with 1. */
export const ZUpdateProfileInput = z.object({
  phone: z
    .string()
    .trim()
    .regex(/^1\d{10}$/),
  email: z.string().trim().email().max(200),
});
export type TUpdateProfileInput = z.infer<typeof ZUpdateProfileInput>;

export const ZSystemCheckInput = z.object({
  clockOffsetMs: z.number().int().min(-86_400_000).max(86_400_000),
  roundTripMs: z.number().int().min(0).max(60_000),
  appVersion: z.string().min(1).max(100),
  displays: z.enum(DISPLAY_STATES),
  mediaSupported: z.boolean(),
  userAgent: z.string().max(500),
});
export type TSystemCheckInput = z.infer<typeof ZSystemCheckInput>;

export const ZDeviceCheckInput = z.object({
  passed: z.boolean(),
  camera: z.string().max(200),
  microphone: z.string().max(200),
  peakLevel: z.number().min(0).max(1),
  recordedMs: z.number().int().min(0).max(120_000),
  /** The candidate's answer to the test sound: heard it through the speakers or not. */
  speakersOk: z.boolean(),
});
export type TDeviceCheckInput = z.infer<typeof ZDeviceCheckInput>;

export const candidateRouter = router({
  profile: candidateProcedure.query(({ ctx }) => profile({ db: ctx.db, candidateId: ctx.caller.id })),
  updateProfile: candidateProcedure
    .input(ZUpdateProfileInput)
    .mutation(({ ctx, input }) => updateProfile({ db: ctx.db, candidateId: ctx.caller.id, ...input })),
  reportSystemCheck: candidateProcedure
    .input(ZSystemCheckInput)
    .mutation(({ ctx, input }) => recordSystemCheck({ db: ctx.db, candidateId: ctx.caller.id, ...input })),
  reportDeviceCheck: candidateProcedure
    .input(ZDeviceCheckInput)
    .mutation(({ ctx, input }) => recordDeviceCheck({ db: ctx.db, candidateId: ctx.caller.id, ...input })),
  checks: candidateProcedure.query(({ ctx }) => latestChecks({ db: ctx.db, candidateId: ctx.caller.id })),
  /** The exam-process page was shown; `firstTime` when this is the first login's visit. */
  processSeen: candidateProcedure.mutation(({ ctx }) => markProcessSeen({ db: ctx.db, candidateId: ctx.caller.id })),
});
