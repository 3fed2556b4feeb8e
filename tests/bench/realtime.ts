/**
 * `npm run bench:realtime`: how fast the app's realtime streams (tRPC subscriptions over SSE)
 * deliver, with many candidates connected at once.
 *
 * Starts a private `next start` of the production build (port 3298, no SFU; database, logs and
 * results under tests/.artifacts/bench-realtime), seeds 5,000 candidates, 5 support agents and
 * an admin with sessions written straight into the database (no argon2 logins), then:
 *  1. connects 1,000 candidates, each with the two streams the page of a candidate asking for
 *     help holds (help.onMine + messages.onMine), and the 5 agents on help.onDesk, from worker
 *     processes;
 *  2. has candidates send ≥2,000 help messages at a steady rate (the first of each candidate
 *     opens its thread, the rest are help.send) and times each until the agents' consoles get it;
 *  3. sends one system message to all candidates and times it until every connected candidate
 *     has it;
 *  4. connects more candidates, up to 5,000 (as many as connect), and broadcasts again; these
 *     hold messages.onMine only, as a candidate page without an open help thread does;
 * and reports the app's resident memory. Progress goes to stderr; the last line of stdout is one
 * JSON object (also saved as result-<time>.json).
 *
 * Environment: BENCH_SKIP_BUILD=1 reuses the last `.next` build; BENCH_CLIENTS (1000),
 * BENCH_MESSAGES (2000), BENCH_RATE (messages/s, 25), BENCH_BROADCAST_CLIENTS (5000),
 * BENCH_STREAMS_PER_WORKER (1000), BENCH_REDIS=1 runs the app with a private redis-server as its
 * bus, BENCH_CPU_PROF=1 writes a CPU profile of the app (node --cpu-prof) beside the result,
 * BENCH_APP_NODE_ARGS adds node flags to the app (e.g. `--max-semi-space-size=64`), BENCH_APPS=2
 * runs two app processes on one database and a private Redis (ports 3298, 3299), as behind a
 * load balancer.
 */
import { fork, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openDb } from '@/db/client';
import { sessions, supportAgents, users } from '@/db/schema';
import { hashPassword, SESSION_COOKIE } from '@/server/services/auth';
import { makeIdNumber } from '../fixtures/factories';
import { startRedis, type RedisServer } from '../helpers/redis';
import { buildApp, freshDb, type StackConfig } from '../helpers/stack';
import { cpuBetween, sampleCpu, sampleThreads, threadsBetween } from './cpu';
import { newSessionToken, startApp, treeRssMb, type AppProcess } from './realtime-app';
import type { Command, MarkerResult, Reply, StreamSpec } from './realtime-clients';
import { APP_NODE_FLAGS } from '../../server/tooling/node-flags';

const ARTIFACTS = path.join(import.meta.dirname, '..', '.artifacts', 'bench-realtime');
const PORT = 3298;
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const CLIENTS = num('BENCH_CLIENTS', 1000);
const MESSAGES = num('BENCH_MESSAGES', 2000);
const RATE = num('BENCH_RATE', 25);
const BROADCAST_CLIENTS = num('BENCH_BROADCAST_CLIENTS', 5000);
const SEEDED = Math.max(5000, BROADCAST_CLIENTS, CLIENTS);
const AGENTS = 5;
/** App processes sharing the database through Redis, as behind a load balancer (BENCH_APPS). */
const APPS = num('BENCH_APPS', 1);
const STREAMS_PER_WORKER = num('BENCH_STREAMS_PER_WORKER', 1000);
const WARMUP = 50;
const DRAIN_MS = 20_000;
const BROADCAST_TIMEOUT_MS = 120_000;
const DEADLINE_MS = 30 * 60_000;
const TARGET = { deliveryMsP99: 100, broadcastAllMs: 2000, broadcastClients: 5000, deliveryClients: 1000 };

const log = (...args: unknown[]) => console.error(`[bench:realtime ${new Date().toISOString().slice(11, 19)}]`, ...args);
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const runId = Math.random().toString(36).slice(2, 8);
const marker = (n: number) => `BENCH${runId}x${n}`;

type Person = { id: number; cookie: string };

