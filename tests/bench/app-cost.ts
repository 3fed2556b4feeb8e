/**
 * The app's own cost per candidate, measured in this process on the real code and a real SQLite
 * file (tests/.artifacts/app-cost/app.db, the committed migrations, the app's pragmas): what
 * `docs/capacity.md` and `bench:sfu` put beside the SFU's cost.
 *
 * - SQLite: single-row commits/s on this disk with the app's pragmas, commit latency, WAL bytes
 *   and device flushes; the same durable per commit (synchronous=FULL) and the disk's own fsync
 *   and sequential write rates, for comparison.
 * - Autosave, recording chunks, LiveKit webhooks and live streams: each driven through the
 *   app's real route handler (app/api/…/route.ts) with a real Request, as Next would call it
 *   after parsing HTTP. HTTP parsing, TCP and Next's routing are not included (bench:realtime
 *   and bench:uploads measure a served app).
 *
 * Server modules are imported only once the environment points at the bench's own database and
 * data folder (server/env.ts reads it on import), with `server-only` resolved to nothing as
 * Next's server build does. A process that already loaded server/env.ts elsewhere must use
 * `measureAppCostInChild`.
 */
import { fork } from 'node:child_process';
import { createHash, randomBytes, randomFillSync, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { AccessToken } from 'livekit-server-sdk';
import superjson from 'superjson';
import { TIMESLICE_MS } from '@/components/recording/chunk-recorder';
import { openDb } from '@/db/client';
import { registrations, sessions, users } from '@/db/schema';
import { newSessionToken } from './realtime-app';

export const ARTIFACTS = path.join(import.meta.dirname, '..', '.artifacts', 'app-cost');

/* ------------------------------------------------------------------ what the clients send */

const CHUNK_SECONDS = TIMESLICE_MS / 1000;
/**
 * The recorders' bit rates (components/recording/chunk-recorder.ts VIDEO_BITS, plus 64 kbit/s of
 * opus where the stream has audio: the exam page's camera stream carries the microphone, the
 * phone's witness stream is its camera alone). Not exported there, so restated here.
 */
const TRACK_BITS_PER_SECOND = { screen: 1_000_000, camera: 600_000 + 64_000, witness: 600_000 } as const;
type Track = keyof typeof TRACK_BITS_PER_SECOND;
const TRACKS = Object.keys(TRACK_BITS_PER_SECOND) as Track[];
const chunkBytesOf = (track: Track) => (TRACK_BITS_PER_SECOND[track] * CHUNK_SECONDS) / 8;
/** components/exam/answers-queue.ts: AnswersQueue's default debounceMs (trailing), one save in flight. */
const AUTOSAVE_DEBOUNCE_MS = 800;
/** A save while answering is assumed every 5 s on average (edit-driven; the debounce is only the upper bound). */
const ASSUMED_SAVES_PER_SECOND = 0.2;
/**
 * LiveKit webhook events one candidate's join produces: the exam page (PC) publishes screen,
 * camera and microphone (components/exam/use-exam-publisher.ts), the phone its camera
 * (components/phone/use-phone-publisher.ts). Each track is one track_published; leaving is one
 * track_unpublished per track and participant_left. Room events (room_started/finished) are per
 * room, not per candidate.
 */
const JOIN_EVENTS = [
  { device: 'pc', event: 'participant_joined' },
  { device: 'pc', event: 'track_published', source: 'SCREEN_SHARE' },
  { device: 'pc', event: 'track_published', source: 'CAMERA' },
  { device: 'pc', event: 'track_published', source: 'MICROPHONE' },
  { device: 'phone', event: 'participant_joined' },
  { device: 'phone', event: 'track_published', source: 'CAMERA' },
] as const;
const LEAVE_EVENTS = [
  { device: 'pc', event: 'track_unpublished', source: 'SCREEN_SHARE' },
  { device: 'pc', event: 'track_unpublished', source: 'CAMERA' },
  { device: 'pc', event: 'track_unpublished', source: 'MICROPHONE' },
  { device: 'pc', event: 'participant_left' },
  { device: 'phone', event: 'track_unpublished', source: 'CAMERA' },
  { device: 'phone', event: 'participant_left' },
] as const;
type WebhookSpec = { device: 'pc' | 'phone'; event: string; source?: string };
/** The exam page's live connection (components/exam/exam-commands.ts, components/messages/use-message-alerts.ts). */
const CANDIDATE_TOPICS = (examId: number) => `commands:${examId},messages`;
/** server/live/connection.ts LIVE_LIMITS.heartbeatMs and STREAM_RECHECK.everyMs at their production values. */
const HEARTBEAT_MS = 15_000;
const RECHECK_MS = 30_000;

/**
 * bench:realtime's whole-process figures for live streams (Next, sockets, HTTP included), which
 * this in-process run cannot see. `brief` is the figure quoted for issue 14 (5,000 candidates
 * connected, 712 MB RSS; not stored in the repository); `stored` is read from the newest
 * single-app result under tests/.artifacts/bench-realtime when there is one.
 */
const REALTIME_NOTE = { candidatesConnected: 5000, rssMb: 712 };

/* ------------------------------------------------------------------ measuring */

const round = (x: number, digits = 3) => (Number.isFinite(x) ? Number(x.toPrecision(digits)) : null);
const pct = (sorted: number[], q: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN);

function readMachine() {
  const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  return { total, idle: cpu[3]! + cpu[4]! };
}

function readIo() {
  const out: Record<string, number> = {};
  for (const line of fs.readFileSync('/proc/self/io', 'utf8').split('\n')) {
    const [k, v] = line.split(':');
    if (k && v) out[k.trim()] = Number(v);
  }
  return { wchar: out.wchar ?? 0, writeBytes: out.write_bytes ?? 0, rchar: out.rchar ?? 0 };
}

/** The block device holding `dir` (its name in /proc/diskstats), or null if it cannot be told. */
function deviceOf(dir: string): string | null {
  const dev = fs.statSync(dir).dev;
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  try {
    const uevent = fs.readFileSync(`/sys/dev/block/${major}:${minor}/uevent`, 'utf8');
    return /DEVNAME=(\S+)/.exec(uevent)?.[1] ?? null;
  } catch {
    return null;
  }
}

function readDisk(device: string | null) {
  if (!device) return null;
  const line = fs
    .readFileSync('/proc/diskstats', 'utf8')
    .split('\n')
    .map((l) => l.trim().split(/\s+/))
    .find((f) => f[2] === device);
  // Fields after the name: 7 = sectors written (512 bytes), 16 = flushes completed (kernel 5.5+).
  return line ? { sectorsWritten: Number(line[9]), flushes: Number(line[19] ?? NaN) } : null;
}

type Snap = { at: number; cpu: NodeJS.CpuUsage; machine: ReturnType<typeof readMachine>; io: ReturnType<typeof readIo>; disk: ReturnType<typeof readDisk> };

/** Process CPU, machine CPU, this process's I/O and the device's writes, from one moment to another. */
function meter(device: string | null) {
  const snap = (): Snap => ({ at: performance.now(), cpu: process.cpuUsage(), machine: readMachine(), io: readIo(), disk: readDisk(device) });
  const a = snap();
  return () => {
    const b = snap();
    const cpu = process.cpuUsage(a.cpu);
    const wallS = (b.at - a.at) / 1000;
    const ticks = b.machine.total - a.machine.total;
    const cores = os.cpus().length;
    const machineBusyCores = ticks > 0 ? ((ticks - (b.machine.idle - a.machine.idle)) / ticks) * cores : NaN;
    const ownCores = (cpu.user + cpu.system) / 1e6 / wallS;
    return {
      wallS,
      cpuMs: (cpu.user + cpu.system) / 1000,
      ownCores,
      machineBusyCores,
      /** Other processes' CPU over the same time (the machine is shared). */
      otherCores: Math.max(0, machineBusyCores - ownCores),
      wcharBytes: b.io.wchar - a.io.wchar,
      rcharBytes: b.io.rchar - a.io.rchar,
      writeBytes: b.io.writeBytes - a.io.writeBytes,
      deviceWriteBytes: a.disk && b.disk ? (b.disk.sectorsWritten - a.disk.sectorsWritten) * 512 : null,
      deviceFlushes: a.disk && b.disk ? b.disk.flushes - a.disk.flushes : null,
    };
  };
}
type Metered = ReturnType<ReturnType<typeof meter>>;

const machineOf = (m: Metered) => ({
  machineBusyCores: round(m.machineBusyCores),
  ownCores: round(m.ownCores),
  otherProcessesCores: round(m.otherCores),
});

let collect: (() => void) | null = null;
/** A full garbage collection (heap figures per stream are read after one). */
function gc() {
  if (!collect) {
    v8.setFlagsFromString('--expose-gc');
    collect = vm.runInNewContext('gc') as () => void;
  }
  collect();
  collect();
}

/** How busy the machine is before anything starts: one second of /proc/stat. */
export async function machineLoad(sampleMs = 1000) {
  const stop = meter(null);
  await new Promise((r) => setTimeout(r, sampleMs));
  const m = stop();
  return {
    cores: os.cpus().length,
    memGiB: round(os.totalmem() / 2 ** 30),
    loadAvg1m: round(os.loadavg()[0]!),
    busyCoresBeforeStart: round(m.machineBusyCores),
    busyPercentBeforeStart: round((m.machineBusyCores / os.cpus().length) * 100),
  };
}

/* ------------------------------------------------------------------ SQLite and the disk */

const UPSERT_ANSWER = `INSERT INTO answers (registration_id, question_id, value, revision, saved_at) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT (registration_id, question_id) DO UPDATE SET value = excluded.value, revision = excluded.revision, saved_at = excluded.saved_at
  WHERE excluded.revision > answers.revision`;

/**
 * SQLite's sustained write rate on this disk: a connection opened with the app's openDb (WAL,
 * synchronous=NORMAL, busy_timeout, foreign keys on) upserts answers rows (the autosave's table
 * and statement shape, ~600-byte values) for registrations already in the database. Single-row
 * transactions for `seconds`, then 100-row transactions, then single-row with synchronous=FULL.
 * Revisions start at 1 and stay below 10,000,000 (autosave measurements use higher ones).
 */
export function measureSqliteWriteRate({ file, registrationIds, seconds = 8 }: { file: string; registrationIds: number[]; seconds?: number }) {
  if (!registrationIds.length) throw new Error('measureSqliteWriteRate needs registrations to write answers for');
  const db = openDb(file);
  const sqlite = db.$client;
  const device = deviceOf(path.dirname(file));
  try {
    const upsert = sqlite.prepare(UPSERT_ANSWER);
    const value = JSON.stringify('答'.repeat(200));
    const questions = ['q1', 'q2', 'q3'];
    let revision = 0;
    const row = () => {
      const i = revision++;
      upsert.run(registrationIds[i % registrationIds.length]!, questions[Math.floor(i / registrationIds.length) % 3]!, value, revision, Date.now());
    };
    const one = sqlite.transaction(row);
    const batch = sqlite.transaction((n: number) => {
      for (let k = 0; k < n; k++) row();
    });

    const run = (ms: number, rowsPerCommit: number) => {
      const lat: number[] = [];
      const stop = meter(device);
      const end = performance.now() + ms;
      let commits = 0;
      while (performance.now() < end) {
        const t0 = performance.now();
        if (rowsPerCommit === 1) one();
        else batch(rowsPerCommit);
        lat.push(performance.now() - t0);
        commits++;
      }
      const m = stop();
      lat.sort((a, b) => a - b);
      return {
        seconds: round(m.wallS),
        rowsPerCommit,
        commitsPerSecond: round(commits / m.wallS),
        rowsPerSecond: round((commits * rowsPerCommit) / m.wallS),
        commitMs: { p50: round(pct(lat, 0.5)), p99: round(pct(lat, 0.99)), p999: round(pct(lat, 0.999)), max: round(lat.at(-1)!) },
        /** Commits over 5 ms: the ones that ran an automatic checkpoint (and its fsyncs) or waited on the disk. */
        commitsOver5ms: lat.filter((x) => x > 5).length,
        cpuMsPerCommit: round(m.cpuMs / commits),
        /** Bytes this process handed to write(2) (WAL frames, and the database file at checkpoints). */
        writtenMBPerSecond: round(m.wcharBytes / 1e6 / m.wallS),
        writtenBytesPerRow: round(m.wcharBytes / (commits * rowsPerCommit)),
        /** Whole device (other processes included): flush requests (fsync/fdatasync reach the disk as these) and bytes written. */
        deviceFlushesPerSecond: m.deviceFlushes == null ? null : round(m.deviceFlushes / m.wallS),
        deviceWriteMBPerSecond: m.deviceWriteBytes == null ? null : round(m.deviceWriteBytes / 1e6 / m.wallS),
        ...machineOf(m),
      };
    };

    const pragmas = {
      journalMode: sqlite.pragma('journal_mode', { simple: true }),
      synchronous: ['OFF', 'NORMAL', 'FULL', 'EXTRA'][Number(sqlite.pragma('synchronous', { simple: true }))],
      walAutocheckpointPages: sqlite.pragma('wal_autocheckpoint', { simple: true }),
      pageSizeBytes: sqlite.pragma('page_size', { simple: true }),
      foreignKeys: sqlite.pragma('foreign_keys', { simple: true }) === 1,
    };
    const singleRow = run(seconds * 1000, 1);
    const batched = run(Math.max(1000, (seconds * 1000) / 4), 100);
    // FULL: the WAL is fsynced at every commit. Not what the app runs; what "durable per commit" costs on this disk.
    sqlite.pragma('synchronous = FULL');
    const durable = run(Math.max(1000, (seconds * 1000) / 4), 1);
    sqlite.pragma('synchronous = NORMAL');
    return {
      how: 'One connection from db/client.ts openDb on the bench database (app pragmas). Each commit upserts answers rows (UPSERT as exam.saveAnswers, ~600-byte JSON values) for existing registrations; a tight loop for a fixed time. With WAL and synchronous=NORMAL a commit appends to the WAL without fsync; the committing connection fsyncs WAL and database when it runs an automatic checkpoint (every walAutocheckpointPages pages of WAL), which is the commit latency tail.',
      file: path.relative(process.cwd(), file),
      device,
      pragmas,
      singleRow,
      batched,
      singleRowSynchronousFull: durable,
    };
  } finally {
    sqlite.close();
  }
}

/** The disk itself: 4 KiB write + fdatasync round trips, and sequential 1 MiB writes ending in fdatasync. */
export function measureDiskRate({ dir, seconds = 2, maxSequentialBytes = 512 * 2 ** 20 }: { dir: string; seconds?: number; maxSequentialBytes?: number }) {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'disk-rate.tmp');
  const device = deviceOf(dir);
  try {
    const fd = fs.openSync(file, 'w');
    const small = randomBytes(4096);
    const lat: number[] = [];
    let end = performance.now() + seconds * 1000;
    let stop = meter(device);
    for (let i = 0; performance.now() < end; i++) {
      const t0 = performance.now();
      fs.writeSync(fd, small, 0, small.length, (i % 256) * 4096);
      fs.fdatasyncSync(fd);
      lat.push(performance.now() - t0);
    }
    const f = stop();
    lat.sort((a, b) => a - b);
    fs.closeSync(fd);

    const big = randomBytes(2 ** 20);
    const fd2 = fs.openSync(file, 'w');
    end = performance.now() + seconds * 1000;
    stop = meter(device);
    let written = 0;
    while (performance.now() < end && written < maxSequentialBytes) written += fs.writeSync(fd2, big);
    fs.fdatasyncSync(fd2);
    const s = stop();
    fs.closeSync(fd2);
    return {
      how: 'A file beside the database: 4 KiB pwrite + fdatasync in a loop (what a durable commit needs at least), then 1 MiB writes for up to the same time and one fdatasync, timed to its end.',
      device,
      fdatasync: {
        perSecond: round(lat.length / f.wallS),
        ms: { p50: round(pct(lat, 0.5)), p99: round(pct(lat, 0.99)), max: round(lat.at(-1)!) },
        ...machineOf(f),
      },
      sequentialWrite: { megabytes: round(written / 1e6), mbPerSecond: round(written / 1e6 / s.wallS), ...machineOf(s) },
    };
  } finally {
    fs.rmSync(file, { force: true });
  }
}

