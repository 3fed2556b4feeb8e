import 'server-only';
import { initTRPC, TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { ZodError } from 'zod';
import type { Db } from '@/db/client';
import { getDb } from '../db';
import { AppError } from '../errors';
import { hotline } from '../hotline';
import { getBus, type EventBus } from '../events/bus';
import { requestLocale } from '../http';
import type { Locale } from '../i18n/config';
import { serverTranslator } from '../i18n/messages';
import { clientAddress } from '../auth/client-address';
import { authFromRequest, phoneCaller, type CandidateCaller, type StaffCaller, type StaffRole, type UserCaller } from '../auth/caller';
import type { PhoneSession } from '../services/phone';

export type Context = {
  db: Db;
  bus: EventBus;
  /** The logged-in account, if any (server/auth/caller.ts). */
  caller: UserCaller | null;
  /** The witness phone's device session, for the phone's own procedures. */
  phone: PhoneSession;
  sessionToken: string | undefined;
  /** The client's address as far as trusted proxies vouch for it (per-client throttles). */
  client: string;
  userAgent: string | undefined;
  locale: Locale;
  /** Headers of the response, for Set-Cookie. */
  resHeaders: Headers;
  secureCookies: boolean;
};

export function createContext({ req, resHeaders }: { req: Request; resHeaders: Headers }): Context {
  const db = getDb();
  const auth = authFromRequest(req, db);
  return {
    db,
    bus: getBus(),
    caller: auth.user,
    phone: auth.phone,
    sessionToken: auth.sessionToken,
    client: clientAddress(req.headers),
    userAgent: req.headers.get('user-agent') ?? undefined,
    locale: requestLocale(req),
    resHeaders,
    secureCookies: new URL(req.url).protocol === 'https:',
  };
}

const STATUS_OF: Record<AppError['code'], TRPCError['code']> = {
  BAD_REQUEST: 'BAD_REQUEST',
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  TOO_MANY_REQUESTS: 'TOO_MANY_REQUESTS',
  PRECONDITION_FAILED: 'PRECONDITION_FAILED',
};

/** Zod issue codes we word ourselves; anything else falls back to "invalid". */
const ZOD_KEYS = new Set(['too_small', 'too_big', 'invalid_format', 'invalid_type']);

function fieldErrors(error: ZodError, t: ReturnType<typeof serverTranslator>) {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const field = issue.path.join('.') || '_';
    if (out[field]) continue;
    let key = ZOD_KEYS.has(issue.code) ? issue.code : 'invalid';
    // Size limits read differently for numbers and lists than for text.
    const origin = 'origin' in issue ? String(issue.origin) : 'string';
    if ((key === 'too_small' || key === 'too_big') && (origin === 'number' || origin === 'array')) key = `${key}_${origin}`;
    const limit = 'minimum' in issue ? Number(issue.minimum) : 'maximum' in issue ? Number(issue.maximum) : 0;
    out[field] = t(`errors.zod.${key}` as 'errors.zod.invalid', { limit });
  }
  return out;
}

const t = initTRPC.context<Context>().create({
  transformer: superjson,
  // No subscriptions here: live updates go through the tab's one connection (server/live/).
  errorFormatter({ shape, error, ctx }) {
    const tr = serverTranslator(ctx?.locale ?? 'zh-CN');
    const cause = error.cause;
    if (cause instanceof AppError) {
      return {
        ...shape,
        // Any error may tell the candidate to call: each gets the hotline's arguments.
        message: tr(`errors.${cause.key}` as 'errors.internal', { ...hotline().args, ...cause.params }),
        data: { ...shape.data, appCode: cause.key, fieldErrors: null, stack: undefined },
      };
    }
    if (cause instanceof ZodError) {
      return {
        ...shape,
        message: tr('errors.invalidInput'),
        data: { ...shape.data, appCode: 'invalidInput', fieldErrors: fieldErrors(cause, tr), stack: undefined },
      };
    }
    if (error.code === 'INTERNAL_SERVER_ERROR') {
      // Never leak internals to users; the server log has the stack.
      return { ...shape, message: tr('errors.internal'), data: { ...shape.data, appCode: 'internal', fieldErrors: null, stack: undefined } };
    }
    return { ...shape, data: { ...shape.data, appCode: null, fieldErrors: null, stack: undefined } };
  },
});

/** Turns AppErrors thrown by services into tRPC errors with the right status. */
const appErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof AppError) {
    const cause = result.error.cause;
    (result as { error: TRPCError }).error = new TRPCError({ code: STATUS_OF[cause.code], message: cause.key, cause });
  }
  return result;
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
export const publicProcedure = t.procedure.use(appErrors);

export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  const caller = ctx.caller;
  if (!caller) throw new AppError('UNAUTHORIZED', 'auth.required');
  return next({ ctx: { ...ctx, caller } });
});

export const candidateProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.caller.role !== 'candidate') throw new AppError('FORBIDDEN', 'auth.wrongRole');
  return next({ ctx: { ...ctx, caller: ctx.caller as CandidateCaller } });
});

/** Staff procedures name the roles allowed; admin is always allowed. */
export const staffProcedure = (...roles: Exclude<StaffRole, 'admin'>[]) =>
  authedProcedure.use(({ ctx, next }) => {
    const role = ctx.caller.role;
    if (role !== 'admin' && !(roles as string[]).includes(role)) throw new AppError('FORBIDDEN', 'auth.wrongRole');
    return next({ ctx: { ...ctx, caller: ctx.caller as StaffCaller } });
  });

/** Procedures of a bound witness phone: the device session must be live (not revoked, not expired). */
export const phoneProcedure = publicProcedure.use(({ ctx, next }) => {
  if (ctx.phone.kind === 'revoked') throw new AppError('UNAUTHORIZED', 'phone.revoked');
  const phone = phoneCaller(ctx.phone);
  if (!phone) throw new AppError('UNAUTHORIZED', 'phone.notBound');
  return next({ ctx: { ...ctx, phoneCaller: phone } });
});

/** The back office: admins only. */
export const adminProcedure = staffProcedure();
