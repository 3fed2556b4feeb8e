import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { SimulatedCandidate, type SimulatedTrack } from '@/server/tooling/simulated-candidate';

/** What every simulated candidate publishes, in the order a real candidate's browser does. */
export type PublishProfile = {
  screen: SimulatedTrack & { source: 'screen_share' };
  camera: SimulatedTrack & { source: 'camera' };
  /** A (silent) microphone too, as real candidates publish one: the grid flags its absence. */
  microphone: boolean;
};

/** Epoch ms the join started (just before `connect()`), and the steps' times from then. */
export type JoinTiming = { startedAt: number; connectMs: number; screenPublishedMs: number; cameraPublishedMs: number };

/** Frame counters summed over the fleet; `loopDelayMs` is the JavaScript event loop's lateness since the last reading. */
export type FramesSent = { camera: number; screen: number; captureMs: number; loopDelayMs?: { p50: number; p99: number; max: number } };

/** The operations load tests need from a room of simulated candidates, wherever they run. */
export interface Fleet {
  join(candidateId: number): Promise<JoinTiming>;
  joinAll(candidateIds: number[], opts?: JoinAllOptions): Promise<void>;
  leave(candidateId: number): Promise<void>;
  framesSent(): Promise<FramesSent>;
  stop(): Promise<void>;
}

export type JoinAllOptions = {
  concurrency?: number;
  /** Attempts per candidate: on a loaded machine a publish can time out and succeed when retried. */
  attempts?: number;
  onJoined?: (n: number) => void;
  onRetry?: (candidateId: number, err: unknown) => void;
};

async function joinAllWith(
  join: (id: number) => Promise<unknown>,
  stopped: () => boolean,
  candidateIds: number[],
  { concurrency = 4, attempts = 3, onJoined, onRetry }: JoinAllOptions = {},
) {
  const queue = [...candidateIds];
  let joined = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, queue.length) }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        for (let attempt = 1; ; attempt++) {
          try {
            await join(id);
            break;
          } catch (err) {
            if (attempt >= attempts || stopped()) throw err;
            onRetry?.(id, err);
          }
        }
        onJoined?.(++joined);
      }
    }),
  );
}

/**
 * A room full of simulated candidates in this process, each with its own deterministic
 * identity: joins them a few at a time, lets single ones leave and come back, and stops them all.
 * Tokens come from the caller, so identities and attributes are the ones the app mints for real
 * candidates.
 */
export class CandidateFleet implements Fleet {
  private readonly peers = new Map<number, SimulatedCandidate>();
  private stopped = false;

  constructor(
    private readonly url: string,
    private readonly mintToken: (candidateId: number) => Promise<string>,
    readonly profile: PublishProfile,
  ) {}

  async join(candidateId: number) {
    return this.joinWithToken(candidateId, await this.mintToken(candidateId));
  }

  /** Connects and publishes screen, camera, then microphone; the timings count from the start of `connect()`. */
  async joinWithToken(candidateId: number, token: string): Promise<JoinTiming> {
    let peer = this.peers.get(candidateId);
    if (!peer) {
      // Spread the candidates over the frame loop so their pictures do not move in lockstep.
      peer = new SimulatedCandidate({ phase: this.peers.size * 7 });
      this.peers.set(candidateId, peer);
    }
    const t0 = Date.now();
    await peer.connect(this.url, token);
    const connectMs = Date.now() - t0;
    await peer.publish(this.profile.screen);
    const screenPublishedMs = Date.now() - t0;
    await peer.publish(this.profile.camera);
    const cameraPublishedMs = Date.now() - t0;
    if (this.profile.microphone) await peer.publishMicrophone();
    return { startedAt: t0, connectMs, screenPublishedMs, cameraPublishedMs };
  }

  joinAll(candidateIds: number[], opts?: JoinAllOptions) {
    return joinAllWith(
      (id) => this.join(id),
      () => this.stopped,
      candidateIds,
      opts,
    );
  }

  async leave(candidateId: number) {
    await this.peers.get(candidateId)?.disconnect();
  }