/* ------------------------------------------------------------------ the app, in process */

const ORIGIN = 'http://localhost:3000';
const HOST = 'localhost:3000';
const FLAG_GRACE_S = 3;
const SOCKET_READ_BYTES = 64 * 1024;

/** Points the app's environment at the bench's files, then loads the real route handlers and services. */
async function loadApp(dir: string) {
  const dbPath = path.join(dir, 'app.db');
  const dataDir = path.join(dir, 'data');
  Object.assign(process.env, {
    DATABASE_PATH: dbPath,
    DATA_DIR: dataDir,
    LIVEKIT_API_KEY: 'bench-app-cost',
    LIVEKIT_API_SECRET: 'bench-app-cost-secret-0123456789abcdef0123456789',
    // The deferred "still lost?" check after a leave runs 3 s later instead of 15 s: after the
    // metered leaves (so each is metered alone) and soon enough for a short run.
    AUTO_FLAG_GRACE_SECONDS: String(FLAG_GRACE_S),
  });
  await import('./server-only-hook');
  const { env } = await import('@/server/env');
  if (env.DATABASE_PATH !== dbPath || env.DATA_DIR !== dataDir || env.AUTO_FLAG_GRACE_SECONDS !== FLAG_GRACE_S) {
    throw new Error('server/env.ts was already loaded in this process with other settings: use measureAppCostInChild');
  }
  fs.rmSync(dataDir, { recursive: true, force: true });
  const { freshDb } = await import('../helpers/stack');
  freshDb(dbPath);
  return {
    dbPath,
    dataDir,
    env,
    getDb: (await import('@/server/db')).getDb,
    setup: await import('@/server/services/setup'),
    auth: await import('@/server/services/auth'),
    phone: await import('@/server/services/phone'),
    tokens: await import('@/server/livekit/tokens'),
    live: await import('@/server/live/connection'),
    factories: await import('../fixtures/factories'),
    routes: {
      trpc: await import('@/app/api/trpc/[trpc]/route'),
      uploads: await import('@/app/api/uploads/[[...path]]/route'),
      webhook: await import('@/app/api/livekit/webhook/route'),
      live: await import('@/app/api/live/route'),
    },
  };
}
type App = Awaited<ReturnType<typeof loadApp>>;

