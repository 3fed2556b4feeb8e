/**
 * `npm run bench:realtime`: how fast the app's live connections (`GET /api/live`, one per tab)
 * deliver, with a whole exam's candidates and a full help desk connected at once, and how fast
 * they all come back after the app restarts.
 *
 * Starts a private `next start` of the production build (port 3298, no SFU; database, logs and
 * results under tests/.artifacts/bench-realtime), seeds 5,000 candidates registered and placed in
 * one exam's rooms, 400 support agents and an admin, with sessions written straight into the
 * database (no argon2 logins), then:
 *  1. 1,000 of the candidates open a help thread (help.open; the desk assigns them);
 *  2. each agent loads the desk as its console does: the queue (help.queue) and a few threads
 *     (help.thread), then holds one live connection with `desk` and `typing:<thread>` for the
 *     first thread it opened;
 *  3. all 5,000 candidates connect with the exam page's live connection
 *     (`commands:<exam>,messages`, plus `help` for those with an open thread, as the page
 *     does), from worker processes (realtime-clients.ts);
 *  4. one system message to all while nothing else happens (the quiet broadcast);
 *  5. the candidates with threads send ≥2,000 help messages at a steady rate, each timed until
 *     every agent's desk has it; halfway through, one system message to all candidates, timed
 *     until the last of them has it;
 *  6. the reconnect storm: the app process is killed (SIGKILL, as a crash; every connection
 *     drops) and started again on the same port and database; once it answers, a system message
 *     and a few help messages are sent, and the storm is timed until every tab is connected again
 *     and has every event the database says it should have (none missed, none twice);
 * and reports the app's resident memory. Progress goes to stderr; the last line of stdout is one
 * JSON object (also saved as result-<time>.json), with the targets and whether each was met.
 *
 * Environment: BENCH_SKIP_BUILD=1 reuses the last `.next` build; BENCH_APP_DIR runs the build
 * of another checkout (its `.next` and node_modules; built there beforehand) instead of this
 * one's; BENCH_CANDIDATES (5000), BENCH_AGENTS (400), BENCH_ASKING (candidates with a help
 * thread who send the help messages, 1000), BENCH_MESSAGES (2000), BENCH_RATE (messages/s, 25),
 * BENCH_THREADS_PER_AGENT (3), BENCH_STREAMS_PER_WORKER (1000 connections per worker process),
 * BENCH_STORM=0 skips the reconnect storm, BENCH_REDIS=1 runs the app with a private
 * redis-server as its bus, BENCH_CPU_PROF=1 writes a CPU profile of the app (node --cpu-prof)
 * beside the result (the process killed by the storm writes none: with the storm, the profile
 * is of the restarted app; BENCH_STORM=0 profiles the chat and broadcasts), BENCH_APP_NODE_ARGS
 * adds node flags to the app (e.g. `--max-semi-space-size=64`), BENCH_APPS=2 runs two app
 * processes on one database and a private Redis (ports 3298, 3299), as behind a load balancer.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openDb, type Db } from '@/db/client';
import { examRooms, registrations, sessions, supportAgents, users } from '@/db/schema';
import { hashPassword, SESSION_COOKIE } from '@/server/services/auth';
import { createExam, createRoom } from '@/server/services/setup';
import { CANDIDATE_COMMAND_TYPES } from '@/server/services/timeline';
import { makeIdNumber } from '../fixtures/factories';
import { startRedis, type RedisServer } from '../helpers/redis';
import { buildApp, freshDb, type StackConfig } from '../helpers/stack';
import { cpuBetween, sampleCpu, sampleThreads, threadsBetween } from './cpu';
import { newSessionToken, startApp, treeRssMb, type AppOptions, type AppProcess } from './realtime-app';
import type { AuditResult, Command, Expectation, MarkerResult, Reply, StreamSpec } from './realtime-clients';
import { APP_NODE_FLAGS } from '../../server/tooling/node-flags';

const ARTIFACTS = path.join(import.meta.dirname, '..', '.artifacts', 'bench-realtime');
const PORT = 3298;
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CANDIDATES = num('BENCH_CANDIDATES', 5000);
const AGENTS = num('BENCH_AGENTS', 400);
const ASKING = Math.min(CANDIDATES, num('BENCH_ASKING', 1000));
const MESSAGES = num('BENCH_MESSAGES', 2000);
const RATE = num('BENCH_RATE', 25);
const THREADS_PER_AGENT = num('BENCH_THREADS_PER_AGENT', 3);
/** Seats per room (the rooms' default capacity). */
const ROOM_SIZE = 30;
/** App processes sharing the database through Redis, as behind a load balancer (BENCH_APPS). */
const APPS = num('BENCH_APPS', 1);
const STREAMS_PER_WORKER = num('BENCH_STREAMS_PER_WORKER', 1000);
const STORM = process.env.BENCH_STORM !== '0';
const APP_DIR = process.env.BENCH_APP_DIR;
/** Help messages sent right after the restart, so desks and candidates' help topics have something to resume. */
const STORM_HELP = 20;
const WARMUP = 50;
const DRAIN_MS = 20_000;
const BROADCAST_TIMEOUT_MS = 120_000;
const STORM_TIMEOUT_MS = 180_000;
const DEADLINE_MS = 40 * 60_000;
const TARGET = { deliveryMsP99: 100, broadcastAllMs: 1000, rssMb: 1024, reconnectStormMs: 15_000, candidates: 5000, agents: 400 };

