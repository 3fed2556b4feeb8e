import fs from 'node:fs';
import path from 'node:path';
import { createTRPCClient, httpLink, httpSubscriptionLink, splitLink } from '@trpc/client';
import { EventSource } from 'eventsource';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '@/db/client';
import { sessions } from '@/db/schema';
import type { AppRouter } from '@/server/routers/_app';
import { SESSION_COOKIE } from '@/server/services/auth';
import { makeCandidate, makeStaff } from '../fixtures/factories';
import { newSessionToken, startApp, type AppProcess } from '../bench/realtime-app';
import { E2E } from '../helpers/e2e-env';
import { startRedis, type RedisServer } from '../helpers/redis';
import { freshDb } from '../helpers/stack';

/**
 * Two `next start` processes of the same build behind one SQLite file and one Redis, as two
 * app servers behind a load balancer would be: what one process persists and emits reaches
 * SSE subscribers held by the other, and a subscriber whose server dies resumes on the
 * restarted one with nothing missed and nothing twice.
 */
const dir = path.join(E2E.artifacts, 'scale-out');
const dbPath = path.join(dir, 'scale-out.db');
const PORTS = { a: 3391, b: 3392 };

let redis: RedisServer;
let db: Db;
const apps: Record<'a' | 'b', AppProcess | null> = { a: null, b: null };

const start = (name: 'a' | 'b') => startApp({ port: PORTS[name], dbPath, logFile: path.join(dir, `app-${name}.log`), env: { REDIS_URL: redis.url } });

beforeAll(async () => {
  fs.mkdirSync(dir, { recursive: true });
  freshDb(dbPath);
  db = openDb(dbPath);
  redis = await startRedis();
  [apps.a, apps.b] = await Promise.all([start('a'), start('b')]);
});

afterAll(async () => {
  await Promise.all([apps.a?.stop(), apps.b?.stop()]);
  await redis?.stop();
  db?.$client.close();
});

/** A session cookie for a user, written straight into the shared database. */
function cookieFor(userId: number) {
  const { token, tokenHash } = newSessionToken();
  db.insert(sessions)
    .values({ tokenHash, userId, expiresAt: new Date(Date.now() + 3600_000) })
    .run();
  return `${SESSION_COOKIE}=${token}`;
}

/** The app's tRPC client as a Node program uses it: SSE subscriptions through `eventsource`. */
function client(base: string, cookie: string) {
  const url = `${base}/api/trpc`;
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url,
          transformer: superjson,
          EventSource,
          eventSourceOptions: () => ({
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, cookie } }),
          }),
        }),
        false: httpLink({ url, transformer: superjson, headers: { cookie } }),
      }),
    ],
  });
}

/** Collects what a subscription yields and lets a test wait for a condition on it. */
function collector<T>() {
  const items: T[] = [];
  const waiters: (() => void)[] = [];
  return {
    items,
    push(item: T) {
      items.push(item);
      for (const w of waiters.splice(0)) w();
    },
    async until(check: (items: T[]) => boolean, what: string, ms = 30_000) {
      const deadline = Date.now() + ms;
      while (!check(items)) {
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(
            `timed out waiting for ${what}; have ${items.length}: ${JSON.stringify(items.slice(-12), (k, v) => (k === 'thread' ? undefined : v)).slice(-3000)}`,
          );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, left);
          waiters.push(() => (clearTimeout(timer), resolve()));
        });
      }
    },
  };
}

/** The payload of a tracked event (tRPC hands them over as `{ id, data }`). */
const untrack = <T>(v: unknown): { id: string | null; data: T } =>
  v && typeof v === 'object' && 'id' in v && 'data' in v ? { id: String(v.id), data: v.data as T } : { id: null, data: v as T };

describe('two app processes sharing one database and Redis', () => {
  it('an agent subscribed on app B sees a help request made through app A', async () => {
    const candidate = await makeCandidate(db);
    const agent = await makeStaff(db, 'support');
    const onB = client(apps.b!.url, cookieFor(agent.id));
    const desk = collector<{ event: { type: string }; message: { body: string } | null }>();
    let started!: () => void;
    const isStarted = new Promise<void>((r) => (started = r));
    const sub = onB.help.onDesk.subscribe(
      {},
      { onStarted: () => started(), onData: (v) => desk.push(untrack<{ event: { type: string }; message: { body: string } | null }>(v).data) },
    );
    try {
      await isStarted;
      const body = `屏幕共享断了，怎么办？ ${Date.now()}`;
      const thread = await client(apps.a!.url, cookieFor(candidate.id)).help.open.mutate({ category: 'technical', body });
      await desk.until((items) => items.some((u) => u.event.type === 'opened' && u.message?.body === body), 'the opened thread on app B');
      expect(thread.id).toBeGreaterThan(0);
    } finally {
      sub.unsubscribe();
    }
  });

  it('a candidate whose app server is killed mid-conversation resumes on its restart with every missed reply exactly once, in order', async () => {
    const candidate = await makeCandidate(db);
    const agent = await makeStaff(db, 'support');
    const candidateOnA = client(apps.a!.url, cookieFor(candidate.id));
    const agentOnA = client(apps.a!.url, cookieFor(agent.id));
    const thread = await candidateOnA.help.open.mutate({ category: 'other', body: '我的摄像头没有画面' });

    type Update = { event: { id: number; type: string }; message: { kind: string; body: string } | null };
    const seen = collector<{ id: string | null; data: Update }>();
    const states: string[] = [];
    const candidateOnB = client(apps.b!.url, cookieFor(candidate.id));
    const sub = candidateOnB.help.onMine.subscribe(
      {},
      {
        onData: (v) => {
          const u = untrack<Update>(v);
          if (u.data && typeof u.data === 'object' && 'event' in u.data) seen.push(u);
        },
        onConnectionStateChange: (s) => states.push(`${s.state}${s.error ? `: ${s.error.message}` : ''}`),
        onError: (err) => states.push(`error: ${err.message}`),
      },
    );
    const replies = () => seen.items.filter((u) => u.data.message?.kind === 'agent').map((u) => u.data.message!.body);
    const say = (body: string) => agentOnA.help.send.mutate({ threadId: thread.id, body });

    try {
      // The backfill brings the opening message; live replies follow.
      await seen.until((items) => items.some((u) => u.data.event.type === 'opened'), 'the backfilled opening');
      for (const n of [1, 2, 3]) await say(`回复 ${n}`);
      await seen.until(() => replies().length === 3, 'three replies before the restart');

      await apps.b!.stop({ hard: true });
      // Replies sent through A while B is down: nobody is listening for this candidate anywhere.
      for (const n of [4, 5, 6, 7, 8]) await say(`回复 ${n}`);
      apps.b = await start('b');
      // The client reconnects by itself (EventSource retry) with its last event id.
      await seen.until(() => replies().length >= 8, 'the missed replies after the restart');
      for (const n of [9, 10]) await say(`回复 ${n}`);
      await seen.until(() => replies().length >= 10, `live replies after the restart (connection states: ${states.join(', ')})`);

      expect(replies()).toEqual(Array.from({ length: 10 }, (_, i) => `回复 ${i + 1}`));
      const ids = seen.items.map((u) => u.data.event.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      // It did lose the connection and come back (not a stream that never broke).
      expect(states.filter((s) => s.startsWith('connecting')).length).toBeGreaterThanOrEqual(2);
    } finally {
      sub.unsubscribe();
    }
  });
});
