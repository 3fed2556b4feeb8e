import { createHash, timingSafeEqual } from 'node:crypto';
import type { Db } from '@/db/client';
import { clientAddress, isLoopbackClient } from '../auth/client-address';
import { env } from '../env';
import type { ErrorKey } from '../errors';
import { getBus } from '../events/bus';
import { RedisBus } from '../events/redis-bus';
import { requestLocale } from '../http';
import { serverTranslator } from '../i18n/messages';
import type { LivekitProbe } from '../livekit/probe';
import { metrics, type Metrics } from '../metrics';
import { livekitStatus, readiness, type RedisPinger } from '../services/health';
import { connectedCandidates, uploadBacklog } from '../services/monitoring';

/*
 * The endpoints load balancers and monitoring call: /api/health, /api/ready, /api/metrics.
 * Health and readiness need no login (a load balancer has none) and say nothing an outsider
 * could use: check names, true/false, a short reason code and a duration.
 */

const NO_STORE = { 'cache-control': 'no-store' } as const;

/** The process is up and serving requests; touches nothing else. */
export function healthResponse(): Response {
  return Response.json({ status: 'ok' }, { headers: NO_STORE });
}

/** 200 when the database takes writes, Redis answers (if configured) and LiveKit accepts our key; 503 saying which failed otherwise. */
export async function readyResponse({
  db,
  redis = env.REDIS_URL ? redisOf(getBus()) : null,
  livekit = livekitStatus,
}: {
  db: () => Db;
  redis?: RedisPinger | null;
  livekit?: () => Promise<LivekitProbe>;
}): Promise<Response> {
  const r = await readiness({ db, redis, livekit });
  return Response.json({ status: r.ready ? 'ready' : 'not_ready', checks: r.checks }, { status: r.ready ? 200 : 503, headers: NO_STORE });
}

function redisOf(bus: unknown): RedisPinger {
  // With REDIS_URL the bus is a RedisBus; anything else means the bus could not use Redis.
  return bus instanceof RedisBus ? bus : { ping: () => Promise.reject(new Error('not connected')) };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * Who may read metrics: with METRICS_TOKEN, a request bearing it (compared in constant time);
 * without one, only a client on this machine. Metrics name no person, but they tell how many
 * candidates sit an exam now and how the server is doing: not for the open internet.
 */
export function metricsRefusal(req: Request, token: string | undefined = env.METRICS_TOKEN): { status: 401 | 403; key: ErrorKey } | null {
  if (token) {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.get('authorization') ?? '');
    return m && timingSafeEqual(digest(m[1]!), digest(token)) ? null : { status: 401, key: 'metrics.tokenRequired' };
  }
  return isLoopbackClient(clientAddress(req.headers)) ? null : { status: 403, key: 'metrics.loopbackOnly' };
}

/**
 * Sets the gauges read from the database, then renders every metric in Prometheus' text format.
 * A failed read leaves those gauges out of this scrape (absent, rather than stale) and the rest
 * is still served.
 */
export async function renderMetrics({ db, m = metrics(), now = new Date() }: { db: () => Db; m?: Metrics; now?: Date }) {
  m.candidatesConnected.reset();
  m.uploadBacklogChunks.reset();
  m.uploadBacklogBytes.reset();
  try {
    const handle = db();
    const connected = await connectedCandidates({ db: handle, now });
    const backlog = uploadBacklog({ db: handle, now });
    for (const [device, n] of Object.entries(connected)) m.candidatesConnected.set({ device }, n);
    for (const [track, b] of Object.entries(backlog)) {
      m.uploadBacklogChunks.set({ track }, b.chunks);
      m.uploadBacklogBytes.set({ track }, b.bytes);
    }
  } catch (err) {
    console.error(`metrics: database gauges failed: ${(err as Error)?.message ?? String(err)}`);
  }
  return { contentType: m.registry.contentType, body: await m.registry.metrics() };
}

export async function metricsResponse({ req, db }: { req: Request; db: () => Db }): Promise<Response> {
  const refused = metricsRefusal(req);
  if (refused) {
    const t = serverTranslator(requestLocale(req));
    return Response.json(
      { error: refused.key, message: t(`errors.${refused.key}` as 'errors.internal') },
      { status: refused.status, headers: { ...NO_STORE, ...(refused.status === 401 ? { 'www-authenticate': 'Bearer' } : {}) } },
    );
  }
  const { contentType, body } = await renderMetrics({ db });
  return new Response(body, { headers: { 'content-type': contentType, ...NO_STORE } });
}