const log = (...args: unknown[]) => console.error(`[bench:realtime ${new Date().toISOString().slice(11, 19)}]`, ...args);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const runId = Math.random().toString(36).slice(2, 8);
const marker = (n: number) => `BENCH${runId}x${n}`;

type Person = { id: number; cookie: string };

/**
 * Users and sessions straight into the database (one argon2 hash shared by all, no logins):
 * the candidates registered in one exam that is under way, placed in its rooms (so the exam
 * page's `commands:<exam>` topic is theirs), the agents with a desk.
 */
async function seed(dbPath: string) {
  const db = openDb(dbPath);
  const passwordHash = await hashPassword('bench password 42');
  const at = Date.now();
  const expiresAt = new Date(at + 12 * 3600_000);
  const make = (role: 'candidate' | 'support' | 'admin', i: number): Person => {
    const user = db
      .insert(users)
      .values({
        role,
        name: role === 'candidate' ? `考生${i}` : `${role}-${i}`,
        username: role === 'candidate' ? null : `bench-${role}-${i}`,
        idNumber: role === 'candidate' ? makeIdNumber() : null,
        passwordHash,
      })
      .returning({ id: users.id })
      .get();
    const { token, tokenHash } = newSessionToken();
    db.insert(sessions).values({ tokenHash, userId: user.id, expiresAt }).run();
    if (role === 'support') db.insert(supportAgents).values({ userId: user.id, capacity: 50 }).run();
    return { id: user.id, cookie: `${SESSION_COOKIE}=${token}` };
  };
  const out = db.transaction((tx) => {
    const exam = createExam({
      db: tx,
      title: `压测考试 ${runId}`,
      kind: 'written',
      entryOpensAt: new Date(at - 20 * 60_000),
      entryClosesAt: new Date(at + 6 * 3600_000),
      startsAt: new Date(at - 5 * 60_000),
      durationMinutes: 600,
    });
    const candidates = Array.from({ length: CANDIDATES }, (_, i) => make('candidate', i + 1));
    let roomId = 0;
    for (const [i, c] of candidates.entries()) {
      if (i % ROOM_SIZE === 0) roomId = createRoom({ db: tx, examId: exam.id, name: `考场 ${i / ROOM_SIZE + 1}` }).id;
      // Accepted the notice and entered: sitting the exam, as an exam page's candidate is.
      tx.insert(registrations)
        .values({ examId: exam.id, roomId, candidateId: c.id, seat: (i % ROOM_SIZE) + 1, acceptedAt: new Date(at), enteredAt: new Date(at) })
        .run();
    }
    return {
      examId: exam.id,
      rooms: tx.select({ id: examRooms.id }).from(examRooms).all().length,
      candidates,
      agents: Array.from({ length: AGENTS }, (_, i) => make('support', i + 1)),
      admin: make('admin', 1),
    };
  });
  db.$client.close();
  return out;
}