type Person = { id: number; cookie: string; registrationId: number; roomId: number; livekitRoom: string };

/**
 * A written exam under way (started 5 minutes ago, 10 hours long): `candidates` candidates in
 * rooms of 30, every one entered, each with a session, and one question sheet (q1 single, q2
 * multiple, q3 text). Rows are written directly, as bench:realtime does (no argon2 per login).
 */
async function seed(app: App, candidates: number) {
  const db = app.getDb();
  const passwordHash = await app.auth.hashPassword('bench password 42');
  const at = Date.now();
  const expiresAt = new Date(at + 12 * 3600_000);
  return db.transaction((tx) => {
    const exam = app.setup.createExam({
      db: tx,
      title: 'app-cost',
      kind: 'written',
      entryOpensAt: new Date(at - 20 * 60_000),
      entryClosesAt: new Date(at + 6 * 3600_000),
      startsAt: new Date(at - 5 * 60_000),
      durationMinutes: 600,
    });
    app.setup.addQuestionSheet({
      db: tx,
      examId: exam.id,
      position: 1,
      title: '第 1 部分',
      questions: [
        { id: 'q1', kind: 'single', prompt: '单选', options: ['A', 'B', 'C', 'D'], points: 5 },
        { id: 'q2', kind: 'multiple', prompt: '多选', options: ['A', 'B', 'C', 'D'], points: 5 },
        { id: 'q3', kind: 'text', prompt: '简答', points: 10 },
      ],
    });
    const people: Person[] = [];
    let room: { id: number; livekitRoom: string } | null = null;
    for (let i = 0; i < candidates; i++) {
      if (i % 30 === 0) room = app.setup.createRoom({ db: tx, examId: exam.id, name: `考场 ${i / 30 + 1}` });
      const user = tx
        .insert(users)
        .values({ role: 'candidate', name: `考生${i + 1}`, idNumber: app.factories.makeIdNumber(), passwordHash })
        .returning({ id: users.id })
        .get();
      const { token, tokenHash } = newSessionToken();
      tx.insert(sessions).values({ tokenHash, userId: user.id, expiresAt }).run();
      const reg = tx
        .insert(registrations)
        .values({ examId: exam.id, roomId: room!.id, candidateId: user.id, seat: (i % 30) + 1, acceptedAt: new Date(at), enteredAt: new Date(at) })
        .returning({ id: registrations.id })
        .get();
      people.push({ id: user.id, cookie: `${app.auth.SESSION_COOKIE}=${token}`, registrationId: reg.id, roomId: room!.id, livekitRoom: room!.livekitRoom });
    }
    return { examId: exam.id, people };
  });
}
type Scenario = Awaited<ReturnType<typeof seed>>;

