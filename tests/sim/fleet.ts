/**
 * The Node side of the exam-day simulator: builds the Go fleet (tests/sim/fleet) and its clips
 * when they are missing or stale, runs it (inside the test's own network namespace unless
 * SIM_NETNS=0), and talks to it: candidates join and leave on command, grid-like viewers watch
 * rooms, and counters are read back. Tokens come from the caller, so identities, grants and
 * attributes are the ones the app mints for real candidates.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { ensureClips, SIM_DIR } from './clips';
import { createSimNet, type SimNet } from './netns';

const SOURCE_DIR = path.join(import.meta.dirname, 'fleet');
export const SIM_BIN = path.join(SIM_DIR, 'bin', 'examsim');

/** Builds the fleet with the Go toolchain (pure Go) unless the binary matches its sources. */
export function ensureSimBinary({ log = (msg: string) => console.error(msg) }: { log?: (msg: string) => void } = {}) {
  const hash = createHash('sha256');
  for (const f of fs.readdirSync(SOURCE_DIR).sort()) {
    if (/\.go$|^go\.(mod|sum)$/.test(f)) hash.update(f).update(fs.readFileSync(path.join(SOURCE_DIR, f)));
  }
  const digest = hash.digest('hex');
  const stamp = `${SIM_BIN}.sha256`;
  if (fs.existsSync(SIM_BIN) && fs.existsSync(stamp) && fs.readFileSync(stamp, 'utf8') === digest) return SIM_BIN;
  log('building the simulator fleet (go build; the first build downloads its modules, ~1-2 min)…');
  const started = Date.now();
  fs.mkdirSync(path.dirname(SIM_BIN), { recursive: true });
  const res = spawnSync('go', ['build', '-o', SIM_BIN, '.'], {
    cwd: SOURCE_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CGO_ENABLED: '0' },
  });
  if (res.error) throw new Error(`cannot run go (is Go 1.26+ on PATH?): ${res.error.message}`);
  if (res.status !== 0) throw new Error(`go build of the simulator fleet failed with exit ${res.status}`);
  fs.writeFileSync(stamp, digest);
  log(`built ${SIM_BIN} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return SIM_BIN;
}

/** Epoch ms the join started (just before the PC's connect), and each step's time from then. */
export type JoinTiming = { startedAt: number; connectMs: number; screenPublishedMs: number; cameraPublishedMs: number; witnessPublishedMs?: number };
export type Tokens = { pc: string; phone?: string };
type Counter = { frames: number; bytes: number; packets: number };
export type SentKey = `${'screen' | 'camera' | 'witness'}.${'low' | 'high'}` | 'microphone';
export type FleetStats = {
  candidates: number;
  /** RTP sent to the SFU per picture and layer ("camera.low"), over every participant; layers paused by dynacast send nothing. */
  sent: Record<SentKey, Counter>;
  /** What each viewer received: bytes, packets, and how many pictures it watches live. */
  viewers: Record<string, { bytes: number; packets: number; live: number }>;
  goroutines: number;
  at: number;
};

export type JoinAllOptions = {
  concurrency?: number;
  /** Attempts per candidate: on a loaded machine a publish can time out and succeed when retried. */
  attempts?: number;
  onJoined?: (n: number) => void;
  onRetry?: (candidateId: number, err: unknown) => void;
};

/** Where the fleet runs: the namespace's name, and the SFU's address from inside it. */
type FleetNet = Pick<SimNet, 'name' | 'hostAddress'>;

type Pending = { resolve: (body: Record<string, unknown>) => void; reject: (err: Error) => void };

export class SimFleet {
  private req = 0;
  private pending = new Map<number, Pending>();
  private exited: Promise<void>;
  private stderrTail: string[] = [];

  private constructor(
    private readonly child: ChildProcess,
    /** The SFU as the fleet reaches it (the host end of the namespace, or loopback). */
    readonly sfuUrl: string,
    private readonly tokens: (candidateId: number) => Promise<Tokens>,
    readonly net: FleetNet | null,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', () => resolve()));
    child.once('exit', (code, signal) => {
      const err = new Error(`the simulator fleet exited (${signal ?? code}): ${this.stderrTail.join(' | ')}`);
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    });
    readline.createInterface({ input: child.stdout! }).on('line', (line) => {
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(line) as Record<string, unknown>;
      } catch {
        return;
      }
      const p = this.pending.get(Number(body.req));
      if (!p) return;
      this.pending.delete(Number(body.req));
      if (typeof body.error === 'string') p.reject(new Error(body.error));
      else p.resolve(body);
    });
    readline.createInterface({ input: child.stderr! }).on('line', (line) => {
      this.stderrTail.push(line);
      if (this.stderrTail.length > 20) this.stderrTail.shift();
    });
  }

  /**
   * Starts the fleet for an SFU listening on `sfuPort` at 127.0.0.1 and, with a namespace, at
   * `net.hostAddress` too (see StackConfig.sfuExtraAddresses). Pass the namespace made for the
   * SFU's config, or null to run on the host network.
   */
  static async start(o: { sfuPort: number; net: FleetNet | null; tokens: (candidateId: number) => Promise<Tokens>; log?: (msg: string) => void }) {
    const bin = ensureSimBinary({ log: o.log });
    const clips = ensureClips({ log: o.log });
    const argv = [bin, '-clips', clips];
    const [cmd, ...args] = o.net ? ['ip', 'netns', 'exec', o.net.name, ...argv] : argv;
    const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const fleet = new SimFleet(child, `ws://${o.net?.hostAddress ?? '127.0.0.1'}:${o.sfuPort}`, o.tokens, o.net);
    // The fleet announces itself (request 0) once its clips are loaded.
    await new Promise<Record<string, unknown>>((resolve, reject) => {
      fleet.pending.set(0, { resolve, reject });
      setTimeout(() => reject(new Error('the simulator fleet did not start within 30 s')), 30_000).unref();
    });
    return fleet;
  }

  /** The fleet's process, for CPU sampling. */
  get pid() {
    return this.child.pid!;
  }

  private send<T = Record<string, unknown>>(op: string, fields: Record<string, unknown> = {}): Promise<T> {
    const req = ++this.req;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(req, { resolve: resolve as (b: Record<string, unknown>) => void, reject });
      this.child.stdin!.write(`${JSON.stringify({ req, op, ...fields })}\n`);
    });
  }

  /** One candidate's PC and phone join and publish; resolves when every track is published. */
  async join(candidateId: number): Promise<JoinTiming> {
    const t = await this.tokens(candidateId);
    const body = await this.send<{ timing: JoinTiming }>('join', { id: String(candidateId), url: this.sfuUrl, pcToken: t.pc, phoneToken: t.phone ?? '' });
    return body.timing;
  }

  async joinAll(candidateIds: number[], { concurrency = 8, attempts = 3, onJoined, onRetry }: JoinAllOptions = {}) {
    const queue = [...candidateIds];
    let joined = 0;
    await Promise.all(
      Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
        for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
          for (let attempt = 1; ; attempt++) {
            try {
              await this.join(id);
              break;
            } catch (err) {
              if (attempt >= attempts || this.child.exitCode !== null) throw err;
              onRetry?.(id, err);
            }
          }
          onJoined?.(++joined);
        }
      }),
    );
  }

  async leave(candidateId: number) {
    await this.send('leave', { id: String(candidateId) });
  }

  /** A viewer that watches the room as the grid does: LOW layers of up to `capacity` pictures, cameras first. */
  async view(id: string, token: string, capacity: number) {
    await this.send('view', { id, url: this.sfuUrl, token, capacity });
  }

  stats(): Promise<FleetStats> {
    return this.send<FleetStats>('stats');
  }

  /**
   * The process dies at once (SIGKILL, no goodbye): every candidate vanishes together, as when a
   * school's network goes down. The SFU notices each one on its own timers and reports them as
   * left; nobody leaves on purpose.
   */
  async kill() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** Everyone leaves (the SFU sees departures, not timeouts), then the process ends. */
  async stop() {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin!.end(`${JSON.stringify({ op: 'quit' })}\n`);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}

/** The namespace for a run, or null when SIM_NETNS=0 asks for the host network. */
export function simNetFromEnv(): SimNet | null {
  return process.env.SIM_NETNS === '0' ? null : createSimNet();
}
