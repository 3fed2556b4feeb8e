import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Db } from '@/db/client';
import * as schema from '@/db/schema';

// The app's own LiveKit address is the private SFU these tests start, on ports the OS finds free
// (a fixed port could meet the e2e project's private stack, which runs alongside in `npm test`).
const sfuPorts = await vi.hoisted(async () => {
  const net = await import('node:net');
  const free = () =>
    new Promise<number>((resolve, reject) => {
      const srv = net.createServer().once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
  const ports = { port: await free(), tcpPort: await free(), udpPort: await free(), before: process.env.SFU_PORT };
  process.env.SFU_PORT = String(ports.port);
  return ports;
});
afterAll(() => {
  if (sfuPorts.before === undefined) delete process.env.SFU_PORT;
  else process.env.SFU_PORT = sfuPorts.before;
});

import { env, livekitUrl } from '@/server/env';
import { RedisBus } from '@/server/events/redis-bus';
import { readyResponse } from '@/server/http/ops';
import { startSfu, type SfuHandle } from '@/server/livekit/sfu';
import { probeLivekit } from '@/server/livekit/probe';
import { cachedProbe, checkDatabase, checkRedis, readiness } from '@/server/services/health';
import { makeCandidate, makeStaff } from '../fixtures/factories';
import { startRedis } from '../helpers/redis';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, makeContext, trpcRefusal } from '../helpers/unit-support';

const fx = useTestDb();

/** Polls until `check` resolves true (no fixed sleeps). */
async function until(check: () => Promise<boolean> | boolean, what: string, ms = 15_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const busyTimeout = (db: Db) => db.$client.pragma('busy_timeout', { simple: true });

describe('readiness: the database', () => {
  it('a migrated database takes writes: ready, and the check leaves nothing behind', () => {
    const before = fx.db.$client.prepare('select * from __drizzle_migrations order by id').all();
    expect(checkDatabase(fx.db)).toMatchObject({ ok: true });
    expect(fx.db.$client.prepare('select * from __drizzle_migrations order by id').all()).toEqual(before);
    expect(fx.db.$client.inTransaction).toBe(false);
  });

  it('another process holding the write lock makes it not ready (SQLITE_BUSY), and the connection keeps its own busy timeout', () => {
    const other = new Database(fx.db.$client.name);
    try {
      other.exec('BEGIN IMMEDIATE');
      const result = checkDatabase(fx.db, { busyMs: 50 });
      expect(result).toMatchObject({ ok: false, reason: 'SQLITE_BUSY' });
      expect(busyTimeout(fx.db)).toBe(5000);
      other.exec('ROLLBACK');
      expect(checkDatabase(fx.db)).toMatchObject({ ok: true });
    } finally {
      other.close();
    }
  });

  it('a connection that cannot write is not ready (SQLITE_READONLY), although it can still take the lock', () => {
    const readOnly = new Database(fx.db.$client.name, { readonly: true });
    try {
      const db = drizzle(readOnly, { schema }) as Db;
      expect(checkDatabase(db)).toMatchObject({ ok: false, reason: 'SQLITE_READONLY' });
      expect(readOnly.inTransaction).toBe(false);
    } finally {
      readOnly.close();
    }
  });

  it('a closed handle, or a database that cannot be opened, is not ready', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ready-closed-'));
    const closed = new Database(path.join(dir, 'x.db'));
    closed.close();
    try {
      expect(checkDatabase(drizzle(closed, { schema }) as Db)).toMatchObject({ ok: false, reason: 'closed' });
      const r = await readiness({
        db: () => {
          throw new Error('SQLITE_CANTOPEN');
        },
        redis: null,
        livekit: async () => ({ ok: true }),
      });
      expect(r).toMatchObject({ ready: false, checks: { database: { ok: false, reason: 'open_failed' }, livekit: { ok: true } } });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('readiness: Redis (a real redis-server)', { timeout: 60_000 }, () => {
  it('ready while Redis answers; a frozen Redis times out; a stopped one is not ready; back once it returns', async () => {
    const redis = await startRedis();
    const bus = new RedisBus({ url: redis.url, log: () => {} });
    let again: Awaited<ReturnType<typeof startRedis>> | undefined;
    try {
      await bus.whenConnected();
      expect(await checkRedis(bus)).toMatchObject({ ok: true });

      redis.process.kill('SIGSTOP');
      try {
        expect(await checkRedis(bus, { timeoutMs: 300 })).toMatchObject({ ok: false, reason: 'timeout' });
      } finally {
        redis.process.kill('SIGCONT');
      }
      await until(async () => (await checkRedis(bus)).ok, 'Redis to answer after SIGCONT');

      await redis.stop();
      await until(async () => !(await checkRedis(bus, { timeoutMs: 300 })).ok, 'the check to fail with Redis stopped');
      expect(await checkRedis(bus, { timeoutMs: 300 })).toMatchObject({ ok: false });

      again = await startRedis({ port: redis.port });
      await until(async () => (await checkRedis(bus)).ok, 'the bus to reconnect to the restarted Redis');
    } finally {
      await bus.close();
      await redis.stop();
      await again?.stop();
    }
  });

  it('readiness includes Redis only when there is one to check', async () => {
    const withRedis = await readiness({
      db: () => fx.db,
      redis: { ping: () => Promise.reject(new Error('not connected')) },
      livekit: async () => ({ ok: true }),
    });
    expect(withRedis).toMatchObject({ ready: false, checks: { database: { ok: true }, redis: { ok: false, reason: 'not_connected' }, livekit: { ok: true } } });
    const without = await readiness({ db: () => fx.db, redis: null, livekit: async () => ({ ok: true }) });
    expect(without.ready).toBe(true);
    expect(without.checks).not.toHaveProperty('redis');
  });
});

describe('readiness: LiveKit (a real livekit-server on this test’s ports)', { timeout: 60_000 }, () => {
  let sfu: SfuHandle | undefined;
  let workDir: string;
  beforeEach(async () => {
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ready-sfu-'));
    sfu = await startSfu({
      apiKey: env.LIVEKIT_API_KEY,
      apiSecret: env.LIVEKIT_API_SECRET,
      port: sfuPorts.port,
      tcpPort: sfuPorts.tcpPort,
      udpPort: sfuPorts.udpPort,
      // Listing rooms sends no webhooks: nothing needs to listen there.
      webhookUrl: 'http://127.0.0.1:9/api/livekit/webhook',
      workDir,
      logLevel: 'warn',
    });
  }, 30_000);
  afterEach(async () => {
    // A test that froze the SFU and failed before thawing it: thaw it so it can stop.
    if (sfu && sfu.process.exitCode === null && sfu.process.signalCode === null) sfu.process.kill('SIGCONT');
    await sfu?.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  // A generous timeout where an answer is expected: CI's two shared cores can be slow (the app uses 2 s).
  const probe = (over: Parameters<typeof probeLivekit>[0] = {}) => probeLivekit({ url: livekitUrl(), timeoutMs: 10_000, ...over });

  it('our key: ready; a wrong secret or an unknown key: not ready (unauthorized)', async () => {
    expect(await probe()).toEqual({ ok: true });
    expect(await probe({ apiSecret: 'wrong-secret-0123456789abcdef0123456789' })).toEqual({ ok: false, reason: 'unauthorized' });
    expect(await probe({ apiKey: 'someone-else' })).toEqual({ ok: false, reason: 'unauthorized' });
  });

  it('an SFU that accepts connections and never answers (frozen) is not ready once the timeout passes', async () => {
    sfu!.process.kill('SIGSTOP');
    try {
      expect(await probe({ timeoutMs: 500 })).toEqual({ ok: false, reason: 'timeout' });
    } finally {
      sfu!.process.kill('SIGCONT');
    }
    await until(async () => (await probe()).ok, 'the SFU to answer after SIGCONT');
  });

  it('a stopped SFU is not ready (unreachable)', async () => {
    await sfu!.stop();
    expect(await probe()).toEqual({ ok: false, reason: 'unreachable' });
  });

  it('GET /api/ready: 200 with every check; 503 naming the failed check with a wrong key, and no secret, key or address in the answer', async () => {
    const ok = await readyResponse({ db: () => fx.db, redis: null, livekit: () => probe() });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(await ok.json()).toMatchObject({ status: 'ready', checks: { database: { ok: true }, livekit: { ok: true } } });

    const wrongSecret = 'wrong-secret-0123456789abcdef0123456789';
    const bad = await readyResponse({ db: () => fx.db, redis: null, livekit: () => probe({ apiSecret: wrongSecret }) });
    expect(bad.status).toBe(503);
    const text = await bad.text();
    expect(JSON.parse(text)).toMatchObject({ status: 'not_ready', checks: { database: { ok: true }, livekit: { ok: false, reason: 'unauthorized' } } });
    for (const secret of [wrongSecret, env.LIVEKIT_API_SECRET, env.LIVEKIT_API_KEY, String(sfuPorts.port), '127.0.0.1']) expect(text).not.toContain(secret);
  });

  it('a flood of checks costs the SFU one request per cache period, shared while it is under way', async () => {
    let probes = 0;
    const counted = () => {
      probes++;
      return probe();
    };
    const cached = cachedProbe(counted, 60_000);
    const answers = await Promise.all(Array.from({ length: 50 }, () => cached()));
    expect(answers.every((a) => a.ok)).toBe(true);
    await cached();
    expect(probes).toBe(1);

    // With no cache period every settled answer is asked again.
    const uncached = cachedProbe(counted, 0);
    await uncached();
    await uncached();
    expect(probes).toBe(3);
  });

  it('staff consoles ask through invigilate.mediaServer: reachable with the SFU up, unreachable soon after it stops; candidates are refused', async () => {
    const invigilator = await makeStaff(fx.db, 'invigilator');
    const candidate = await makeCandidate(fx.db);
    const api = callerFor(makeContext(fx.db, invigilator));
    await until(async () => (await api.invigilate.mediaServer()).reachable, 'the console to see the media server up');
    expect((await trpcRefusal(callerFor(makeContext(fx.db, candidate)).invigilate.mediaServer())).code).toBe('FORBIDDEN');

    await sfu!.stop();
    // The answer is cached for a couple of seconds: the console sees the change on a later poll.
    await until(async () => !(await api.invigilate.mediaServer()).reachable, 'the console to see the media server down');
  });
});
