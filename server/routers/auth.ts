import { z } from 'zod';
import { sessionCookie } from '../http';
import { createFirstAdmin, needsFirstAdmin } from '../services/admin/bootstrap';
import { USERNAME_PATTERN } from '../services/admin/staff';
import { homeFor, login, loginHome, logout, PASSWORD_MIN, SESSION_COOKIE } from '../services/auth';
import { authedProcedure, publicProcedure, router } from '../trpc/init';

/** 18-character resident ID: 17 digits and a check character (digit or X). */
export const ZIdNumber = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^\d{17}[\dX]$/);

export const ZCandidateLoginInput = z.object({
  idNumber: ZIdNumber,
  password: z.string().min(1).max(200),
});
export type TCandidateLoginInput = z.infer<typeof ZCandidateLoginInput>;

export const ZStaffLoginInput = z.object({
  username: z.string().trim().min(1).max(64),
  password: z.string().min(1).max(200),
});
export type TStaffLoginInput = z.infer<typeof ZStaffLoginInput>;

/** Staff usernames: short, lower-case, typeable on any keyboard. */
export const ZUsername = z.string().trim().toLowerCase().regex(USERNAME_PATTERN);
export const ZNewPassword = z.string().min(PASSWORD_MIN).max(200);

export const ZSetupInput = z.object({
  /** The one-time token from the server log (or DATA_DIR/setup-token). */
  token: z.string().trim().min(1).max(200),
  name: z.string().trim().min(1).max(50),
  username: ZUsername,
  password: ZNewPassword,
});
export type TSetupInput = z.infer<typeof ZSetupInput>;

export const authRouter = router({
  me: publicProcedure.query(({ ctx }) => ctx.caller),

  loginCandidate: publicProcedure.input(ZCandidateLoginInput).mutation(async ({ ctx, input }) => {
    const s = await login({ db: ctx.db, kind: 'candidate', identifier: input.idNumber, password: input.password, client: ctx.client });
    ctx.resHeaders.append('set-cookie', sessionCookie(SESSION_COOKIE, s.token, s.expiresAt, ctx.secureCookies));
    return { user: s.user, home: loginHome({ db: ctx.db, user: s.user }) };
  }),

  loginStaff: publicProcedure.input(ZStaffLoginInput).mutation(async ({ ctx, input }) => {
    const s = await login({ db: ctx.db, kind: 'staff', identifier: input.username, password: input.password, client: ctx.client });
    ctx.resHeaders.append('set-cookie', sessionCookie(SESSION_COOKIE, s.token, s.expiresAt, ctx.secureCookies));
    return { user: s.user, home: homeFor(s.user.role) };
  }),

  /** First run: no admin yet, so /setup may create one. */
  setupNeeded: publicProcedure.query(({ ctx }) => needsFirstAdmin(ctx.db)),

  setupFirstAdmin: publicProcedure.input(ZSetupInput).mutation(async ({ ctx, input }) => {
    await createFirstAdmin({ db: ctx.db, ...input });
    const s = await login({ db: ctx.db, kind: 'staff', identifier: input.username, password: input.password, client: ctx.client });
    ctx.resHeaders.append('set-cookie', sessionCookie(SESSION_COOKIE, s.token, s.expiresAt, ctx.secureCookies));
    return { user: s.user, home: homeFor(s.user.role) };
  }),

  logout: authedProcedure.mutation(({ ctx }) => {
    if (ctx.sessionToken) logout({ db: ctx.db, token: ctx.sessionToken });
    ctx.resHeaders.append('set-cookie', sessionCookie(SESSION_COOKIE, '', null, ctx.secureCookies));
    return { ok: true };
  }),
});
