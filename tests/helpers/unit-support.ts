import { createHash } from 'node:crypto';
import { TRPCError } from '@trpc/server';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { and, asc, eq } from 'drizzle-orm';
import { decodeJwt, type JWTPayload } from 'jose';
import { AccessToken } from 'livekit-server-sdk';
import type { Db } from '@/db/client';
import { vi } from 'vitest';
import { auditLog, events, registrations, type User } from '@/db/schema';
import { env } from '@/server/env';
import { AppError } from '@/server/errors';
import { getBus } from '@/server/events/bus';
import type { Locale } from '@/server/i18n/config';
import { appRouter } from '@/server/routers/_app';
import type { StaffCaller, UserCaller } from '@/server/auth/caller';
import { toCaller } from '@/server/services/auth';
import { EXAM_PAGE_CLIENT_PROTOCOL } from '@/server/services/flags';
import type { Context } from '@/server/trpc/init';

/** Shared helpers for the unit tests (not a test file itself). */

export const asCaller = (u: User): UserCaller => toCaller(u);

/** A staff account as the caller the procedure builders would pass on. */
export function asStaff(u: User): StaffCaller {
  if (u.role === 'candidate') throw new Error(`asStaff: ${u.name} is a candidate`);
  return toCaller(u) as StaffCaller;
}

export function makeContext(db: Db, user: User | null, over: Partial<Omit<Context, 'db' | 'caller'>> = {}): Context {
  return {
    db,
    bus: getBus(),
    caller: user ? asCaller(user) : null,
    phone: { kind: 'none' },
    sessionToken: undefined,
    client: '127.0.0.1',
    userAgent: undefined,
    locale: 'zh-CN',
    resHeaders: new Headers(),
    secureCookies: false,
    ...over,
  };
}

export const callerFor = (ctx: Context, opts?: { signal?: AbortSignal }) => appRouter.createCaller(ctx, opts);

/** The video grant and the rest of a LiveKit JWT's claims, as LiveKit reads them. */
export type LivekitClaims = JWTPayload & {
  name?: string;
  attributes?: Record<string, string>;
  video?: Record<string, unknown>;
  sha256?: string;
};

export const claimsOf = (jwt: string) => decodeJwt(jwt) as LivekitClaims;

/** Signs a webhook body the way the LiveKit server does: a JWT carrying the body's SHA-256. */
export async function signWebhook(rawBody: string, { key = env.LIVEKIT_API_KEY, secret = env.LIVEKIT_API_SECRET }: { key?: string; secret?: string } = {}) {
  const at = new AccessToken(key, secret);
  at.sha256 = createHash('sha256').update(rawBody).digest('base64');
  return at.toJwt();
}

let eventSeq = 0;

export type WebhookBodyOpts = {
  event: string;
  room: string;
  identity: string;
  id?: string;
  /** Seconds since the epoch. */
  createdAt?: number;
  track?: { source: string | number; sid?: string; name?: string };
  /** Participant fields beyond sid and identity; by default what the exam page's SDK reports. */
  participant?: { sid?: string; clientProtocol?: number; capabilities?: string[]; disconnectReason?: string };
};

/** A webhook event in LiveKit's JSON encoding (protobuf JSON: camelCase, int64 as string). */
export function webhookBody(o: WebhookBodyOpts) {
  const n = ++eventSeq;
  return JSON.stringify({
    event: o.event,
    id: o.id ?? `EV_test_${process.pid}_${n}_${Math.random().toString(36).slice(2)}`,
    createdAt: String(o.createdAt ?? Math.floor(Date.now() / 1000)),
    room: { sid: 'RM_test', name: o.room },
    participant: { sid: `PA_${n}`, identity: o.identity, state: 'ACTIVE', clientProtocol: EXAM_PAGE_CLIENT_PROTOCOL, ...o.participant },
    ...(o.track ? { track: { sid: o.track.sid ?? `TR_${n}`, name: o.track.name ?? 'track', source: o.track.source } } : {}),
  });
}

/** Calls the tRPC HTTP handler the way the Next route does, with a context of our making. */
export async function httpCall(opts: {
  ctx: Context;
  path: string;
  input: unknown;
  method?: 'POST' | 'GET';
}): Promise<{ status: number; body: any; text: string }> {
  const method = opts.method ?? 'POST';
  const base = `http://localhost/api/trpc/${opts.path}`;
  const req =
    method === 'POST'
      ? new Request(base, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ json: opts.input }),
        })
      : new Request(`${base}?input=${encodeURIComponent(JSON.stringify({ json: opts.input }))}`);
  const res = await fetchRequestHandler({
    endpoint: '/api/trpc',
    req,
    router: appRouter,
    createContext: ({ resHeaders }) => ({ ...opts.ctx, resHeaders }),
  });
  const text = await res.text();
  return { status: res.status, body: JSON.parse(text), text };
}

export const withLocale = (ctx: Context, locale: Locale): Context => ({ ...ctx, locale });

/** The TRPCError a refused call rejects with; fails the test if the call succeeded. */
export async function trpcRefusal(p: Promise<unknown>): Promise<TRPCError> {
  const err = await p.then(
    () => {
      throw new Error('expected the call to be refused');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof TRPCError)) throw err;
  return err;
}

/** The AppError a refused service call (a promise, or a function that may throw) fails with; fails the test if it succeeded. */
export async function appRefusal(p: Promise<unknown> | (() => unknown)): Promise<AppError> {
  const err = await (typeof p === 'function' ? Promise.resolve().then(p) : p).then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw err;
  return err;
}

/**
 * Pins the server's clock for procedures that read `new Date()` (routers pass no `now`). Only
 * Date is faked: timers and microtasks (the event bus) run as usual. Undo with vi.useRealTimers().
 */
export function setServerClock(at: Date) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(at);
}

export function registrationRow(db: Db, candidateId: number, examId: number) {
  return db
    .select()
    .from(registrations)
    .where(and(eq(registrations.candidateId, candidateId), eq(registrations.examId, examId)))
    .get()!;
}

/** A candidate's timeline, oldest first, optionally of one event type. */
export function timelineOf(db: Db, candidateId: number, type?: string) {
  return db
    .select()
    .from(events)
    .where(type ? and(eq(events.candidateId, candidateId), eq(events.type, type)) : eq(events.candidateId, candidateId))
    .orderBy(asc(events.id))
    .all();
}

/** Audit rows, oldest first. */
export function auditRows(db: Db) {
  return db.select().from(auditLog).orderBy(asc(auditLog.id)).all();
}

/** The Cookie header a browser with this session (and language) sends, for calling route handlers. */
export function cookieHeaders({ token, locale }: { token?: string; locale?: string }): Record<string, string> {
  const parts = [token ? `sid=${token}` : null, locale ? `NEXT_LOCALE=${locale}` : null].filter(Boolean);
  return parts.length ? { cookie: parts.join('; ') } : {};
}