/** A tRPC mutation through the real route (POST, batched as the page's httpBatchLink sends it). */
async function trpcMutation(app: App, pathName: string, input: unknown, cookie: string) {
  const res = await app.routes.trpc.POST(
    new Request(`${ORIGIN}/api/trpc/${pathName}?batch=1`, {
      method: 'POST',
      headers: { host: HOST, origin: ORIGIN, 'content-type': 'application/json', cookie },
      body: JSON.stringify({ 0: superjson.serialize(input) }),
    }),
  );
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${pathName}: ${res.status} ${text.slice(0, 300)}`);
  return superjson.deserialize((JSON.parse(text) as [{ result: { data: Parameters<typeof superjson.deserialize>[0] } }])[0].result.data);
}

/**
 * Repeats `op` for `seconds` (one at a time), metering the whole loop. A warm-up of `warmupS`
 * first, unmetered, so the JIT has compiled the path before it is measured; `op` gets one
 * running index across both.
 */
async function loop(device: string | null, seconds: number, op: (i: number) => Promise<void>, { limit = Infinity, warmupS = 0 } = {}) {
  let i = 0;
  const warm = performance.now() + warmupS * 1000;
  while (performance.now() < warm && i < limit) await op(i++);
  const first = i;
  const stop = meter(device);
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end && i < limit) await op(i++);
  return { n: i - first, total: i, m: stop() };
}

/** Unmetered warm-up before each metered loop. */
const WARMUP_S = 1;

/**
 * SQL statements the app's database handle prepares per run of `fn` (drizzle has SQLite compile
 * each query it runs afresh). Counted outside the metered loops: instrumentation, not load.
 */
async function statementsPer(app: App, runs: number, fn: (k: number) => Promise<void>) {
  const client = app.getDb().$client;
  const original = client.prepare;
  let count = 0;
  client.prepare = function (this: typeof client, ...args: Parameters<typeof original>) {
    count++;
    return original.apply(this, args);
  } as typeof original;
  try {
    for (let k = 0; k < runs; k++) await fn(k);
  } finally {
    client.prepare = original;
  }
  return round(count / runs);
}

/* ------------------------------------------------------------------ autosave */

/**
 * exam.saveAnswers through app/api/trpc/[trpc]/route.ts POST: origin check, body cap, session
 * from the cookie, zod, the service's checks and its one-transaction upsert, the superjson reply.
 * Two payloads: one single-choice answer, and a 2,000-character text answer (the whole text is
 * sent on each save).
 */
export async function measureAutosave(app: App, s: Scenario, seconds: number, device: string | null) {
  const long = '考'.repeat(2000);
  let revision = 10_000_000;
  const measure = async (make: (i: number) => { questionId: string; value: string }) => {
    const save = async (i: number) => {
      const who = s.people[i % s.people.length]!;
      const item = { ...make(i), revision: revision++ };
      const body = (await trpcMutation(app, 'exam.saveAnswers', { examId: s.examId, answers: [item] }, who.cookie)) as { saved: { revision: number }[] };
      if (body.saved[0]?.revision !== item.revision) throw new Error(`autosave not stored: ${JSON.stringify(body)}`);
    };
    const { n, m, total } = await loop(device, seconds, save, { warmupS: WARMUP_S });
    return {
      saves: n,
      sqlStatementsPerSave: await statementsPer(app, 10, (k) => save(total + k)),
      cpuMsPerSave: round(m.cpuMs / n),
      savesPerSecondPerCore: round((n / m.cpuMs) * 1000),
      savesPerSecondSequential: round(n / m.wallS),
      writtenBytesPerSave: round(m.wcharBytes / n),
      ...machineOf(m),
    };
  };
  const singleChoice = await measure((i) => ({ questionId: 'q1', value: i % 2 ? 'B' : 'C' }));
  const text2000Chars = await measure((i) => ({ questionId: 'q3', value: `${i}${long}`.slice(0, 2000) }));
  return {
    how: 'exam.saveAnswers through the tRPC route handler (POST /api/trpc/exam.saveAnswers?batch=1 with the session cookie and Origin), one at a time, each for another candidate; one answer per save (the queue batches only what changed since the last save).',
    clientDebounceMs: AUTOSAVE_DEBOUNCE_MS,
    clientRule:
      'components/exam/answers-queue.ts: edit-driven, not periodic. Each edit restarts an 800 ms debounce; one save in flight; a save carries every answer edited since the last. Upper bound 1 save per 0.8 s + round trip while a candidate keeps editing.',
    savesPerSecondPerCandidateUpperBound: round(1000 / AUTOSAVE_DEBOUNCE_MS),
    savesPerSecondPerCandidateAssumed: ASSUMED_SAVES_PER_SECOND,
    singleChoice,
    text2000Chars,
  };
}

/* ------------------------------------------------------------------ recording chunks */

/**
 * Chunk uploads through app/api/uploads/[[...path]]/route.ts, as tus-js-client sends them from
 * the page: a POST creating the upload (session or phone cookie; the recording, window, seq and
 * quota checked) and a PATCH with the whole chunk (tus writes it, then the app hashes it, places
 * the file and files it in the ledger in one transaction). Screen, camera and witness chunks at
 * their real sizes, round robin over `recorders` candidates (each with a bound phone).
 */
export async function measureRecordingChunks(app: App, s: Scenario, seconds: number, device: string | null, recorders = 30) {
  const db = app.getDb();
  const who = s.people.slice(0, recorders);
  // Each candidate's three recordings, started the way the pages start them (recordings.start).
  const recs: { track: Track; recordingId: number; cookie: string; seq: number }[] = [];
  for (const p of who) {
    const { token } = app.phone.createBinding({ db, candidateId: p.id, examId: s.examId });
    const bound = await app.phone.bindPhone({ db, proof: { token }, client: '127.0.0.1', removeParticipant: async () => {} });
    const phoneCookie = `${app.phone.PHONE_SESSION_COOKIE}=${bound.session}`;
    for (const track of TRACKS) {
      const cookie = track === 'witness' ? phoneCookie : p.cookie;
      const mimeType = track === 'camera' ? 'video/webm;codecs=vp8,opus' : 'video/webm;codecs=vp8';
      const { recordingId } = (await trpcMutation(
        app,
        'recordings.start',
        { examId: s.examId, track, clientKey: randomUUID(), mimeType, startedAt: new Date() },
        cookie,
      )) as { recordingId: number };
      recs.push({ track, recordingId, cookie, seq: 0 });
    }
  }
  // Video is incompressible: random bytes, a few distinct chunks per size (a seq's content only has to match its own hash).
  const pool = Object.fromEntries(
    TRACKS.map((t) => [
      t,
      Array.from({ length: 4 }, () => {
        const bytes = randomFillSync(new Uint8Array(chunkBytesOf(t)));
        return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
      }),
    ]),
  ) as Record<Track, { bytes: Uint8Array<ArrayBuffer>; sha256: string }[]>;
  const meta = (m: Record<string, string | number>) =>
    Object.entries(m)
      .map(([k, v]) => `${k} ${Buffer.from(String(v)).toString('base64')}`)
      .join(',');
  const tus = { 'tus-resumable': '1.0.0', host: HOST, origin: ORIGIN };

  const sent: { track: Track; bytes: number }[] = [];
  const upload = async (i: number) => {
    const r = recs[i % recs.length]!;
    const seq = r.seq++;
    const c = pool[r.track][seq % 4]!;
    const created = await app.routes.uploads.POST(
      new Request(`${ORIGIN}/api/uploads`, {
        method: 'POST',
        headers: {
          ...tus,
          cookie: r.cookie,
          'upload-length': String(c.bytes.length),
          'upload-metadata': meta({ recordingId: r.recordingId, seq, sha256: c.sha256, offsetMs: seq * TIMESLICE_MS, filetype: 'video/webm' }),
        },
      }),
    );
    const location = created.headers.get('location');
    if (created.status !== 201 || !location) throw new Error(`upload creation: ${created.status} ${await created.text()}`);
    // The body arrives as the socket delivers it under Next: in pieces (64 KiB here), not one buffer.
    let at = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(ctl) {
        if (at >= c.bytes.length) return ctl.close();
        ctl.enqueue(c.bytes.subarray(at, (at += SOCKET_READ_BYTES)));
      },
    });
    const done = await app.routes.uploads.PATCH(
      new Request(new URL(location, ORIGIN), {
        method: 'PATCH',
        headers: { ...tus, cookie: r.cookie, 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
        body,
        duplex: 'half',
      } as RequestInit),
    );
    if (done.status !== 204 || done.headers.get('x-chunk') !== 'stored') throw new Error(`chunk ${seq}: ${done.status} ${await done.text()}`);
    sent[i] = { track: r.track, bytes: c.bytes.length };
  };
  const { n, m, total } = await loop(device, seconds, upload, { warmupS: WARMUP_S });
  const sqlStatementsPerChunk = await statementsPer(app, 12, (k) => upload(total + k));
  const byTrack: Record<Track, number> = { screen: 0, camera: 0, witness: 0 };
  let bytes = 0;
  for (const c of sent.slice(total - n, total)) {
    byTrack[c.track]++;
    bytes += c.bytes;
  }
  const bytesPerCandidatePerSecond = TRACKS.reduce((a, t) => a + chunkBytesOf(t), 0) / CHUNK_SECONDS;
  const result = {
    how: 'Each chunk: POST /api/uploads (creation) and PATCH with the whole chunk (streamed in 64 KiB pieces), through the route handler of app/api/uploads, as tus-js-client does from the page; the handler is the real createUploadHandler with @tus/server FileStore under the bench data folder. Process CPU includes the libuv threads writing, reading back (sha-256) and linking the file; the kernel writing dirty pages back later is not included.',
    chunkSeconds: CHUNK_SECONDS,
    chunkBytes: Object.fromEntries(TRACKS.map((t) => [t, chunkBytesOf(t)])),
    trackBitsPerSecond: TRACK_BITS_PER_SECOND,
    chunksPerSecondPerCandidate: round(TRACKS.length / CHUNK_SECONDS),
    chunksPerSecondPerCandidateWithoutPhone: round(2 / CHUNK_SECONDS),
    bytesPerSecondPerCandidate: round(bytesPerCandidatePerSecond),
    bytesPerSecondPerCandidateWithoutPhone: round((chunkBytesOf('screen') + chunkBytesOf('camera')) / CHUNK_SECONDS),
    chunks: n,
    chunksByTrack: byTrack,
    meanChunkBytes: round(bytes / n),
    cpuMsPerChunk: round(m.cpuMs / n),
    /** POST and PATCH together. */
    sqlStatementsPerChunk,
    chunksPerSecondPerCore: round((n / m.cpuMs) * 1000),
    chunksPerSecondSequential: round(n / m.wallS),
    mbPerSecondSequential: round(bytes / 1e6 / m.wallS),
    writtenBytesPerChunk: round(m.wcharBytes / n),
    readBytesPerChunk: round(m.rcharBytes / n),
    deviceWriteMBPerSecond: m.deviceWriteBytes == null ? null : round(m.deviceWriteBytes / 1e6 / m.wallS),
    ...machineOf(m),
  };
  // The chunk files are only load; the ledger rows stay in the database.
  fs.rmSync(path.join(app.dataDir, 'recordings'), { recursive: true, force: true });
  return result;
}

/* ------------------------------------------------------------------ LiveKit webhooks */

let eventSeq = 0;

/**
 * A webhook body in LiveKit's JSON encoding, with the participant and track fields LiveKit
 * fills in (permission, tracks with simulcast layers and codecs, client protocol), so parsing
 * costs what a real delivery costs.
 */
function webhookBody(app: App, p: Person, spec: WebhookSpec, createdAt: number) {
  const n = ++eventSeq;
  const video = (source: string) => ({
    sid: `TR_${spec.device}_${source}_${p.id}`,
    type: source === 'MICROPHONE' ? 'AUDIO' : 'VIDEO',
    name: source.toLowerCase(),
    source,
    ...(source === 'MICROPHONE'
      ? { mimeType: 'audio/red', mid: '0', stereo: false, disableDtx: false, codecs: [{ mimeType: 'audio/red', mid: '0', cid: 'mic' }] }
      : {
          width: source === 'SCREEN_SHARE' ? 1920 : 1280,
          height: source === 'SCREEN_SHARE' ? 1080 : 720,
          simulcast: true,
          mimeType: 'video/VP8',
          mid: '1',
          layers: ['LOW', 'MEDIUM', 'HIGH'].map((quality, k) => ({ quality, width: 320 << k, height: 180 << k, bitrate: 150_000 << k, ssrc: 1000 + k })),
          codecs: [{ mimeType: 'video/VP8', mid: '1', cid: source.toLowerCase(), layers: [] }],
        }),
    version: { unixMicro: String(createdAt * 1e6), ticks: 1 },
  });
  const published = spec.device === 'pc' ? ['SCREEN_SHARE', 'CAMERA', 'MICROPHONE'] : ['CAMERA'];
  return JSON.stringify({
    event: spec.event,
    id: `EV_bench_${process.pid}_${n}`,
    createdAt: String(createdAt),
    room: {
      sid: `RM_${p.roomId}`,
      name: p.livekitRoom,
      emptyTimeout: 300,
      departureTimeout: 20,
      creationTime: String(createdAt - 600),
      creationTimeMs: String((createdAt - 600) * 1000),
      turnPassword: 'x'.repeat(32),
      enabledCodecs: [
        { mime: 'audio/opus' },
        { mime: 'audio/red' },
        { mime: 'video/VP8' },
        { mime: 'video/H264' },
        { mime: 'video/VP9' },
        { mime: 'video/AV1' },
      ],
      numParticipants: 31,
      numPublishers: 30,
      version: { unixMicro: String(createdAt * 1e6), ticks: n },
    },
    participant: {
      sid: `PA_${spec.device}_${p.id}`,
      identity: app.tokens.candidateIdentity(p.id, spec.device),
      state: spec.event === 'participant_left' ? 'DISCONNECTED' : 'ACTIVE',
      tracks: spec.event === 'participant_joined' ? [] : published.map(video),
      joinedAt: String(createdAt - 5),
      joinedAtMs: String((createdAt - 5) * 1000),
      version: 3,
      permission: { canSubscribe: false, canPublish: true, canPublishData: true, canPublishSources: published },
      region: 'local',
      isPublisher: spec.event !== 'participant_joined',
      kind: 'STANDARD',
      clientProtocol: 2,
    },
    ...(spec.source ? { track: video(spec.source) } : {}),
  });
}

/** Signs a body as the LiveKit server does: a JWT of the API key carrying the body's SHA-256. */
async function signWebhook(app: App, body: string) {
  const at = new AccessToken(app.env.LIVEKIT_API_KEY, app.env.LIVEKIT_API_SECRET);
  at.sha256 = createHash('sha256').update(body).digest('base64');
  return at.toJwt();
}

/**
 * Webhook deliveries through app/api/livekit/webhook/route.ts POST: the body read under its cap,
 * the JWT and body hash verified (livekit-server-sdk WebhookReceiver), the event parsed and, for
 * a registered candidate, stored with the flag and client checks in one transaction and emitted
 * on the room's bus channel. Bodies are signed beforehand (LiveKit's cost, not the app's). The
 * join events of one candidate after another for `seconds`, then their leave events; the
 * deferred "still lost?" checks after leaves (AUTO_FLAG_GRACE_SECONDS, set to 3 s here) are
 * metered until their timers have run.
 */
export async function measureWebhooks(app: App, s: Scenario, seconds: number, device: string | null, maxCandidates = 300) {
  const createdAt = Math.floor(Date.now() / 1000);
  const sign = async (people: Person[], specs: readonly WebhookSpec[]) => {
    const out: { spec: WebhookSpec; body: string; jwt: string }[] = [];
    for (const p of people) {
      for (const spec of specs) {
        const body = webhookBody(app, p, spec, createdAt);
        out.push({ spec, body, jwt: await signWebhook(app, body) });
      }
    }
    return out;
  };
  // Warm-up on candidates the measurement does not use (the last ones).
  const warmPeople = s.people.slice(-50);
  // One more, whose events are counted (statements per event) after the metered ones.
  const counted = s.people.at(-51)!;
  const people = s.people.slice(0, Math.min(maxCandidates, s.people.length - warmPeople.length - 1));
  const joins = await sign(people, JOIN_EVENTS);

  const byType = new Map<string, { n: number; cpuUs: number }>();
  const deliver = async (d: { spec: WebhookSpec; body: string; jwt: string }) => {
    const c0 = process.cpuUsage();
    const res = await app.routes.webhook.POST(
      new Request(`${ORIGIN}/api/livekit/webhook`, {
        method: 'POST',
        headers: { host: HOST, 'content-type': 'application/webhook+json', authorization: d.jwt },
        body: d.body,
      }),
    );
    if (res.status !== 200) throw new Error(`webhook ${d.spec.event}: ${res.status}`);
    const c = process.cpuUsage(c0);
    const key = `${d.spec.device}:${d.spec.event}`;
    const t = byType.get(key) ?? { n: 0, cpuUs: 0 };
    t.n++;
    t.cpuUs += c.user + c.system;
    byType.set(key, t);
  };
  // The deferred checks are timers due `grace` after each leave: waited for until the last one is due, and one turn more.
  const graceOver = async () => {
    const dueAt = performance.now() + app.env.AUTO_FLAG_GRACE_SECONDS * 1000;
    while (performance.now() < dueAt) await new Promise((r) => setTimeout(r, dueAt - performance.now()));
    await new Promise((r) => setImmediate(r));
  };
  const db = app.getDb();
  const countOf = (sql: string) => (db.$client.prepare(sql).get() as { n: number }).n;
  const storedSql = `SELECT count(*) AS n FROM events WHERE external_id LIKE 'EV_bench_%'`;
  const flagsSql = `SELECT count(*) AS n FROM flags`;

  // Warm-up, and its deferred checks out of the way before anything is metered.
  for (const d of await sign(warmPeople, JOIN_EVENTS)) await deliver(d);
  for (const d of await sign(warmPeople, LEAVE_EVENTS)) await deliver(d);
  await graceOver();
  byType.clear();
  const stored0 = countOf(storedSql);
  const flags0 = countOf(flagsSql);

  // Whole candidates only: every joined candidate also leaves.
  const join = await loop(device, seconds, (i) => deliver(joins[i]!), { limit: joins.length });
  const joinedCandidates = Math.floor(join.n / JOIN_EVENTS.length);
  const leaves = await sign(people.slice(0, joinedCandidates), LEAVE_EVENTS);
  // Shorter than the grace: no deferred check runs during the metered leaves; all of them run in the window after.
  const leave = await loop(device, Math.min(seconds, FLAG_GRACE_S - 0.5), (i) => deliver(leaves[i]!), { limit: joinedCandidates * LEAVE_EVENTS.length });
  const stopDeferred = meter(device);
  await graceOver();
  const deferred = stopDeferred();
  const stored = { n: countOf(storedSql) - stored0 };
  const flagsRaised = { n: countOf(flagsSql) - flags0 };
  const cpuMsByEvent = Object.fromEntries([...byType].map(([k, v]) => [k, round(v.cpuUs / 1000 / v.n)]));
  const countedJoins = await sign([counted], JOIN_EVENTS);
  const countedLeaves = await sign([counted], LEAVE_EVENTS);
  const sqlStatementsPerJoinEvent = await statementsPer(app, JOIN_EVENTS.length, (k) => deliver(countedJoins[k]!));
  const sqlStatementsPerLeaveEvent = await statementsPer(app, LEAVE_EVENTS.length, (k) => deliver(countedLeaves[k]!));
  const sqlStatementsPerDeferredCheck = await statementsPer(app, LEAVE_EVENTS.length, async (k) => {
    if (k === 0) await graceOver();
  });
  const joinCpuMs = join.m.cpuMs / join.n;
  const leaveCpuMs = leave.m.cpuMs / leave.n;
  const deferredCpuMs = deferred.cpuMs / leave.n;
  return {
    how: 'POST /api/livekit/webhook through the route handler with LiveKit-shaped JSON bodies (~1-3 KB) signed by a JWT of the API key carrying the body SHA-256, as livekit-server does; join events of one candidate after another, then the same candidates leaving; the deferred lost-feed checks metered until due. No listener is on the bus (in production the invigilators of the room get each stored event).',
    eventsPerCandidateJoin: JOIN_EVENTS.length,
    eventsPerCandidateLeave: LEAVE_EVENTS.length,
    eventsPerCandidate: {
      join: JOIN_EVENTS.map((e) => `${e.device}:${e.event}${'source' in e ? `:${e.source}` : ''}`),
      leave: LEAVE_EVENTS.map((e) => `${e.device}:${e.event}${'source' in e ? `:${e.source}` : ''}`),
    },
    bodyBytes: {
      joinMean: round(joins.reduce((a, d) => a + d.body.length, 0) / joins.length),
      leaveMean: round(leaves.reduce((a, d) => a + d.body.length, 0) / leaves.length),
    },
    joinEvents: join.n,
    leaveEvents: leave.n,
    storedEvents: stored.n,
    autoFlagsRaised: flagsRaised.n,
    cpuMsPerJoinEvent: round(joinCpuMs),
    cpuMsPerLeaveEvent: round(leaveCpuMs),
    /** Every leave event (track_unpublished, participant_left) schedules one: roomTiles for the candidate, a flag if the feed is still gone. */
    cpuMsPerDeferredCheck: round(deferredCpuMs),
    cpuMsPerCandidateJoinAndLeave: round(joinCpuMs * JOIN_EVENTS.length + (leaveCpuMs + deferredCpuMs) * LEAVE_EVENTS.length),
    eventsPerSecondPerCore: round(((join.n + leave.n) / (join.m.cpuMs + leave.m.cpuMs + deferred.cpuMs)) * 1000),
    /** Handler only (deferred checks not included). */
    cpuMsByEvent,
    sqlStatementsPerJoinEvent,
    sqlStatementsPerLeaveEvent,
    sqlStatementsPerDeferredCheck,
    machineJoin: machineOf(join.m),
    machineLeave: machineOf(leave.m),
    machineDeferred: machineOf(deferred),
  };
}

/* ------------------------------------------------------------------ live streams */

type OpenStream = { abort: AbortController; heartbeats: number; done: Promise<void> };

/** Opens the exam page's live connection for each person through app/api/live/route.ts GET and waits for every `open` frame. */
async function openStreams(app: App, s: Scenario, people: Person[]) {
  const streams: OpenStream[] = [];
  const opened: Promise<void>[] = [];
  for (const p of people) {
    const abort = new AbortController();
    const res = app.routes.live.GET(
      new Request(`${ORIGIN}/api/live?topics=${encodeURIComponent(CANDIDATE_TOPICS(s.examId))}`, {
        headers: { host: HOST, cookie: p.cookie },
        signal: abort.signal,
      }),
    );
    if (res.status !== 200 || !res.body) throw new Error(`live: ${res.status} ${await res.text()}`);
    const reader = res.body.getReader();
    const st: OpenStream = { abort, heartbeats: 0, done: Promise.resolve() };
    let markOpen!: () => void;
    opened.push(new Promise<void>((r) => (markOpen = r)));
    const decoder = new TextDecoder();
    st.done = (async () => {
      let isOpen = false;
      for (;;) {
        const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
        if (done || !value) return;
        // A heartbeat is the shared `: keep-alive` comment; anything else is a frame.
        if (value[0] === 0x3a) st.heartbeats++;
        else if (!isOpen && decoder.decode(value).includes('event: open')) {
          isOpen = true;
          markOpen();
        }
      }
    })();
    streams.push(st);
  }
  await Promise.all(opened);
  return streams;
}

async function closeStreams(streams: OpenStream[]) {
  for (const st of streams) st.abort.abort();
  await Promise.all(streams.map((st) => st.done));
}

/**
 * Live streams through app/api/live/route.ts GET, the route the exam page holds open
 * (`commands:<exam>,messages`), read to the end in process. Heap per open stream (after a full
 * GC), and the CPU of the two things an idle stream does: a heartbeat when quiet (every ~15 s)
 * and the session/topic re-check (every ~30 s), each measured with its interval shortened to
 * `fastMs` for `seconds` (server/live/connection.ts exports both limits for tests).
 */
export async function measureLiveStreams(app: App, s: Scenario, seconds: number, device: string | null, count = 1000, fastMs = 200) {
  const people = s.people.slice(0, count);
  const { LIVE_LIMITS, STREAM_RECHECK } = app.live;
  const saved = { heartbeatMs: LIVE_LIMITS.heartbeatMs, everyMs: STREAM_RECHECK.everyMs };
  const slow = 3_600_000;
  try {
    // Heartbeats fast, re-checks out of the way; the heap per stream from this set.
    LIVE_LIMITS.heartbeatMs = fastMs;
    STREAM_RECHECK.everyMs = slow;
    const extra = s.people.slice(-20);
    const sqlStatementsPerStreamOpen = round(num(await statementsPer(app, 1, async () => closeStreams(await openStreams(app, s, extra)))) / extra.length);
    gc();
    const heap0 = process.memoryUsage();
    const openStop = meter(device);
    let streams = await openStreams(app, s, people);
    const opening = openStop();
    gc();
    const heap1 = process.memoryUsage();
    let stop = meter(device);
    const hb0 = streams.reduce((a, st) => a + st.heartbeats, 0);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const hb = streams.reduce((a, st) => a + st.heartbeats, 0) - hb0;
    const heartbeating = stop();
    await closeStreams(streams);

    LIVE_LIMITS.heartbeatMs = slow;
    STREAM_RECHECK.everyMs = fastMs;
    streams = await openStreams(app, s, people);
    stop = meter(device);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const rechecking = stop();
    // Re-checks are not visible from outside: counted from the schedule (uniform 75-125% of the interval, mean = the interval).
    const rechecks = (people.length * rechecking.wallS * 1000) / fastMs;
    const sqlStatementsPerSecond = num(await statementsPer(app, 1, () => new Promise((r) => setTimeout(r, 1000))));
    await closeStreams(streams);

    const heartbeatCpuMs = heartbeating.cpuMs / hb;
    const recheckCpuMs = rechecking.cpuMs / rechecks;
    const stored = latestRealtimeResult();
    return {
      how: 'GET /api/live?topics=commands:<exam>,messages through the route handler with the session cookie, the stream read in process (no socket). Heap = V8 heap + external after a full GC, over the open streams, including the Request/Response/reader this bench holds per stream. CPU per heartbeat and per re-check measured with that interval shortened; per stream-second at the production intervals (15 s heartbeat, 30 s re-check).',
      streams: people.length,
      cpuMsPerStreamOpen: round(opening.cpuMs / people.length),
      heapKBPerStreamInProcess: round((heap1.heapUsed + heap1.external - heap0.heapUsed - heap0.external) / 1024 / people.length),
      heartbeats: hb,
      cpuMsPerHeartbeat: round(heartbeatCpuMs),
      recheckCount: round(rechecks),
      sqlStatementsPerStreamOpen,
      sqlStatementsPerRecheck: round(sqlStatementsPerSecond / ((people.length * 1000) / fastMs)),
      cpuMsPerRecheck: round(recheckCpuMs),
      cpuMsPerStreamSecond: round(heartbeatCpuMs / (HEARTBEAT_MS / 1000) + recheckCpuMs / (RECHECK_MS / 1000)),
      streamsPerCoreIdle: round(1000 / (heartbeatCpuMs / (HEARTBEAT_MS / 1000) + recheckCpuMs / (RECHECK_MS / 1000))),
      fromBenchRealtime: {
        source: 'npm run bench:realtime (BENCH_CANDIDATES=5000: 5,000 candidate streams + 400 agent desks, one `next start`)',
        brief: { ...REALTIME_NOTE, mbPerStream: round(REALTIME_NOTE.rssMb / REALTIME_NOTE.candidatesConnected) },
        stored,
      },
      machineHeartbeat: machineOf(heartbeating),
      machineRecheck: machineOf(rechecking),
    };
  } finally {
    LIVE_LIMITS.heartbeatMs = saved.heartbeatMs;
    STREAM_RECHECK.everyMs = saved.everyMs;
  }
}

/** The newest single-app bench:realtime result stored under tests/.artifacts/bench-realtime, as per-stream figures. */
export function latestRealtimeResult() {
  const dir = path.join(ARTIFACTS, '..', 'bench-realtime');
  const files = fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^result-.*\.json$/.test(f)) : [];
  for (const f of files.sort().reverse()) {
    const r = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as {
      apps?: number;
      streamsOpen?: number;
      rssMbAt?: { connected?: number };
      cpu?: { chat?: { app?: number } };
      rate?: number;
    };
    if ((r.apps ?? 1) !== 1 || !r.streamsOpen || !r.rssMbAt?.connected) continue;
    return {
      file: path.relative(process.cwd(), path.join(dir, f)),
      streamsOpen: r.streamsOpen,
      rssMbConnected: r.rssMbAt.connected,
      mbPerStream: round(r.rssMbAt.connected / r.streamsOpen),
      appCpuPercentDuringChat: r.cpu?.chat?.app ?? null,
      chatMessagesPerSecond: r.rate ?? null,
    };
  }
  return null;
}

/* ------------------------------------------------------------------ all of it */

export type AppCostOptions = {
  /** Seconds per measurement (autosave per payload, chunks, webhooks, each live-stream phase). */
  seconds?: number;
  /** Seconds of single-row SQLite commits (the batched and FULL runs take a quarter each). */
  sqliteSeconds?: number;
  /** Candidates in the bench database (a realistic table size for the indexes). */
  candidates?: number;
  /** Live streams opened in process. */
  streams?: number;
  dir?: string;
  log?: (message: string) => void;
};

/** Every measurement, one after another, with how busy the machine was. */
async function measureAll(opts: AppCostOptions) {
  const { seconds = 3, sqliteSeconds = 6, candidates = 10_000, streams = 1000, dir = ARTIFACTS, log = (m: string) => console.error(m) } = opts;
  fs.mkdirSync(dir, { recursive: true });
  const started = performance.now();
  const say = (m: string) => log(`app-cost [${((performance.now() - started) / 1000).toFixed(1)} s]: ${m}`);
  const total = meter(null);
  const machine = await machineLoad();
  say(`machine ${machine.busyCoresBeforeStart} of ${machine.cores} cores busy before start (load ${machine.loadAvg1m})`);

  const app = await loadApp(dir);
  const device = deviceOf(dir);
  const t0 = performance.now();
  const s = await seed(app, candidates);
  say(`seeded ${candidates} candidates in ${Math.round(performance.now() - t0)} ms`);

  say(`SQLite write rate (${sqliteSeconds} s + ${sqliteSeconds / 2} s)`);
  const sqlite = measureSqliteWriteRate({ file: app.dbPath, registrationIds: s.people.map((p) => p.registrationId), seconds: sqliteSeconds });
  say(`disk (fdatasync, sequential)`);
  const disk = measureDiskRate({ dir, seconds: 2 });
  say(`autosave`);
  const autosave = await measureAutosave(app, s, seconds, device);
  say(`recording chunks`);
  const chunks = await measureRecordingChunks(app, s, seconds * 2, device);
  say(`webhooks`);
  const webhooks = await measureWebhooks(app, s, seconds, device);
  say(`live streams (${streams})`);
  const live = await measureLiveStreams(app, s, seconds, device, Math.min(streams, candidates));
  const run = total();

  const cost = {
    bench: 'app-cost',
    machine: { ...machine, duringRun: machineOf(run), device },
    sqlite,
    disk,
    autosave,
    recordingChunks: chunks,
    webhooks,
    liveStreams: live,
    seconds: round((performance.now() - started) / 1000),
  };
  return cost;
}
type Measured = Awaited<ReturnType<typeof measureAll>>;

/** Everything measured, one candidate's load, and that load for 50 to 10,000 candidates. */
export async function measureAppCost(opts: AppCostOptions = {}) {
  const cost = await measureAll(opts);
  return { ...cost, perCandidate: perCandidate(cost), at: Object.fromEntries([50, 100, 200, 1000, 10_000].map((n) => [n, projectAppCost(cost, n)])) };
}
export type AppCost = Awaited<ReturnType<typeof measureAppCost>>;

const num = (x: number | null | undefined) => x ?? NaN;

/** One candidate's steady load while sitting (exam page + bound phone), from the measurements. */
export function perCandidate(c: Measured) {
  const savesUpper = c.autosave.savesPerSecondPerCandidateUpperBound ?? NaN;
  const savesAssumed = c.autosave.savesPerSecondPerCandidateAssumed;
  const saveCpu = num(c.autosave.text2000Chars.cpuMsPerSave);
  const chunkRate = num(c.recordingChunks.chunksPerSecondPerCandidate);
  return {
    how: 'Steady state while sitting: autosave (assumed 1 save / 5 s; upper bound 1 / 0.8 s) of a text answer, 3 recording chunks / 4 s (screen, camera, phone witness), one live stream. Webhooks come in bursts (join/leave), given per candidate.',
    autosaveCpuMsPerSecond: round(savesAssumed * saveCpu),
    autosaveCpuMsPerSecondUpperBound: round(savesUpper * saveCpu),
    chunkCpuMsPerSecond: round(chunkRate * num(c.recordingChunks.cpuMsPerChunk)),
    liveStreamCpuMsPerSecond: c.liveStreams.cpuMsPerStreamSecond,
    cpuMsPerSecond: round(savesAssumed * saveCpu + chunkRate * num(c.recordingChunks.cpuMsPerChunk) + num(c.liveStreams.cpuMsPerStreamSecond)),
    sqliteCommitsPerSecond: round(savesAssumed + chunkRate),
    sqliteCommitsPerSecondUpperBound: round(savesUpper + chunkRate),
    recordingBytesPerSecond: c.recordingChunks.bytesPerSecondPerCandidate,
    webhookEventsPerJoinAndLeave: c.webhooks.eventsPerCandidateJoin + c.webhooks.eventsPerCandidateLeave,
    webhookCpuMsPerJoinAndLeave: c.webhooks.cpuMsPerCandidateJoinAndLeave,
    liveStreamMbRss: c.liveStreams.fromBenchRealtime.brief.mbPerStream,
  };
}

/** What `n` candidates sitting at once cost the app, against what this machine's SQLite and disk were measured to sustain. */
export function projectAppCost(c: Measured, n: number) {
  const p = perCandidate(c);
  const commits = num(p.sqliteCommitsPerSecond) * n;
  const commitsUpper = num(p.sqliteCommitsPerSecondUpperBound) * n;
  const sqliteMax = num(c.sqlite.singleRow.commitsPerSecond);
  const diskBytes = num(p.recordingBytesPerSecond) * n;
  return {
    cores: {
      autosave: round((num(p.autosaveCpuMsPerSecond) * n) / 1000),
      autosaveUpperBound: round((num(p.autosaveCpuMsPerSecondUpperBound) * n) / 1000),
      recordingChunks: round((num(p.chunkCpuMsPerSecond) * n) / 1000),
      liveStreamsIdle: round((num(p.liveStreamCpuMsPerSecond) * n) / 1000),
      total: round((num(p.cpuMsPerSecond) * n) / 1000),
    },
    sqliteCommitsPerSecond: round(commits),
    sqliteCommitsPerSecondUpperBound: round(commitsUpper),
    /** Of the single-row commit rate measured here (one writer; several app processes share it). */
    sqliteShareOfMeasuredMax: round(commits / sqliteMax),
    sqliteShareOfMeasuredMaxUpperBound: round(commitsUpper / sqliteMax),
    recordingMBPerSecond: round(diskBytes / 1e6),
    /** Of the sequential write rate measured on this disk. */
    recordingShareOfDiskWriteRate: round(diskBytes / 1e6 / num(c.disk.sequentialWrite.mbPerSecond)),
    recordingGBPerHour: round((diskBytes * 3600) / 1e9),
    webhookEventsPerJoinWave: p.webhookEventsPerJoinAndLeave * n,
    webhookCpuSecondsPerJoinAndLeaveWave: round((num(p.webhookCpuMsPerJoinAndLeave) * n) / 1000),
    liveStreamsRssMb: round(num(p.liveStreamMbRss) * n),
  };
}

/**
 * measureAppCost in a child process (tests/bench/app-cost-run.ts): for a caller that has loaded
 * server/env.ts itself, or wants the app's CPU apart from its own. Resolves with the JSON.
 */
export function measureAppCostInChild(env: Record<string, string> = {}): Promise<AppCost> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(import.meta.dirname, 'app-cost-run.ts'), [], {
      execArgv: process.execArgv,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1);
      if (code !== 0 || !last) return reject(new Error(`app-cost-run exited with ${code}`));
      resolve(JSON.parse(last) as AppCost);
    });
  });
}
