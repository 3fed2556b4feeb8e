import fs from 'node:fs';
import path from 'node:path';
import { createTRPCClient, httpLink } from '@trpc/client';
import superjson from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '@/db/client';
import { sessions } from '@/db/schema';
import { CURSORS_HEADER, encodeCursors, type LiveTopic } from '@/server/live/types';
import type { AppRouter } from '@/server/routers/_app';
import type { DeskUpdate, MineUpdate } from '@/server/services/help';
import { SESSION_COOKIE } from '@/server/services/auth';
import { makeCandidate, makeStaff } from '../fixtures/factories';
import { newSessionToken, startApp, type AppProcess } from '../bench/realtime-app';
import { E2E } from '../helpers/e2e-env';
import { sseFrames, type LiveFrame } from '../helpers/live';
import { startRedis, type RedisServer } from '../helpers/redis';
import { freshDb } from '../helpers/stack';

/**
 * Two `next start` processes of the same build behind one SQLite file and one Redis, as two
 * app servers behind a load balancer would be: what one process persists and emits reaches
 * live connections (`GET /api/live`) held by the other, and a page whose server dies resumes
 * on the restarted one with nothing missed and nothing twice.
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

/** The app's tRPC client for queries and mutations, as a Node program uses it. */
function client(base: string, cookie: string) {
  return createTRPCClient<AppRouter>({ links: [httpLink({ url: `${base}/api/trpc`, transformer: superjson, headers: { cookie } })] });
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

/**
 * A page's live connection over real HTTP, as the browser holds it: `GET /api/live` with the
 * session cookie; when the stream ends or the server is gone, it connects again with each
 * topic's last id in Last-Event-ID. The browser waits a jittered backoff between attempts; a
 * short fixed pause is enough here.
 */
function liveConnection(base: string, cookie: string, topics: LiveTopic[]) {
  const frames = collector<LiveFrame>();
  const cursors = new Map<LiveTopic, number>();
  const states: string[] = [];
  const stop = new AbortController();
  const done = (async () => {
    while (!stop.signal.aborted) {
      try {
        const headers: Record<string, string> = { cookie };
        if (cursors.size) headers[CURSORS_HEADER] = encodeCursors(cursors);
        const res = await fetch(`${base}/api/live?topics=${topics.join(',')}`, { headers, signal: stop.signal });
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${await res.text()}`);
        for await (const f of sseFrames(res.body!)) {
          if (f.event === 'open') states.push(`open ${encodeCursors(cursors)}`);
          else if (f.event !== 'refused' && f.id != null) cursors.set(f.event, f.id);
          frames.push(f);
        }
        states.push('ended');
      } catch (err) {
        if (stop.signal.aborted) break;
        states.push(`error: ${(err as Error).message}`);
      }
      if (!stop.signal.aborted) await new Promise((r) => setTimeout(r, 250));
    }
  })();
  return {
    frames,
    states,
    /** Resolves once the server accepted the topics (listening has started). */
    opened: () => frames.until((items) => items.some((f) => f.event === 'open'), 'the open frame'),
    close: async () => {
      stop.abort();
      await done;
    },
  };
}

describe('two app processes sharing one database and Redis', () => {
  it('an agent whose desk is connected to app B sees a help request made through app A', async () => {
    const candidate = await makeCandidate(db);
    const agent = await makeStaff(db, 'support');
    const desk = liveConnection(apps.b!.url, cookieFor(agent.id), ['desk']);
    try {
      await desk.opened();
      const body = `屏幕共享断了，怎么办？ ${Date.now()}`;
      const thread = await client(apps.a!.url, cookieFor(candidate.id)).help.open.mutate({ category: 'technical', body });
      const opened = (f: LiveFrame) => f.event === 'desk' && (f.data as DeskUpdate).event.type === 'opened' && (f.data as DeskUpdate).message?.body === body;
      await desk.frames.until((items) => items.some(opened), 'the opened thread on app B');
      expect(thread.id).toBeGreaterThan(0);
      expect((desk.frames.items.find(opened)!.data as DeskUpdate).thread).toMatchObject({ id: thread.id });
    } finally {
      await desk.close();
    }
  });

  it('a candidate whose app server is killed mid-conversation resumes on its restart with every missed reply exactly once, in order', async () => {
    const candidate = await makeCandidate(db);
    const agent = await makeStaff(db, 'support');
    const candidateOnA = client(apps.a!.url, cookieFor(candidate.id));
    const agentOnA = client(apps.a!.url, cookieFor(agent.id));
    const thread = await candidateOnA.help.open.mutate({ category: 'other', body: '我的摄像头没有画面' });

    // The candidate's page holds its live connection on B; queue positions (untracked) are left aside.
    const live = liveConnection(apps.b!.url, cookieFor(candidate.id), ['help']);
    const seen = {
      get items() {
        return live.frames.items.filter((f) => f.event === 'help' && 'event' in f.data).map((f) => ({ id: f.id, data: f.data as MineUpdate }));
      },
      until: (check: (items: { id?: number; data: MineUpdate }[]) => boolean, what: string) => live.frames.until(() => check(seen.items), what),
    };
    const states = live.states;
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
      // The page reconnects by itself with its cursor (help=<last id>).
      await seen.until(() => replies().length >= 8, 'the missed replies after the restart');
      for (const n of [9, 10]) await say(`回复 ${n}`);
      await seen.until(() => replies().length >= 10, `live replies after the restart (connection states: ${states.join(', ')})`);

      expect(replies()).toEqual(Array.from({ length: 10 }, (_, i) => `回复 ${i + 1}`));
      const ids = seen.items.map((u) => u.data.event.id);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids).toEqual([...ids].sort((x, y) => x - y));
      expect(seen.items.map((u) => u.id)).toEqual(ids);
      // It did lose the connection and come back with a cursor (not a stream that never broke).
      expect(states.filter((s) => s.startsWith('open')).length).toBeGreaterThanOrEqual(2);
      expect(states.filter((s) => s.startsWith('open help=')).length).toBeGreaterThanOrEqual(1);
    } finally {
      await live.close();
    }
  });
});