/** Users and sessions straight into the database: one argon2 hash shared by all, no logins. */
async function seed(dbPath: string) {
  const db = openDb(dbPath);
  const passwordHash = await hashPassword('bench password 42');
  const expiresAt = new Date(Date.now() + 12 * 3600_000);
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
  const out = db.transaction(() => ({
    candidates: Array.from({ length: SEEDED }, (_, i) => make('candidate', i + 1)),
    agents: Array.from({ length: AGENTS }, (_, i) => make('support', i + 1)),
    admin: make('admin', 1),
  }));
  db.$client.close();
  return out;
}

/** A worker process holding SSE streams (realtime-clients.ts). */
class Clients {
  readonly child: ChildProcess;
  /** How many candidates' messages.onMine streams this worker holds (what a broadcast waits for). */
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

async function trpcMutation<T>(base: string, cookie: string, procedure: string, input: unknown): Promise<T> {
  const res = await fetch(`${base}/api/trpc/${procedure}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie },
    body: JSON.stringify({ json: input }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${procedure}: HTTP ${res.status}: ${text.slice(0, 300)}`);
  return (JSON.parse(text) as { result: { data: { json: T } } }).result.data.json;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN);
const round = (x: number) => Math.round(x * 10) / 10;

/** Candidates' streams, split into workers of STREAMS_PER_WORKER streams. */
/**
 * `asking`: these candidates are about to ask for help, so their pages hold `help.onMine` too; a
 * candidate page without an open help thread holds only `messages.onMine` (components/help/use-my-help.ts).
 */
async function connectCandidates(bases: string[], people: Person[], workers: Clients[], asking: boolean) {
  const perWorker = Math.max(1, Math.floor(STREAMS_PER_WORKER / (asking ? 2 : 1)));
  const batches: { worker: Clients; people: Person[] }[] = [];
  for (let i = 0; i < people.length; i += perWorker) {
    const worker = new Clients(`candidates-${workers.length + batches.length + 1}`);
    batches.push({ worker, people: people.slice(i, i + perWorker) });
  }
  // Connect one worker at a time: the app sees a steady trickle rather than thousands at once.
  let ok = 0;
  let failed = 0;
  const errors: string[] = [];
  for (const [j, b] of batches.entries()) {
    // With several app processes, each worker's candidates land on one of them, round robin.
    const base = bases[(workers.length + j) % bases.length]!;
    const streams = b.people.flatMap((p): StreamSpec[] => [
      ...(asking ? [{ path: 'help.onMine', cookie: p.cookie, input: {} }] : []),
      { path: 'messages.onMine', cookie: p.cookie },
    ]);
    const r = await b.worker.connect(base, streams);
    ok += r.ok;
    failed += r.failed;
    errors.push(...r.errors);
    workers.push(b.worker);
    b.worker.candidates = b.people.length;
    log(`${b.worker.name}: ${r.ok}/${streams.length} streams in ${r.ms} ms${r.failed ? `, ${r.failed} failed: ${r.errors[0]}` : ''}`);
  }
  return { ok, failed, errors };
}

/** One system message to every candidate; resolves with how long until the last connected one had it. */
async function broadcast(base: string, admin: Person, workers: Clients[], n: number) {
  const m = marker(n);
  const expected = workers.map((w) => w.candidates);
  const reached = workers.map((w) => w.when((r) => (r.t === 'reached' && r.marker === m ? r : undefined), BROADCAST_TIMEOUT_MS).catch(() => null));
  workers.forEach((w, i) => w.send({ t: 'expect', marker: m, count: expected[i]! }));
  const t0 = now();
  await trpcMutation(base, admin.cookie, 'messages.send', {
    audience: 'all',
    title: `广播 ${m}`,
    body: `系统消息 ${m}`,
    priority: 'normal',
    mustAcknowledge: false,
  });
  const sentMs = now() - t0;
  const results = await Promise.all(reached);
  const got = await Promise.all(workers.map((w) => w.query([m])));
  const received = got.reduce((s, d) => s + (d[m]?.count ?? 0), 0);
  const repeats = got.reduce((s, d) => s + (d[m]?.repeats ?? 0), 0);
  const last = Math.max(...got.map((d) => d[m]?.last ?? 0));
  const first = Math.min(...got.map((d) => d[m]?.first ?? Infinity));
  const complete = results.every((r) => r !== null);
  return {
    clients: expected.reduce((s, x) => s + x, 0),
    received,
    repeats,
    complete,
    sendMs: round(sentMs),
    firstMs: round(first - t0),
    allMs: complete ? round(last - t0) : null,
  };
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
    if (buildApp(build, { skip: process.env.BENCH_SKIP_BUILD === '1' })) log('built');
    freshDb(dbPath);
    const t0 = Date.now();
    const people = await seed(dbPath);
    log(`seeded ${people.candidates.length} candidates, ${AGENTS} agents, 1 admin in ${Date.now() - t0} ms`);

    const env: Record<string, string> = {};
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
    for (let i = 0; i < APPS; i++) {
      apps.push(await startApp({ port: PORT + i, dbPath, logFile: path.join(ARTIFACTS, `app${i ? i + 1 : ''}.log`), env, nodeArgs, nofile: 65536 }));
    }
    const bases = apps.map((a) => a.url);
    const base = bases[0]!;
    const appPid = apps[0]!.child.pid!;
    const appPids = apps.map((a) => a.child.pid!);
    const rss = () => appPids.reduce((sum, pid) => sum + treeRssMb(pid), 0);
    log(`${APPS} app process(es) up at ${bases.join(', ')} (pids ${appPids.join(', ')}, ${rss()} MB)`);
    let rssPeak = 0;
    const rssTimer = setInterval(() => (rssPeak = Math.max(rssPeak, rss())), 1000);

    // ---- 1: agents and 1,000 candidates connect
    const agents = new Clients('agents');
    workers.push(agents);
    // Agents on the last app: with several, most candidates' messages cross processes through Redis.
    const ag = await agents.connect(
      bases.at(-1)!,
      people.agents.map((a) => ({ path: 'help.onDesk', cookie: a.cookie, input: {} })),
    );
    if (ag.failed) throw new Error(`agents could not subscribe: ${ag.errors[0]}`);
    const candidateWorkers: Clients[] = [];
    const first = people.candidates.slice(0, CLIENTS);
    const c1 = await connectCandidates(bases, first, candidateWorkers, true);
    workers.push(...candidateWorkers);
    if (c1.failed) throw new Error(`${c1.failed} candidate streams failed at ${CLIENTS} clients: ${c1.errors[0]}`);
    const rssConnected = rss();
    log(`${CLIENTS} candidates connected (${c1.ok} streams); app RSS ${rssConnected} MB`);

    // ---- 2: candidate -> agent messages at a steady rate
    const threadOf = new Map<number, number>();
    const sentAt = new Map<string, number>();
    const sendErrors: string[] = [];
    const sendOne = async (i: number, counted: boolean) => {
      const who = first[i % first.length]!;
      const via = bases[i % bases.length]!;
      const m = marker(1000 + i);
      const body = `考生求助 ${m}`;
      const t = now();
      if (counted) sentAt.set(m, t);
      try {
        const thread = threadOf.get(who.id);
        if (thread === undefined) {
          threadOf.set(who.id, -1);
          const r = await trpcMutation<{ id: number }>(via, who.cookie, 'help.open', { category: 'technical', body });
          threadOf.set(who.id, r.id);
        } else {
          await trpcMutation(via, who.cookie, 'help.send', { threadId: thread, body });
        }
      } catch (err) {
        sentAt.delete(m);
        sendErrors.push((err as Error).message);
      }
    };
    // Warm-up (not counted): JIT, statement caches. A candidate's messages wait until its open is answered.
    for (let i = 0; i < WARMUP; i++) await sendOne(i, false);
    await sleep(1000);
    log(`sending ${MESSAGES} help messages at ${RATE}/s`);
    // Where the CPU went meanwhile, and how long the app's JS thread waited for a core.
    const cpuRoots = () => ({ app: appPids, clients: workers.map((w) => w.child.pid!).filter(Boolean) });
    const cpu0 = sampleCpu(cpuRoots());
    const thr0 = sampleThreads(appPid);
    const pending: Promise<void>[] = [];
    const tStart = now();
    for (let i = 0; i < MESSAGES; i++) {
      const due = tStart + (i * 1000) / RATE;
      const wait = due - now();
      if (wait > 0) await sleep(wait);
      const k = WARMUP + i;
      // A candidate's next message waits for its thread (the first one is an open).
      const who = first[k % first.length]!;
      if (threadOf.get(who.id) === -1) await Promise.all(pending.slice(-50));
      pending.push(sendOne(k, true));
    }
    await Promise.all(pending);
    const sendSpanS = (now() - tStart) / 1000;
    const chatCpu = cpuBetween(cpu0, sampleCpu(cpuRoots()));
    const chatAppThreads = threadsBetween(thr0, sampleThreads(appPid));
    log(`CPU during the chat (% of one core): ${JSON.stringify(chatCpu)}; app threads ${JSON.stringify(chatAppThreads)}`);
    const markers = [...sentAt.keys()];
    const drainUntil = Date.now() + DRAIN_MS;
    let deliveries: Record<string, MarkerResult | null> = {};
    for (;;) {
      deliveries = await agents.query(markers);
      const missing = markers.filter((m) => (deliveries[m]?.count ?? 0) < AGENTS).length;
      if (!missing || Date.now() > drainUntil) break;
      await sleep(500);
    }
    const latencies: number[] = [];
    const firstLatencies: number[] = [];
    let incomplete = 0;
    let repeats = 0;
    const missed: string[] = [];
    for (const m of markers) {
      const d = deliveries[m];
      if (!d || d.count < AGENTS) {
        incomplete++;
        missed.push(`${m} (message ${markers.indexOf(m) + 1}, sent via app ${((WARMUP + markers.indexOf(m)) % APPS) + 1}): ${d?.count ?? 0}/${AGENTS} agents`);
        continue;
      }
      repeats += d.repeats;
      latencies.push(d.last - sentAt.get(m)!);
      firstLatencies.push(d.first - sentAt.get(m)!);
    }
    if (missed.length) log(`never reached every agent: ${missed.slice(0, 5).join('; ')}`);
    // Latency over time (5 s windows of send time): a slow minute shows up as a slow window.
    const windows = new Map<number, number[]>();
    for (const m of markers) {
      const d = deliveries[m];
      if (!d || d.count < AGENTS) continue;
      const w = Math.floor((sentAt.get(m)! - tStart) / 5000) * 5;
      windows.set(w, [...(windows.get(w) ?? []), d.last - sentAt.get(m)!]);
    }
    const latencyByWindow = [...windows].map(([fromS, l]) => ({
      fromS,
      n: l.length,
      p50: round(
        percentile(
          l.sort((a, b) => a - b),
          50,
        ),
      ),
      max: round(l.at(-1)!),
    }));
    latencies.sort((a, b) => a - b);
    firstLatencies.sort((a, b) => a - b);
    const rssChat = rss();
    log(
      `delivery over ${latencies.length} messages: p50 ${round(percentile(latencies, 50))} p95 ${round(percentile(latencies, 95))} p99 ${round(percentile(latencies, 99))} ms` +
        ` (${incomplete} incomplete, ${sendErrors.length} send errors${sendErrors[0] ? `: ${sendErrors[0]}` : ''})`,
    );

    // ---- 3: one system message to all, at CLIENTS
    const b1 = await broadcast(base, people.admin, candidateWorkers, 1);
    log(`broadcast to ${b1.clients}: all in ${b1.allMs} ms (first ${b1.firstMs}, send returned after ${b1.sendMs}), ${b1.received} received`);

    // ---- 4: as many candidates as the machine holds, up to BROADCAST_CLIENTS
    let c2 = { ok: 0, failed: 0, errors: [] as string[] };
    if (BROADCAST_CLIENTS > CLIENTS) {
      const more = people.candidates.slice(CLIENTS, BROADCAST_CLIENTS);
      const extra: Clients[] = [];
      try {
        c2 = await connectCandidates(bases, more, extra, false);
      } catch (err) {
        log(`connecting more candidates stopped: ${(err as Error).message}`);
      }
      workers.push(...extra);
      candidateWorkers.push(...extra);
      if (c2.failed) log(`${c2.failed} streams failed to connect: ${c2.errors[0]}`);
      // Workers with failures expect only what connected; the result says how many that was.
      // (These hold one stream per candidate: messages.onMine.)
      for (const w of extra) {
        const s = await w.stats();
        w.candidates = s.open;
      }
    }
    const rssBroadcastConnected = rss();
    await sleep(2000);
    const cpu1 = sampleCpu(cpuRoots());
    const thr1 = sampleThreads(appPid);
    const b2 = await broadcast(base, people.admin, candidateWorkers, 2);
    const broadcastCpu = cpuBetween(cpu1, sampleCpu(cpuRoots()));
    const broadcastAppThreads = threadsBetween(thr1, sampleThreads(appPid));
    log(`broadcast to ${b2.clients}: all in ${b2.allMs} ms (first ${b2.firstMs}, send returned after ${b2.sendMs}), ${b2.received} received`);
    const stats = await Promise.all(workers.map((w) => w.stats()));
    clearInterval(rssTimer);
    rssPeak = Math.max(rssPeak, rss());

    const result = {
      clients: CLIENTS,
      agents: AGENTS,
      messages: latencies.length,
      rate: RATE,
      sendSpanS: round(sendSpanS),
      deliveryMsP50: round(percentile(latencies, 50)),
      deliveryMsP95: round(percentile(latencies, 95)),
      deliveryMsP99: round(percentile(latencies, 99)),
      deliveryMsMax: round(latencies.at(-1) ?? NaN),
      firstAgentMsP99: round(percentile(firstLatencies, 99)),
      deliveryIncomplete: incomplete,
      deliveryMissed: missed.slice(0, 10),
      deliveryMarkerRepeats: repeats,
      sendErrors: sendErrors.length,
      broadcastAtClients: b1,
      broadcastClients: b2.clients,
      broadcastReceived: b2.received,
      broadcastAllMs: b2.allMs,
      broadcastFirstMs: b2.firstMs,
      broadcastSendMs: b2.sendMs,
      duplicateEventIds: stats.reduce((s, x) => s + x.duplicateIds, 0),
      streamsOpen: stats.reduce((s, x) => s + x.open, 0),
      streamErrors: stats.reduce((s, x) => s + x.errors, 0),
      streamReconnects: stats.reduce((s, x) => s + x.reconnects, 0),
      rssMb: rssPeak,
      rssMbAt: { connected1000: rssConnected, afterChat: rssChat, connectedAll: rssBroadcastConnected, peak: rssPeak },
      apps: APPS,
      bus: redis ? 'redis' : 'in-process',
      appNodeArgs: nodeArgs.filter((a) => !a.startsWith('--cpu-prof')),
      cpu: { chat: chatCpu, chatAppThreads, broadcast: broadcastCpu, broadcastAppThreads },
      latencyByWindow,
      targets: {
        deliveryMsP99: TARGET.deliveryMsP99,
        deliveryMsP99Met: CLIENTS >= TARGET.deliveryClients && percentile(latencies, 99) <= TARGET.deliveryMsP99 && incomplete === 0,
        broadcastAllMs: TARGET.broadcastAllMs,
        broadcastAllMsMet: b2.clients >= TARGET.broadcastClients && b2.complete && (b2.allMs ?? Infinity) <= TARGET.broadcastAllMs,
      },
      definitions: {
        deliveryMs:
          "per help message: from the moment the candidate process starts the help.open/help.send request to the moment the LAST of the agents' help.onDesk SSE streams has the event (all agents see every desk event); percentiles over the counted messages",
        firstAgentMsP99: 'as deliveryMs but to the first agent',
        deliveryMarkerRepeats: 'later desk events quoting an already delivered message again (e.g. the assignment after an open); not duplicates',
        duplicateEventIds: 'tracked events a stream received twice (must be 0)',
        broadcastAllMs:
          "from the start of the admin's messages.send (audience all) request until the last connected candidate's messages.onMine stream has the message",
        broadcastClients:
          'candidates connected when the second broadcast was sent: the first CLIENTS (who asked for help) hold help.onMine + messages.onMine, the others messages.onMine only, as a candidate page without an open help thread does',
        rssMb: 'peak resident memory of the app process tree(s) (next start; summed over the app processes), sampled every second',
        apps: "app processes (BENCH_APPS): candidates' workers are spread over them round robin, agents are on the last one, messages are sent through them in turn, the broadcast through the first; events cross through Redis",
        clock: 'performance.timeOrigin + performance.now() in each process (same machine clock)',
        cpu: 'percent of one core (200 = both cores) per process group during the chat and the second broadcast; otherProcesses is everything else on the machine; "main (JS) waiting for a CPU" is the app JS thread runnable but not running (/proc schedstat)',
        latencyByWindow: 'delivery latency by 5 s window of send time: p50 and max',
      },
      machine: { cpus: (await import('node:os')).cpus().length, node: process.version },
      durationS: Math.round((Date.now() - started) / 1000),
    };
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
