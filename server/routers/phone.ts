import { cookies, headers } from 'next/headers';
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
  phoneSession,
  witnessStatusFor,
} from '../services/phone';
import { clientAddress } from '../auth/client-address';
import { AppError } from '../errors';
import { candidateProcedure, publicProcedure, router } from '../trpc/init';

export const ZPhoneExamInput = z.object({ examId: z.number().int().positive() });
export type TPhoneExamInput = z.infer<typeof ZPhoneExamInput>;

export const ZBindInput = z.union([
  z.object({ token: z.string().trim().min(20).max(200) }),
  z.object({ code: z.string().trim().regex(new RegExp(`^\\d{${BIND_CODE_LENGTH}}$`)) }),
]);
export type TBindInput = z.infer<typeof ZBindInput>;

export const ZHeartbeatInput = z.object({
  battery: z.object({ level: z.number().min(0).max(1), charging: z.boolean() }).nullable(),
});
export type THeartbeatInput = z.infer<typeof ZHeartbeatInput>;

/**
 * The phone's cookie and address come from the request itself (Next's request scope), as the
 * shared tRPC context carries the candidate's session only.
 */
async function phoneRequest() {
  const h = await headers();
  const client = clientAddress(h);
  return { cookie: (await cookies()).get(PHONE_SESSION_COOKIE)?.value, client, userAgent: h.get('user-agent') ?? undefined };
}

/** Procedures for a bound phone: the device session must be live (not revoked, not expired). */
export const phoneProcedure = publicProcedure.use(async ({ ctx, next }) => {
  const session = phoneSession(ctx.db, (await phoneRequest()).cookie);
  if (session.kind === 'revoked') throw new AppError('UNAUTHORIZED', 'phone.revoked');
  if (session.kind !== 'active') throw new AppError('UNAUTHORIZED', 'phone.notBound');
  return next({ ctx: { ...ctx, phoneDevice: session.device } });
});

export const phoneRouter = router({
  /** Candidate PC: a fresh QR link and bind code (the previous unused one stops working). */
  createBinding: candidateProcedure
    .input(ZPhoneExamInput)
    .mutation(({ ctx, input }) => createBinding({ db: ctx.db, candidateId: ctx.user.id, examId: input.examId })),

  /** Candidate PC: bound / live / lost and the phone's battery. */
  status: candidateProcedure
    .input(ZPhoneExamInput)
    .query(({ ctx, input }) => witnessStatusFor({ db: ctx.db, candidateId: ctx.user.id, examId: input.examId })),

  /** Phone: trades a QR token or a bind code for a device session cookie. */
  bind: publicProcedure.input(ZBindInput).mutation(async ({ ctx, input }) => {
    const req = await phoneRequest();
    const bound = await bindPhone({ db: ctx.db, proof: input, client: req.client, userAgent: req.userAgent });
    ctx.resHeaders.append('set-cookie', sessionCookie(PHONE_SESSION_COOKIE, bound.session, bound.expiresAt, ctx.secureCookies));
    return { examId: bound.examId };
  }),

  /** Phone: what this phone is bound to, or why it is not (never bound, or replaced by another phone). */
  me: publicProcedure.query(async ({ ctx }) => {
    const session = phoneSession(ctx.db, (await phoneRequest()).cookie);
    if (session.kind === 'active') return { kind: 'active' as const, ...phoneOverview({ db: ctx.db, device: session.device }) };
    return session.kind === 'revoked' ? { kind: 'revoked' as const, reason: session.reason } : { kind: 'none' as const };
  }),

  token: phoneProcedure.mutation(({ ctx }) => phoneLivekitToken({ db: ctx.db, device: ctx.phoneDevice })),

  heartbeat: phoneProcedure
    .input(ZHeartbeatInput)
    .mutation(({ ctx, input }) => phoneHeartbeat({ db: ctx.db, device: ctx.phoneDevice, battery: input.battery })),
});
