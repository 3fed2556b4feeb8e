import { z } from 'zod';
import { sessionCookie } from '../http';
import { loginHome, SESSION_COOKIE } from '../services/auth';
import * as face from '../services/face-login';
import { publicProcedure, router, staffProcedure } from '../trpc/init';
import { ZIdNumber } from './auth';

const checkerProcedure = staffProcedure('invigilator', 'support');

/** A webcam frame as a JPEG data URL; the bytes are bounded here and judged by the face worker. */
const ZFrame = z
  .string()
  .max(Math.ceil((face.FACE_FRAME_MAX_BYTES * 4) / 3) + 32)
  .regex(/^data:image\/jpeg;base64,[A-Za-z0-9+/]+=*$/)
  .transform((s) => Buffer.from(s.slice(s.indexOf(',') + 1), 'base64'));

export const ZFaceWhoInput = z.object({ name: z.string().trim().min(1).max(50), idNumber: ZIdNumber });
export const ZFaceLoginInput = ZFaceWhoInput.extend({ frames: z.array(ZFrame).min(face.FACE_FRAMES_MIN).max(face.FACE_FRAMES_MAX) });
export const ZFaceAttemptInput = z.object({ attemptId: z.number().int().positive(), secret: z.string().min(16).max(100) });
export const ZFaceDecisionInput = z.object({ attemptId: z.number().int().positive(), approve: z.boolean(), note: z.string().trim().max(200).optional() });

/**
 * Face login (public: the candidate is not signed in yet) and the identity check queue (staff).
 * Not under `auth.`: frames need a larger body than a password form; the batching refusal covers
 * `face.` too (server/auth/request-guards.ts).
 */
export const faceRouter = router({
  availability: publicProcedure.input(ZFaceWhoInput).mutation(({ ctx, input }) => face.faceLoginAvailability({ db: ctx.db, ...input, client: ctx.client })),

  login: publicProcedure.input(ZFaceLoginInput).mutation(async ({ ctx, input }) => {
    const res = await face.faceLogin({ db: ctx.db, ...input, client: ctx.client });
    if (res.status !== 'accepted') return res;
    const s = res.session;
    ctx.resHeaders.append('set-cookie', sessionCookie(SESSION_COOKIE, s.token, s.expiresAt, ctx.secureCookies));
    return { status: 'accepted' as const, attemptId: res.attemptId, home: loginHome({ db: ctx.db, user: s.user }) };
  }),

  /** The waiting page's poll: mutation, as an approval hands out the session cookie once. */
  attempt: publicProcedure.input(ZFaceAttemptInput).mutation(({ ctx, input }) => {
    const res = face.faceAttemptOutcome({ db: ctx.db, ...input });
    if (res.status !== 'approved') return res;
    const s = res.session;
    ctx.resHeaders.append('set-cookie', sessionCookie(SESSION_COOKIE, s.token, s.expiresAt, ctx.secureCookies));
    return { status: 'approved' as const, home: loginHome({ db: ctx.db, user: s.user }) };
  }),

  queue: checkerProcedure.query(({ ctx }) => face.identityQueue({ db: ctx.db, caller: ctx.caller })),

  queueSize: checkerProcedure.query(({ ctx }) => face.identityQueueSize({ db: ctx.db, caller: ctx.caller })),

  decide: checkerProcedure.input(ZFaceDecisionInput).mutation(({ ctx, input }) => face.decideIdentity({ db: ctx.db, caller: ctx.caller, ...input })),
});