/** A worker process holding live connections (realtime-clients.ts). */
class Clients {
  readonly child: ChildProcess;
  /** How many candidates' connections this worker holds (what a broadcast waits for). */
  candidates = 0;
  private readonly waiters: ((r: Reply) => boolean)[] = [];
  constructor(readonly name: string) {
    this.child = fork(path.join(import.meta.dirname, 'realtime-clients.ts'), [], {
      execArgv: process.execArgv,
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    this.child.on('message', (r: Reply) => {
      const i = this.waiters.findIndex((w) => w(r));
      if (i >= 0) this.waiters.splice(i, 1);
    });
  }
  send(cmd: Command) {
    this.child.send(cmd);
  }
  /** The next reply the predicate accepts (the predicate may resolve a promise). */
  when<T>(pick: (r: Reply) => T | undefined, timeoutMs: number): Promise<T> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no reply within ${timeoutMs} ms`)), timeoutMs);
      this.waiters.push((r) => {
        const v = pick(r);
        if (v === undefined) return false;
        clearTimeout(timer);
        resolve(v);
        return true;
      });
    });
  }
  async connect(base: string, streams: StreamSpec[]) {
    const done = this.when((r) => (r.t === 'connected' ? r : undefined), 10 * 60_000);
    this.send({ t: 'connect', base, streams, concurrency: 50 });
    return done;
  }
  async query(markers: string[]) {
    const id = Math.random();
    const done = this.when((r) => (r.t === 'result' && r.id === id ? r.data : undefined), 60_000);
    this.send({ t: 'query', id, markers });
    return done;
  }
  async audit(since: number, expected: Expectation[]) {
    const id = Math.random();
    const done = this.when((r) => (r.t === 'audit' && r.id === id ? r.data : undefined), 60_000);
    this.send({ t: 'audit', id, since, expected });
    return done;
  }
  async stats() {
    const done = this.when((r) => (r.t === 'stats' ? r : undefined), 60_000);
    this.send({ t: 'stats' });
    return done;
  }
  close() {
    if (this.child.connected) this.send({ t: 'close' });
    setTimeout(() => this.child.kill('SIGKILL'), 3000).unref();
  }
}

async function trpc<T>(base: string, cookie: string, procedure: string, input: unknown, kind: 'query' | 'mutation' = 'mutation'): Promise<T> {
  const url = `${base}/api/trpc/${procedure}`;
  const res =
    kind === 'query'
      ? await fetch(`${url}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, { headers: { cookie } })
      : await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', cookie }, body: JSON.stringify({ json: input }) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${procedure}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { result: { data: { json: T } } }).result.data.json;
}

/** `fn` over `items`, `n` at a time. */
async function pool<T, R>(items: T[], n: number, fn: (item: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN);
const round = (x: number) => Math.round(x * 10) / 10;

/** Tabs' live connections, split into workers of STREAMS_PER_WORKER, each worker on one app (round robin). */
async function connectTabs(bases: string[], specs: StreamSpec[], workers: Clients[], label: string, firstBase = 0) {
  const batches: { worker: Clients; specs: StreamSpec[] }[] = [];
  for (let i = 0; i < specs.length; i += STREAMS_PER_WORKER) {
    batches.push({ worker: new Clients(`${label}-${batches.length + 1}`), specs: specs.slice(i, i + STREAMS_PER_WORKER) });
  }
  // Connect one worker at a time: the app sees a steady trickle rather than thousands at once.
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  for (const [j, b] of batches.entries()) {
    workers.push(b.worker);
    const base = bases[(firstBase + j) % bases.length]!;
    const r = await b.worker.connect(base, b.specs);
    ok += r.ok;
    failed += r.failed;
    errors.push(...r.errors);
    b.worker.candidates = r.ok;
    log(`${b.worker.name} (${base}): ${r.ok}/${b.specs.length} connections in ${r.ms} ms${r.failed ? `, ${r.failed} failed: ${r.errors[0]}` : ''}`);
  }
  return { ok, failed, errors };
}

/** Merges one marker's results from several workers (the agents may span more than one). */
async function queryAll(workers: Clients[], markers: string[]) {
  const parts = await Promise.all(workers.map((w) => w.query(markers)));
  const out: Record<string, MarkerResult | null> = {};
  for (const m of markers) {
    let r: MarkerResult | null = null;
    for (const p of parts) {
      const d = p[m];
      if (!d) continue;
      r = r ? { count: r.count + d.count, first: Math.min(r.first, d.first), last: Math.max(r.last, d.last), repeats: r.repeats + d.repeats } : { ...d };
    }
    out[m] = r;
  }
  return out;
}

/** One system message to every candidate; resolves with how long until the first and the last connected one had it. */
async function broadcast(base: string, admin: Person, workers: Clients[], n: number) {
  const m = marker(n);
  const expected = workers.map((w) => w.candidates);
  const reached = workers.map((w) => w.when((r) => (r.t === 'reached' && r.marker === m ? r : undefined), BROADCAST_TIMEOUT_MS).catch(() => null));
  workers.forEach((w, i) => w.send({ t: 'expect', marker: m, count: expected[i]! }));
  const t0 = now();
  await trpc(base, admin.cookie, 'messages.send', {
    audience: 'all',
    title: `广播 ${m}`,
    body: `系统消息 ${m}`,
    priority: 'normal',
    mustAcknowledge: false,
  });
  const sentMs = now() - t0;
  const results = await Promise.all(reached);
  const got = await queryAll(workers, [m]);
  const complete = results.every((r) => r !== null);
  return {
    clients: expected.reduce((s, x) => s + x, 0),
    received: got[m]?.count ?? 0,
    repeats: got[m]?.repeats ?? 0,
    complete,
    sendMs: round(sentMs),
    firstMs: round((got[m]?.first ?? NaN) - t0),
    allMs: complete ? round((got[m]?.last ?? NaN) - t0) : null,
  };
}

/**
 * What every tab must have had by now, read from the database: every system message to all
 * (candidates), every desk event since the agents connected (desks start from now), each
 * candidate's own help events (a page load backfills them all) and exam-page commands.
 */
function expectations(db: Db, deskAfter: number): Expectation[] {
  const sqlite = db.$client;
  const byUser = (rows: { id: number; userId: number }[]) => {
    const out: Record<number, number[]> = {};
    for (const r of rows) (out[r.userId] ??= []).push(r.id);
    return out;
  };
  const commandTypes = CANDIDATE_COMMAND_TYPES.map((t) => `'${t}'`).join(',');
  return [
    { kind: 'messages', all: (sqlite.prepare(`select id from messages where audience = 'all' order by id`).all() as { id: number }[]).map((r) => r.id) },
    { kind: 'desk', all: (sqlite.prepare(`select id from help_events where id > ? order by id`).all(deskAfter) as { id: number }[]).map((r) => r.id) },
    {
      kind: 'help',
      byUser: byUser(
        sqlite
          .prepare(
            `select e.id as id, t.candidate_id as userId from help_events e join help_threads t on t.id = e.thread_id where e.staff_only = 0 order by e.id`,
          )
          .all() as { id: number; userId: number }[],
      ),
    },
    {
      kind: 'commands',
      byUser: byUser(
        sqlite.prepare(`select id, candidate_id as userId from events where type in (${commandTypes}) and candidate_id is not null order by id`).all() as {
          id: number;
          userId: number;
        }[],
      ),
    },
  ];
}

async function auditAll(workers: Clients[], since: number, expected: Expectation[]) {
  const parts = await Promise.all(workers.map((w) => w.audit(since, expected)));
  return parts.reduce<AuditResult>(
    (a, p) => ({
      streams: a.streams + p.streams,
      notBack: a.notBack + p.notBack,
      missing: a.missing + p.missing,
      missingStreams: a.missingStreams + p.missingStreams,
      examples: [...a.examples, ...p.examples].slice(0, 5),
      firstBackAt: a.firstBackAt && p.firstBackAt ? Math.min(a.firstBackAt, p.firstBackAt) : a.firstBackAt || p.firstBackAt,
      lastBackAt: Math.max(a.lastBackAt, p.lastBackAt),
      completeAt: Math.max(a.completeAt, p.completeAt),
    }),
    { streams: 0, notBack: 0, missing: 0, missingStreams: 0, examples: [], firstBackAt: 0, lastBackAt: 0, completeAt: 0 },
  );
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const dbPath = path.join(ARTIFACTS, 'realtime.db');
  const started = Date.now();
  const workers: Clients[] = [];
  const apps: AppProcess[] = [];
  let redis: RedisServer | null = null;
  const cleanup = async () => {
    for (const w of workers) w.close();
    await Promise.all(apps.map((a) => a.stop()));
    await redis?.stop();
  };
  const deadline = setTimeout(() => {
    log(`deadline of ${DEADLINE_MS / 60_000} min reached; stopping`);
    void cleanup().finally(() => process.exit(2));
  }, DEADLINE_MS);
  deadline.unref();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => void cleanup().finally(() => process.exit(130)));

  try {
    const build: StackConfig = {
      appPort: PORT,
      sfuPort: 8180,
      sfuTcpPort: 8181,
      sfuUdpPort: 8182,
      apiKey: 'bench-key',
      apiSecret: 'bench-secret-0123456789abcdef0123456789abcdef',
      artifacts: ARTIFACTS,
      dbPath,
    };
    if (APP_DIR) {
      if (!fs.existsSync(path.join(APP_DIR, '.next', 'BUILD_ID'))) throw new Error(`no build in ${APP_DIR}/.next: run next build there first`);
    } else if (buildApp(build, { skip: process.env.BENCH_SKIP_BUILD === '1' })) log('built');
    freshDb(dbPath);
    const t0 = Date.now();
    const people = await seed(dbPath);
    log(`seeded ${people.candidates.length} candidates in ${people.rooms} rooms of exam ${people.examId}, ${AGENTS} agents, 1 admin in ${Date.now() - t0} ms`);
    const db = openDb(dbPath);

    // Production refuses to make up a LiveKit secret; the benchmark never reaches the SFU.
    const env: Record<string, string> = { LIVEKIT_API_KEY: build.apiKey, LIVEKIT_API_SECRET: build.apiSecret };
    if (process.env.BENCH_REDIS === '1' || APPS > 1) {
      redis = await startRedis();
      env.REDIS_URL = redis.url;
      log(`redis-server at ${redis.url}`);
    }
    const profDir = path.join(ARTIFACTS, `cpu-${runId}`);
    const nodeArgs = [
      // The app as `npm run demo` starts it.
      ...APP_NODE_FLAGS,
      ...(process.env.BENCH_CPU_PROF === '1' ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []),
      // Extra flags for the app's node (e.g. --max-semi-space-size=64, --trace-gc), to try tunings.
      ...(process.env.BENCH_APP_NODE_ARGS?.split(/\s+/).filter(Boolean) ?? []),
    ];
    const appOptions = (i: number): AppOptions => ({
      port: PORT + i,
      dbPath,
      logFile: path.join(ARTIFACTS, `app${i ? i + 1 : ''}.log`),
      env,
      nodeArgs,
      nofile: 65536,
      dir: APP_DIR,
    });
    for (let i = 0; i < APPS; i++) apps.push(await startApp(appOptions(i)));
    const bases = apps.map((a) => a.url);
    const base = bases[0]!;
    // Replaced when the storm restarts the apps.
    let appPids = apps.map((a) => a.child.pid!);
    const rssEach = () => appPids.map((pid) => treeRssMb(pid));
    const rss = () => rssEach().reduce((s, x) => s + x, 0);
    log(`${APPS} app process(es) up at ${bases.join(', ')} (pids ${appPids.join(', ')}, ${rss()} MB)`);
    let rssPeak = 0;
    let rssPeakApp = 0;
    const rssTimer = setInterval(() => {
      const each = rssEach();
      rssPeak = Math.max(
        rssPeak,
        each.reduce((s, x) => s + x, 0),
      );
      rssPeakApp = Math.max(rssPeakApp, ...each);
    }, 1000);

    // ---- 1: candidates who will ask for help open their threads (the desk assigns them)
    const asking = people.candidates.slice(0, ASKING);
    const threadOf = new Map<number, number>();
    const tOpen = Date.now();
    await pool(asking, 8, async (c, i) => {
      const r = await trpc<{ id: number }>(bases[i % bases.length]!, c.cookie, 'help.open', { category: 'technical', body: '我的摄像头打不开' });
      threadOf.set(c.id, r.id);
    });
    log(`${threadOf.size} help threads opened in ${Date.now() - tOpen} ms`);

    // ---- 2: agents load their desks (queue, a few threads), then connect
    const agentBase = bases.at(-1)!;
    // Desks start from now (no cursor): every desk event after this one must reach every agent.
    const deskAfter = (db.$client.prepare('select coalesce(max(id), 0) as id from help_events').get() as { id: number }).id;
    const queueMs: number[] = [];
    let threadsLoaded = 0;
    const tLoad = Date.now();
    const agentSpecs = await pool(people.agents, 8, async (a): Promise<StreamSpec> => {
      const t = now();
      const queue = await trpc<{ id: number; agent: { id: number } | null }[]>(agentBase, a.cookie, 'help.queue', { scope: 'open' }, 'query');
      queueMs.push(now() - t);
      const mine = queue.filter((q) => q.agent?.id === a.id);
      const open = [...mine, ...queue.filter((q) => q.agent?.id !== a.id)].slice(0, THREADS_PER_AGENT);
      for (const th of open) await trpc(agentBase, a.cookie, 'help.thread', { threadId: th.id }, 'query');
      threadsLoaded += open.length;
      return { userId: a.id, cookie: a.cookie, topics: ['desk', ...(open[0] ? [`typing:${open[0].id}`] : [])] };
    });
    const agentLoadMs = Date.now() - tLoad;
    queueMs.sort((x, y) => x - y);
    const typingTopics = agentSpecs.filter((s) => s.topics.length > 1).length;
    log(
      `${AGENTS} agents loaded their desks in ${agentLoadMs} ms (help.queue p50 ${round(percentile(queueMs, 50))} ms, max ${round(queueMs.at(-1) ?? NaN)} ms; ${threadsLoaded} threads)`,
    );
    const agentWorkers: Clients[] = [];
    // Agents on the last app: with several, most candidates' messages cross processes through Redis.
    const ag = await connectTabs([agentBase], agentSpecs, agentWorkers, 'agents');
    workers.push(...agentWorkers);
    if (ag.failed) throw new Error(`${ag.failed} agents could not connect: ${ag.errors[0]}`);

    // ---- 3: every candidate's exam page connects
    const candidateWorkers: Clients[] = [];
    // As the exam page does (components/help/use-my-help.ts): `help` only while the candidate has an open thread.
    const askingIds = new Set(people.candidates.slice(0, ASKING).map((c) => c.id));
    const candidateSpecs = people.candidates.map((c): StreamSpec => ({
      userId: c.id,
      cookie: c.cookie,
      topics: askingIds.has(c.id) ? [`commands:${people.examId}`, 'messages', 'help'] : [`commands:${people.examId}`, 'messages'],
    }));
    const cc = await connectTabs(bases, candidateSpecs, candidateWorkers, 'candidates');
    workers.push(...candidateWorkers);
    if (cc.failed) log(`${cc.failed} candidate connections failed: ${cc.errors[0]}`);
    const rssConnected = rss();
    log(`${cc.ok} candidates and ${ag.ok} agents connected; app RSS ${rssConnected} MB`);

    // ---- 4: one system message to all while nothing else runs
    await sleep(2000);
    const quiet = await broadcast(base, people.admin, candidateWorkers, 1);
    log(
      `quiet broadcast to ${quiet.clients}: all in ${quiet.allMs} ms (first ${quiet.firstMs}, send returned after ${quiet.sendMs}), ${quiet.received} received`,
    );

    // ---- 5: candidate -> agent help messages at a steady rate, and a broadcast halfway
    const sentAt = new Map<string, number>();
    const sendErrors: string[] = [];
    const sendOne = async (i: number, counted: boolean) => {
      const who = asking[i % asking.length]!;
      const via = bases[i % bases.length]!;
      const m = marker(1000 + i);
      const t = now();
      if (counted) sentAt.set(m, t);
      try {
        await trpc(via, who.cookie, 'help.send', { threadId: threadOf.get(who.id)!, body: `考生求助 ${m}` });
      } catch (err) {
        sentAt.delete(m);
        sendErrors.push((err as Error).message);
      }
    };
    // Warm-up (not counted): JIT, statement caches.
    await pool(
      Array.from({ length: WARMUP }, (_, i) => i),
      5,
      (i) => sendOne(i, false),
    );
    await sleep(1000);
    log(`sending ${MESSAGES} help messages at ${RATE}/s, a broadcast to all halfway`);
    // Where the CPU went meanwhile, and how long the app's JS thread waited for a core.
    const cpuRoots = () => ({ app: appPids, clients: workers.map((w) => w.child.pid!).filter(Boolean) });
    const cpu0 = sampleCpu(cpuRoots());
    const thr0 = sampleThreads(appPids[0]!);
    const pending: Promise<void>[] = [];
    let during: Promise<Awaited<ReturnType<typeof broadcast>>> | null = null;
    const tStart = now();
    for (let i = 0; i < MESSAGES; i++) {
      const due = tStart + (i * 1000) / RATE;
      const wait = due - now();
      if (wait > 0) await sleep(wait);
      pending.push(sendOne(WARMUP + i, true));
      if (i === Math.floor(MESSAGES / 2)) during = broadcast(base, people.admin, candidateWorkers, 2);
    }
    await Promise.all(pending);
    const sendSpanS = (now() - tStart) / 1000;
    const b2 = await during!;
    const chatCpu = cpuBetween(cpu0, sampleCpu(cpuRoots()));
    const chatAppThreads = threadsBetween(thr0, sampleThreads(appPids[0]!));
    log(`broadcast to ${b2.clients} during the chat: all in ${b2.allMs} ms (first ${b2.firstMs}, send returned after ${b2.sendMs}), ${b2.received} received`);
    log(`CPU during the chat (% of one core): ${JSON.stringify(chatCpu)}; app threads ${JSON.stringify(chatAppThreads)}`);
    const markers = [...sentAt.keys()];
    const drainUntil = Date.now() + DRAIN_MS;
    let deliveries: Record<string, MarkerResult | null> = {};
    for (;;) {
      deliveries = await queryAll(agentWorkers, markers);
      const missing = markers.filter((m) => (deliveries[m]?.count ?? 0) < ag.ok).length;
      if (!missing || Date.now() > drainUntil) break;
      await sleep(500);
    }
    const latencies: number[] = [];
    const firstLatencies: number[] = [];
    let incomplete = 0;
    let repeats = 0;
    const missed: string[] = [];
    const windows = new Map<number, number[]>();
    for (const [k, m] of markers.entries()) {
      const d = deliveries[m];
      if (!d || d.count < ag.ok) {
        incomplete++;
        missed.push(`${m} (message ${k + 1}, sent via app ${((WARMUP + k) % APPS) + 1}): ${d?.count ?? 0}/${ag.ok} agents`);
        continue;
      }
      repeats += d.repeats;
      const l = d.last - sentAt.get(m)!;
      latencies.push(l);
      firstLatencies.push(d.first - sentAt.get(m)!);
      // Latency over time (5 s windows of send time): a slow moment shows up as a slow window.
      const w = Math.floor((sentAt.get(m)! - tStart) / 5000) * 5;
      windows.set(w, [...(windows.get(w) ?? []), l]);
    }
    if (missed.length) log(`never reached every agent: ${missed.slice(0, 5).join('; ')}`);
    const latencyByWindow = [...windows].map(([fromS, l]) => {
      l.sort((a, b) => a - b);
      return { fromS, n: l.length, p50: round(percentile(l, 50)), max: round(l.at(-1)!) };
    });
    latencies.sort((a, b) => a - b);
    firstLatencies.sort((a, b) => a - b);
    const rssChat = rss();
    log(
      `help delivery to all ${ag.ok} agents over ${latencies.length} messages: p50 ${round(percentile(latencies, 50))} p95 ${round(percentile(latencies, 95))} p99 ${round(percentile(latencies, 99))} max ${round(latencies.at(-1) ?? NaN)} ms` +
        ` (${incomplete} incomplete, ${sendErrors.length} send errors${sendErrors[0] ? `: ${sendErrors[0]}` : ''})`,
    );

    // Every tab against the database before the storm: the check itself must find nothing missing.
    const before = await auditAll(workers, 0, expectations(db, deskAfter));
    log(`before the storm: ${before.streams} connections, ${before.missing} events missing${before.examples[0] ? ` (${before.examples[0]})` : ''}`);

    // ---- 6: the reconnect storm
    let storm: Record<string, unknown> | null = null;
    let reconnectStormMs: number | null = null;
    let missedEvents: number | null = null;
    let stormCpu = null;
    if (STORM) {
      await sleep(2000);
      const statsBefore = await Promise.all(workers.map((w) => w.stats()));
      const openBefore = statsBefore.reduce((s, x) => s + x.open, 0);
      log(`reconnect storm: killing ${APPS} app process(es) with ${openBefore} connections open`);
      const tKill = now();
      await Promise.all(apps.map((a) => a.stop({ hard: true })));
      const downMs = now() - tKill;
      // Up once the live route answers (a 401 without a cookie): the moment tabs can connect again.
      const restarted = await Promise.all(apps.map((_, i) => startApp({ ...appOptions(i), readyPath: '/api/live?topics=desk' })));
      apps.splice(0, apps.length, ...restarted);
      appPids = apps.map((a) => a.child.pid!);
      const upMs = now() - tKill;
      // From the restarted app's start on (the killed process's ticks are gone with it).
      const cpu1 = sampleCpu(cpuRoots());
      log(`app(s) answering again ${round(upMs)} ms after the kill (pids ${appPids.join(', ')})`);
      // Events the tabs must resume after their cursors: sent the moment the app answers, while most are still waiting to reconnect.
      const stormErrors: string[] = [];
      await trpc(base, people.admin.cookie, 'messages.send', {
        audience: 'all',
        title: `重启后 ${runId}`,
        body: `系统消息 ${marker(3)}`,
        priority: 'normal',
        mustAcknowledge: false,
      }).catch((err: Error) => stormErrors.push(err.message));
      const broadcastSentMs = now() - tKill;
      await pool(
        Array.from({ length: STORM_HELP }, (_, i) => i),
        5,
        async (i) => {
          const who = asking[(i * 37) % asking.length]!;
          await trpc(bases[i % bases.length]!, who.cookie, 'help.send', { threadId: threadOf.get(who.id)!, body: `重启后 ${marker(100_000 + i)}` }).catch(
            (err: Error) => stormErrors.push(err.message),
          );
        },
      );
      const sentMs = now() - tKill;
      const expected = expectations(db, deskAfter);
      let last: AuditResult;
      let polls = 0;
      for (;;) {
        last = await auditAll(workers, tKill, expected);
        polls++;
        if ((!last.notBack && !last.missing) || now() - tKill > STORM_TIMEOUT_MS) break;
        if (polls % 10 === 0)
          log(`storm +${Math.round((now() - tKill) / 1000)} s: ${last.streams - last.notBack}/${last.streams} back, ${last.missing} events missing`);
        await sleep(500);
      }
      const done = !last.notBack && !last.missing;
      reconnectStormMs = done ? round(last.completeAt - tKill) : null;
      missedEvents = last.missing;
      stormCpu = cpuBetween(cpu1, sampleCpu(cpuRoots()));
      const statsAfter = await Promise.all(workers.map((w) => w.stats()));
      storm = {
        killedMs: round(downMs),
        answeringMs: round(upMs),
        broadcastSentMs: round(broadcastSentMs),
        eventsSentMs: round(sentMs),
        firstBackMs: last.firstBackAt ? round(last.firstBackAt - tKill) : null,
        lastBackMs: last.lastBackAt ? round(last.lastBackAt - tKill) : null,
        allBackMs: reconnectStormMs,
        connectionsBefore: openBefore,
        connectionsAfter: statsAfter.reduce((s, x) => s + x.open, 0),
        notBack: last.notBack,
        missedEvents: last.missing,
        missedConnections: last.missingStreams,
        missedExamples: last.examples,
        sendErrors: stormErrors.slice(0, 3),
        reconnects: statsAfter.reduce((s, x) => s + x.reconnects, 0) - statsBefore.reduce((s, x) => s + x.reconnects, 0),
        rssMbAfter: rss(),
      };
      log(`reconnect storm: ${JSON.stringify(storm)}`);
    }

    const stats = await Promise.all(workers.map((w) => w.stats()));
    clearInterval(rssTimer);
    const each = rssEach();
    rssPeak = Math.max(
      rssPeak,
      each.reduce((s, x) => s + x, 0),
    );
    rssPeakApp = Math.max(rssPeakApp, ...each);

    const p99 = percentile(latencies, 99);
    const targets = {
      deliveryMsP99: {
        target: `<= ${TARGET.deliveryMsP99} ms with ${TARGET.agents} agents + ${TARGET.candidates} candidates`,
        value: round(p99),
        pass: ag.ok >= TARGET.agents && cc.ok >= TARGET.candidates && incomplete === 0 && p99 <= TARGET.deliveryMsP99,
      },
      broadcastAllMs: {
        target: `<= ${TARGET.broadcastAllMs} ms for ${TARGET.candidates}`,
        value: b2.allMs,
        pass: b2.clients >= TARGET.candidates && b2.complete && (b2.allMs ?? Infinity) <= TARGET.broadcastAllMs,
      },
      rssMb: { target: `<= ${TARGET.rssMb} MB (peak, per app process)`, value: rssPeakApp, pass: rssPeakApp <= TARGET.rssMb },
      reconnectStormMs: {
        target: `<= ${TARGET.reconnectStormMs} ms with ${TARGET.candidates} candidates, 0 missed`,
        value: reconnectStormMs,
        missedEvents,
        pass: STORM && cc.ok >= TARGET.candidates && missedEvents === 0 && reconnectStormMs !== null && reconnectStormMs <= TARGET.reconnectStormMs,
      },
    };

    const result = {
      clients: cc.ok,
      candidates: cc.ok,
      agents: ag.ok,
      asking: ASKING,
      messages: latencies.length,
      rate: RATE,
      sendSpanS: round(sendSpanS),
      deliveryMsP50: round(percentile(latencies, 50)),
      deliveryMsP95: round(percentile(latencies, 95)),
      deliveryMsP99: round(p99),
      deliveryMsMax: round(latencies.at(-1) ?? NaN),
      firstAgentMsP50: round(percentile(firstLatencies, 50)),
      firstAgentMsP99: round(percentile(firstLatencies, 99)),
      deliveryIncomplete: incomplete,
      deliveryMissed: missed.slice(0, 10),
      deliveryMarkerRepeats: repeats,
      sendErrors: sendErrors.length,
      broadcastAtClients: quiet,
      broadcastClients: b2.clients,
      broadcastReceived: b2.received,
      broadcastAllMs: b2.allMs,
      broadcastFirstMs: b2.firstMs,
      broadcastSendMs: b2.sendMs,
      agentDesks: {
        queueMsP50: round(percentile(queueMs, 50)),
        queueMsMax: round(queueMs.at(-1) ?? NaN),
        threadsLoaded,
        typingTopics,
        loadS: round(agentLoadMs / 1000),
      },
      missedBeforeStorm: before.missing,
      reconnectStormMs,
      missedEvents,
      reconnectStorm: storm,
      duplicateEventIds: stats.reduce((s, x) => s + x.duplicateIds, 0),
      outOfOrderIds: stats.reduce((s, x) => s + x.outOfOrder, 0),
      streamsOpen: stats.reduce((s, x) => s + x.open, 0),
      streamErrors: stats.reduce((s, x) => s + x.errors, 0),
      streamRefused: stats.reduce((s, x) => s + x.refused, 0),
      streamReconnects: stats.reduce((s, x) => s + x.reconnects, 0),
      lastStreamError: stats.find((s) => s.lastError)?.lastError ?? null,
      rssMb: rssPeak,
      rssMbMaxApp: rssPeakApp,
      rssMbAt: { connected: rssConnected, afterChat: rssChat, peak: rssPeak, end: each },
      apps: APPS,
      bus: redis ? 'redis' : 'in-process',
      appNodeArgs: nodeArgs.filter((a) => !a.startsWith('--cpu-prof')),
      cpu: { chat: chatCpu, chatAppThreads, storm: stormCpu },
      latencyByWindow,
      targets,
      pass: Object.values(targets).every((t) => t.pass),
      definitions: {
        deliveryMs:
          "per help message (help.send from a candidate with an assigned thread): from the moment the candidate's request starts to the moment the LAST agent's live connection (topic `desk`) has the event; percentiles over the counted messages",
        firstAgentMs: 'as deliveryMs but to the first agent',
        deliveryMarkerRepeats: 'later desk events quoting an already delivered message again; not duplicates',
        broadcastAtClients:
          'a system message to all (admin messages.send, audience all) while nothing else runs, timed to the first and last candidate (topic `messages`)',
        broadcastAllMs: "the same, sent halfway through the help messages: from the start of the admin's request until the last connected candidate has it",
        agentDesks:
          'each agent: help.queue (open) once, help.thread for up to BENCH_THREADS_PER_AGENT threads (its own first), then one live connection `desk,typing:<first thread>`',
        candidates:
          'each holds the exam page connection `commands:<exam>,messages`; the BENCH_ASKING of them with an assigned help thread (who send the help messages) also `help`, as the page does',
        reconnectStormMs:
          'the app process(es) killed (SIGKILL) and started again on the same port and database; a system message to all and a few help messages sent as soon as they answer; from the kill until every connection has an `open` frame after it and has every event the database says it should (the later of the two per connection, the last connection)',
        missedEvents:
          'tracked ids a connection never received: every all-candidates message (candidates), every help event since the desks connected (agents), the candidate`s own non-staff help events and exam commands (candidates), checked against the database',
        missedBeforeStorm: 'the same check before the storm (must be 0, else the check or the delivery is wrong)',
        duplicateEventIds: 'tracked events a connection received at or below its cursor for the topic (must be 0)',
        reconnect:
          'as a tab: after a drop, reconnectDelay(0) (components/live/backoff.ts); after each failed attempt, reconnectDelay(failures); cursors per topic in Last-Event-ID',
        rssMb:
          'peak resident memory of the app process tree(s) (next start; summed over the app processes), sampled every second; rssMbMaxApp: the largest single app process (the target)',
        apps: "app processes (BENCH_APPS): candidates' workers are spread over them round robin, agents are on the last one, help messages are sent through them in turn, broadcasts through the first; events cross through Redis; the storm restarts all of them",
        clock: 'performance.timeOrigin + performance.now() in each process (same machine clock)',
        cpu: 'percent of one core (200 = both cores) per process group during the chat and during the storm (from the restarted app answering until every tab is back); otherProcesses is everything else on the machine; "main (JS) waiting for a CPU" is the app JS thread runnable but not running (/proc schedstat)',
        latencyByWindow: 'delivery latency by 5 s window of send time: p50 and max',
      },
      machine: { cpus: os.cpus().length, node: process.version, loadAvg: os.loadavg().map(round) },
      durationS: Math.round((Date.now() - started) / 1000),
    };
    db.$client.close();
    fs.writeFileSync(path.join(ARTIFACTS, `result-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify(result, null, 2));
    await cleanup();
    if (process.env.BENCH_CPU_PROF === '1') log(`CPU profile in ${profDir}`);
    console.log(JSON.stringify(result));
  } catch (err) {
    log((err as Error).stack ?? err);
    await cleanup();
    process.exitCode = 1;
  }
}

await main();
