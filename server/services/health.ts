import type { Db } from '@/db/client';
import { probeLivekit, type LivekitProbe } from '../livekit/probe';

/*
 * Readiness: whether this process can serve an exam right now. Every check is bounded in time
 * and reports only a short reason (an error code, never a message that could carry an address
 * or a secret).
 */

export type CheckResult = { ok: true; ms: number } | { ok: false; ms: number; reason: string };
export type Readiness = {
  ready: boolean;
  checks: { database: CheckResult; redis?: CheckResult; livekit: CheckResult };
};

/** How long the database may stay locked by another writer before the check gives up. */
export const DB_BUSY_MS = 500;
export const REDIS_TIMEOUT_MS = 1000;
export const LIVEKIT_TIMEOUT_MS = 2000;

/**
 * Proves the database takes writes: takes the write lock (BEGIN IMMEDIATE, which waits for
 * another process's writer at most `busyMs`), changes a row, and rolls back. A read-only file
 * or connection, a writer that holds the lock for long, a closed handle: not ready. Nothing is
 * committed, so a full disk (which only a commit meets) is not seen here.
 *
 * Synchronous (better-sqlite3), so the lowered busy timeout cannot leak into another query: no
 * other code runs until it is put back.
 */
export function checkDatabase(db: Db, { busyMs = DB_BUSY_MS }: { busyMs?: number } = {}): CheckResult {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const sqlite = db.$client;
  let restore: number | undefined;
  try {
    restore = sqlite.pragma('busy_timeout', { simple: true }) as number;
    sqlite.pragma(`busy_timeout = ${Math.max(0, Math.floor(busyMs))}`);
    // Inside a caller's open transaction (tests run requests in one) a savepoint stands in.
    const nested = sqlite.inTransaction;
    sqlite.exec(nested ? 'SAVEPOINT ready_check' : 'BEGIN IMMEDIATE');
    try {
      // A real change to a page (the migrations ledger: always there, never read while serving).
      sqlite.prepare('UPDATE __drizzle_migrations SET created_at = created_at WHERE id = (SELECT max(id) FROM __drizzle_migrations)').run();
    } finally {
      sqlite.exec(nested ? 'ROLLBACK TO ready_check; RELEASE ready_check' : 'ROLLBACK');
    }
    return { ok: true, ms: ms() };
  } catch (err) {
    return { ok: false, ms: ms(), reason: sqliteReason(err) };
  } finally {
    if (restore != null && sqlite.open) sqlite.pragma(`busy_timeout = ${restore}`);
  }
}

function sqliteReason(err: unknown) {
  const code = (err as { code?: unknown })?.code;
  if (typeof code === 'string' && /^SQLITE_[A-Z_]+$/.test(code)) return code;
  return (err as Error)?.message?.includes('not open') ? 'closed' : 'error';
}

/** What Redis must answer: a PING within the timeout (see RedisBus.ping). */
export type RedisPinger = { ping: (timeoutMs: number) => Promise<void> };

export async function checkRedis(redis: RedisPinger, { timeoutMs = REDIS_TIMEOUT_MS }: { timeoutMs?: number } = {}): Promise<CheckResult> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  try {
    await redis.ping(timeoutMs);
    return { ok: true, ms: ms() };
  } catch (err) {
    const m = (err as Error)?.message ?? '';
    return { ok: false, ms: ms(), reason: m === 'timeout' || m === 'not connected' || m === 'closed' ? m.replace(' ', '_') : 'error' };
  }
}

export async function checkLivekit(probe: () => Promise<LivekitProbe>): Promise<CheckResult> {
  const started = performance.now();
  const result = await probe().catch((): LivekitProbe => ({ ok: false, reason: 'error' }));
  const ms = Math.round(performance.now() - started);
  return result.ok ? { ok: true, ms } : { ok: false, ms, reason: result.reason };
}

/**
 * The probe's last answer, reused for `ttlMs` after it settled, and shared while one is under
 * way: a flood of readiness calls or a hundred polling consoles cost the SFU one request per
 * `ttlMs`, never one each.
 */
export function cachedProbe(probe: () => Promise<LivekitProbe>, ttlMs: number): () => Promise<LivekitProbe> {
  let current: Promise<LivekitProbe> | undefined;
  let settledAt = -Infinity;
  let inFlight = false;
  return () => {
    if (current && (inFlight || performance.now() - settledAt < ttlMs)) return current;
    inFlight = true;
    current = probe()
      .catch((): LivekitProbe => ({ ok: false, reason: 'error' }))
      .finally(() => {
        inFlight = false;
        settledAt = performance.now();
      });
    return current;
  };
}

/**
 * Database writable, Redis answering (only when the app uses it), LiveKit accepting our key.
 * The checks run side by side, so the whole takes about as long as the slowest, at most.
 */
export async function readiness({
  db,
  redis,
  livekit,
}: {
  /** Opening the database can itself fail (a missing folder, a broken file): that is a failed check. */
  db: () => Db;
  redis: RedisPinger | null;
  livekit: () => Promise<LivekitProbe>;
}): Promise<Readiness> {
  const database = (() => {
    try {
      return checkDatabase(db());
    } catch {
      return { ok: false as const, ms: 0, reason: 'open_failed' };
    }
  })();
  const [redisResult, livekitResult] = await Promise.all([redis ? checkRedis(redis) : undefined, checkLivekit(livekit)]);
  const checks: Readiness['checks'] = { database, ...(redisResult ? { redis: redisResult } : {}), livekit: livekitResult };
  return { ready: Object.values(checks).every((c) => c.ok), checks };
}

/** How long one answer about LiveKit is reused, by readiness and by the consoles alike. */
export const LIVEKIT_CACHE_MS = 2000;

const g = globalThis as unknown as { __examLivekitStatus?: () => Promise<LivekitProbe> };

/** LiveKit as this process sees it, with our key; one shared cache per process (every route bundle). */
export function livekitStatus(): Promise<LivekitProbe> {
  g.__examLivekitStatus ??= cachedProbe(() => probeLivekit({ timeoutMs: LIVEKIT_TIMEOUT_MS }), LIVEKIT_CACHE_MS);
  return g.__examLivekitStatus();
}

/** For the staff consoles: whether the media server answers (no reason: that is for operators). */
export async function mediaServerStatus(): Promise<{ reachable: boolean }> {
  return { reachable: (await livekitStatus()).ok };
}
