import { z } from 'zod';
import { sessionCookie } from '../http';
import {
  BIND_CODE_LENGTH,
  bindPhone,
  createBinding,
  PHONE_SESSION_COOKIE,
  phoneHeartbeat,
  phoneLivekitToken,
  phoneOverview,
  witnessStatusFor,
} from '../services/phone';
import { AppError } from '../errors';
import { candidateProcedure, phoneProcedure, publicProcedure, router } from '../trpc/init';

export const ZPhoneExamInput = z.object({ examId: z.number().int().positive() });
export type TPhoneExamInput = z.infer<typeof ZPhoneExamInput>;

export const ZBindInput = z.union([
  z.object({ token: z.string().trim().min(20).max(200) }),
  z.object({
    code: z
      .string()
      .trim()
      .regex(new RegExp(`^\\d{${BIND_CODE_LENGTH}}$`)),
  }),
]);
export type TBindInput = z.infer<typeof ZBindInput>;

export const ZHeartbeatInput = z.object({
  battery: z.object({ level: z.number().min(0).max(1), charging: z.boolean() }).nullable(),
});
export type THeartbeatInput = z.infer<typeof ZHeartbeatInput>;

export const phoneRouter = router({
  /** Candidate PC: a fresh QR link and bind code (the previous unused one stops working). */
  createBinding: candidateProcedure
    .input(ZPhoneExamInput)
    .mutation(({ ctx, input }) => createBinding({ db: ctx.db, candidateId: ctx.caller.id, examId: input.examId })),

  /** Candidate PC: bound / live / lost and the phone's battery. */
  status: candidateProcedure
    .input(ZPhoneExamInput)
    .query(({ ctx, input }) => witnessStatusFor({ db: ctx.db, candidateId: ctx.caller.id, examId: input.examId })),

  /** Phone: trades a QR token or a bind code for a device session cookie. */
  bind: publicProcedure.input(ZBindInput).mutation(async ({ ctx, input }) => {
    const bound = await bindPhone({ db: ctx.db, proof: input, client: ctx.client, userAgent: ctx.userAgent });
    ctx.resHeaders.append('set-cookie', sessionCookie(PHONE_SESSION_COOKIE, bound.session, bound.expiresAt, ctx.secureCookies));
    return { examId: bound.examId };
  }),

  /** Phone: what this phone is bound to, or why it is not (never bound, or replaced by another phone). */
  me: publicProcedure.query(async ({ ctx }) => {
    const session = ctx.phone;
    if (session.kind === 'active') return { kind: 'active' as const, ...phoneOverview({ db: ctx.db, device: session.device }) };
    return session.kind === 'revoked' ? { kind: 'revoked' as const, reason: session.reason } : { kind: 'none' as const };
  }),

  token: phoneProcedure.mutation(({ ctx }) => phoneLivekitToken({ db: ctx.db, device: ctx.phoneCaller.device })),

  heartbeat: phoneProcedure
    .input(ZHeartbeatInput)
    .mutation(({ ctx, input }) => phoneHeartbeat({ db: ctx.db, device: ctx.phoneCaller.device, battery: input.battery })),
});