  /** Frames handed to the SDK per source since each candidate's last connect, summed. */
  async framesSent(): Promise<FramesSent> {
    let camera = 0;
    let screen = 0;
    let captureMs = 0;
    for (const p of this.peers.values()) {
      camera += p.framesSent.camera;
      screen += p.framesSent.screen_share;
      captureMs += p.captureMs;
    }
    return { camera, screen, captureMs };
  }

  async stop() {
    this.stopped = true;
    await Promise.allSettled([...this.peers.values()].map((p) => p.disconnect()));
    this.peers.clear();
  }
}

export type FleetRequest =
  | { seq: number; type: 'init'; url: string; profile: PublishProfile }
  | { seq: number; type: 'join'; candidateId: number; token: string }
  | { seq: number; type: 'leave'; candidateId: number }
  | { seq: number; type: 'frames' }
  | { seq: number; type: 'stop' };

export type FleetReply =
  | { seq: number; type: 'ok' }
  | { seq: number; type: 'joined'; timing: JoinTiming }
  | { seq: number; type: 'frames'; frames: FramesSent }
  | { seq: number; type: 'error'; message: string };

type Unseq<T> = T extends unknown ? Omit<T, 'seq'> : never;

/**
 * The same fleet in a child process of its own session (so its own scheduling group on Linux):
 * the candidates' encoders and the browser being measured then share the cores fairly instead
 * of thread by thread. Tokens are minted here and handed over.
 */
export class ProcessFleet implements Fleet {
  readonly child: ChildProcess;
  private seq = 0;
  private stopping = false;
  private readonly pending = new Map<number, { resolve: (r: FleetReply) => void; reject: (e: Error) => void }>();

  private constructor(private readonly mintToken: (candidateId: number) => Promise<string>) {
    this.child = fork(path.join(import.meta.dirname, 'fleet-worker.ts'), [], {
      // The tsx loader this process runs under, so the worker's TypeScript and `@/` imports load too.
      execArgv: process.execArgv,
      detached: true,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (msg: FleetReply) => {
      const p = this.pending.get(msg.seq);
      if (!p) return;
      this.pending.delete(msg.seq);
      if (msg.type === 'error') p.reject(new Error(`candidate process: ${msg.message}`));
      else p.resolve(msg);
    });
    this.child.once('exit', (code, signal) => {
      for (const p of this.pending.values()) p.reject(new Error(`candidate process exited (${code ?? signal})`));
      this.pending.clear();
    });
  }

  static async start(url: string, mintToken: (candidateId: number) => Promise<string>, profile: PublishProfile) {
    const fleet = new ProcessFleet(mintToken);
    await fleet.request({ type: 'init', url, profile });
    return fleet;
  }

  get pid() {
    return this.child.pid!;
  }

  private request(msg: Unseq<FleetRequest>): Promise<FleetReply> {
    const seq = ++this.seq;
    return new Promise((resolve, reject) => {
      if (!this.child.connected) return reject(new Error('candidate process is gone'));
      if (this.stopping && msg.type !== 'stop') return reject(new Error('candidates are stopping'));
      this.pending.set(seq, { resolve, reject });
      this.child.send({ ...msg, seq });
    });
  }

  async join(candidateId: number) {
    const token = await this.mintToken(candidateId);
    const reply = await this.request({ type: 'join', candidateId, token });
    return (reply as Extract<FleetReply, { type: 'joined' }>).timing;
  }

  joinAll(candidateIds: number[], opts?: JoinAllOptions) {
    return joinAllWith(
      (id) => this.join(id),
      () => this.stopping,
      candidateIds,
      opts,
    );
  }

  async leave(candidateId: number) {
    await this.request({ type: 'leave', candidateId });
  }

  async framesSent() {
    const reply = await this.request({ type: 'frames' });
    return (reply as Extract<FleetReply, { type: 'frames' }>).frames;
  }

  /** Leaves the room with every candidate, then ends the process (forcibly if it hangs). */
  async stop() {
    this.stopping = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    await Promise.race([this.request({ type: 'stop' }).catch(() => {}), new Promise((r) => setTimeout(r, 10_000))]);
    if (this.child.connected) this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
