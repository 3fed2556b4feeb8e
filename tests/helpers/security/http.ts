import { createHash } from 'node:crypto';
import superjson from 'superjson';
import type { Db } from '@/db/client';
import { appRouter } from '@/server/routers/_app';
import { inRequestScope } from './request-scope';

/**
 * Calling the app the way a browser does: real `Request`s into the exported route handlers
 * (the tRPC route's GET/POST included), inside a request scope (see request-scope.ts), with the
 * caller's cookies in a Cookie header. Nothing here knows how the server resolves a caller:
 * the tests read HTTP statuses and tRPC error codes only.
 */

export const ORIGIN = 'http://localhost';

export type ProcType = 'query' | 'mutation' | 'subscription';

/** Every procedure of the router, by dotted path, with its type: the router itself is the list. */
export function routerProcedures(router: { _def: { procedures?: object; record?: object } } = appRouter): Map<string, ProcType> {
  const out = new Map<string, ProcType>();
  const procs = (router._def.procedures ?? {}) as Record<string, { _def: { type: ProcType } }>;
  for (const [path, p] of Object.entries(procs)) out.set(path, p._def.type);
  return out;
}

export type RouteHandler = (req: Request, ctx: { params: Promise<Record<string, unknown>> }) => Promise<Response> | Response;

/** Calls a route handler's exported function with a real Request inside a request scope. */
export function callRoute(handler: RouteHandler, req: Request, params: Record<string, unknown> = {}): Promise<Response> {
  return inRequestScope(req, async () => handler(req, { params: Promise.resolve(params) }));
}

type TrpcRoute = { GET: (req: Request) => Promise<Response>; POST: (req: Request) => Promise<Response> };
let trpcRoute: TrpcRoute | undefined;
async function route(): Promise<TrpcRoute> {
  trpcRoute ??= (await import('@/app/api/trpc/[trpc]/route')) as TrpcRoute;
  return trpcRoute;
}

/** A tRPC request as the app's client builds it: superjson `{ json, meta }`, GET for queries, POST for mutations. */
export function trpcRequest(opts: { path: string; type: ProcType; input?: unknown; cookie?: string; signal?: AbortSignal }): Request {
  const headers: Record<string, string> = {};
  if (opts.cookie) headers.cookie = opts.cookie;
  const base = `${ORIGIN}/api/trpc/${opts.path}`;
  const encoded = opts.input === undefined ? undefined : JSON.stringify(superjson.serialize(opts.input));
  if (opts.type === 'mutation') {
    headers['content-type'] = 'application/json';
    return new Request(base, { method: 'POST', headers, body: encoded ?? '{}', signal: opts.signal });
  }
  if (opts.type === 'subscription') headers.accept = 'text/event-stream';
  const url = encoded === undefined ? base : `${base}?input=${encodeURIComponent(encoded)}`;
  return new Request(url, { headers, signal: opts.signal });
}

/** Sends a Request through the tRPC route's exported handler (real context, real error formatter). */
export async function sendTrpc(req: Request): Promise<Response> {
  const r = await route();
  return inRequestScope(req, () => (req.method === 'GET' || req.method === 'HEAD' ? r.GET(req) : r.POST(req)));
}

export type TrpcReply = { status: number; code: string | null; body: unknown };

/** A query or mutation over HTTP: the status, the tRPC error code (null on success) and the parsed body. */
export async function callTrpc(opts: { path: string; type: 'query' | 'mutation'; input?: unknown; cookie?: string }): Promise<TrpcReply> {
  const res = await sendTrpc(trpcRequest(opts));
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON: kept as text for the failure message.
  }
  const code = (body as { error?: { json?: { data?: { code?: string } } } } | null)?.error?.json?.data?.code ?? null;
  return { status: res.status, code, body };
}

/** Reads the Set-Cookie of a response for one cookie's value. */
export function setCookieValue(res: Response, name: string): string | undefined {
  for (const line of res.headers.getSetCookie()) {
    const [pair] = line.split(';');
    const eq = pair!.indexOf('=');
    if (pair!.slice(0, eq).trim() === name) return decodeURIComponent(pair!.slice(eq + 1));
  }
  return undefined;
}

/* ------------------------------------------------------------------ database state */

/**
 * Runs `fn` inside a transaction that is always rolled back, so every call starts from the
 * same fixture and a mutation leaves nothing behind. Services' own transactions nest as
 * savepoints (better-sqlite3 does that inside an open transaction). `inspect` runs before the
 * rollback, to look at what the call wrote.
 */
export async function rolledBack<T>(db: Db, fn: () => Promise<T>, inspect?: (result: T) => void): Promise<T> {
  const sqlite = db.$client;
  sqlite.exec('BEGIN');
  try {
    const result = await fn();
    inspect?.(result);
    return result;
  } finally {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
  }
}

/** Rows changed on this connection so far: a cheap "did anything write?" check. */
export const totalChanges = (db: Db) => db.$client.prepare('select total_changes()').pluck().get() as number;

/** A digest of every row of every table: equal digests mean equal contents. */
export function dbDigest(db: Db): string {
  const sqlite = db.$client;
  const tables = sqlite.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").pluck().all() as string[];
  const h = createHash('sha256');
  for (const t of tables) {
    const rows = sqlite.prepare(`select * from "${t}" order by rowid`).raw().all();
    h.update(t);
    h.update(JSON.stringify(rows, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)));
  }
  return h.digest('hex');
}

/** Row counts of every table, to name what changed when a digest differs. */
export function rowCounts(db: Db): Record<string, number> {
  const sqlite = db.$client;
  const tables = sqlite.prepare("select name from sqlite_master where type = 'table' and name not like 'sqlite_%' order by name").pluck().all() as string[];
  return Object.fromEntries(tables.map((t) => [t, sqlite.prepare(`select count(*) from "${t}"`).pluck().get() as number]));
}
