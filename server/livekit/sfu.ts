import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The SFU we build and run: pinned, so every machine forwards media the same way. */
export const SFU_VERSION = 'v1.13.5';
export const SFU_DIR = path.join(process.cwd(), '.livekit');
export const SFU_BIN = path.join(SFU_DIR, 'bin', 'livekit-server');

/**
 * Builds livekit-server from the Go module proxy into .livekit/bin when it is missing (or of
 * another version), and reuses it otherwise. Pure Go (CGO off), so no C toolchain is involved.
 */
export function ensureSfuBinary({ log = console.log }: { log?: (msg: string) => void } = {}) {
  if (fs.existsSync(SFU_BIN)) {
    const out = spawnSync(SFU_BIN, ['--version'], { encoding: 'utf8' });
    if (out.stdout.includes(SFU_VERSION.slice(1))) return SFU_BIN;
    log(`livekit-server at ${SFU_BIN} is not ${SFU_VERSION}; rebuilding`);
  }
  const gobin = path.join(SFU_DIR, 'gobin');
  fs.mkdirSync(gobin, { recursive: true });
  log(`building livekit-server ${SFU_VERSION} with go install (first run only, ~2 min)…`);
  const started = Date.now();
  const res = spawnSync('go', ['install', `github.com/livekit/livekit-server/cmd/server@${SFU_VERSION}`], {
    stdio: 'inherit',
    env: { ...process.env, CGO_ENABLED: '0', GOBIN: gobin },
  });
  if (res.error) throw new Error(`cannot run go (is Go 1.26+ on PATH?): ${res.error.message}`);
  if (res.status !== 0) throw new Error(`go install of livekit-server ${SFU_VERSION} failed with exit ${res.status}`);
  fs.mkdirSync(path.dirname(SFU_BIN), { recursive: true });
  fs.renameSync(path.join(gobin, 'server'), SFU_BIN);
  log(`built ${SFU_BIN} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return SFU_BIN;
}

export type SfuOptions = {
  apiKey: string;
  apiSecret: string;
  port: number;
  tcpPort: number;
  udpPort: number;
  webhookUrl: string;
  /** Where the config and log go; one folder per instance so test and dev runs do not collide. */
  workDir: string;
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /**
   * Other local addresses to serve signalling and media on besides 127.0.0.1: the host side of
   * a test's own network namespace, where the exam-day simulator's candidates run.
   */
  extraAddresses?: string[];
  /**
   * A LAN address to offer media on besides loopback (`npm run dev -- --lan`): host candidates
   * on it, so phones on the network reach the SFU; signalling stays on loopback behind the
   * launcher's HTTPS proxy.
   */
  lanAddress?: string;
  /** livekit-server's own Prometheus endpoint (`/metrics`) on the bind addresses; off when unset. */
  prometheusPort?: number;
  /**
   * LiveKit's distributed mode: the nodes share one Redis (node list, room -> node map, signal
   * relay) and the same keys. `region` names the node (`sfu-1`): LiveKit writes it into the
   * node record in Redis, which is how the app tells nodes apart (node ids change on restart).
   */
  cluster?: { redisUrl: string; region: string };
};

/** livekit-server's `redis:` block from a redis:// URL (user, password and database included). */
export function redisBlock(redisUrl: string) {
  const u = new URL(redisUrl);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`not a redis:// URL: ${redisUrl}`);
  const db = Number(u.pathname.slice(1) || 0);
  return [
    'redis:',
    `  address: ${JSON.stringify(`${u.hostname}:${u.port || 6379}`)}`,
    ...(u.username ? [`  username: ${JSON.stringify(decodeURIComponent(u.username))}`] : []),
    ...(u.password ? [`  password: ${JSON.stringify(decodeURIComponent(u.password))}`] : []),
    ...(db ? [`  db: ${db}`] : []),
    ...(u.protocol === 'rediss:' ? ['  use_tls: true'] : []),
  ];
}

/**
 * A loopback-only config that works with no network at all: no STUN, no external IP lookup,
 * ICE candidates on 127.0.0.1 only. Unknown keys are a startup error in livekit-server.
 */
export function sfuConfig(o: SfuOptions) {
  const addresses = ['127.0.0.1', ...(o.extraAddresses ?? [])];
  const mediaAddresses = o.lanAddress ? [...addresses, o.lanAddress] : addresses;
  return [
    `port: ${o.port}`,
    `bind_addresses: ${JSON.stringify(addresses)}`,
    ...(o.prometheusPort ? ['prometheus:', `  port: ${o.prometheusPort}`] : []),
    ...(o.cluster
      ? [
          `region: ${JSON.stringify(o.cluster.region)}`,
          ...redisBlock(o.cluster.redisUrl),
          // Nodes on one machine see the same system load, so LiveKit's default (sysload) cannot
          // tell them apart; fewest rooms can. The app places exam rooms itself (createRoom with a
          // node id, see server/livekit/placement.ts) because this count refreshes only every few
          // seconds: a burst of creations would all land on one node.
          'node_selector:',
          '  kind: any',
          '  sort_by: rooms',
          '  algorithm: lowest',
        ]
      : []),
    'rtc:',
    `  tcp_port: ${o.tcpPort}`,
    `  udp_port: ${o.udpPort}`,
    '  use_external_ip: false',
    // A node IP set here rewrites every host candidate to it (LiveKit's 1:1 NAT rule), which would
    // hide the extra addresses; with those, LiveKit finds its node IP itself.
    ...(o.extraAddresses?.length ? [] : [`  node_ip: ${o.lanAddress ?? '127.0.0.1'}`]),
    '  enable_loopback_candidate: true',
    '  ips:',
    `    includes: ${JSON.stringify(mediaAddresses.map((a) => `${a}/32`))}`,
    'keys:',
    `  ${JSON.stringify(o.apiKey)}: ${JSON.stringify(o.apiSecret)}`,
    'webhook:',
    `  api_key: ${JSON.stringify(o.apiKey)}`,
    '  urls:',
    `    - ${JSON.stringify(o.webhookUrl)}`,
    'room:',
    '  empty_timeout: 300',
    // Video is shown as soon as it is decoded (RTP playout-delay 0..0, which Chrome renders at
    // once): by default Chrome held each frame of a 3 fps grid tile until the next one came,
    // 333 ms late (bench:glass: tile p95 335 -> 28 ms, focus view 134 -> 112 ms). Only staff
    // watch; seeing now matters more to an invigilator than smoothing out network jitter.
    '  playout_delay:',
    '    enabled: true',
    '    min: 0',
    '    max: 0',
    'logging:',
    `  level: ${o.logLevel ?? 'info'}`,
    '',
  ].join('\n');
}

export type SfuHandle = {
  url: string;
  process: ChildProcess;
  logFile: string;
  /** Settles when the process ends, however it ends. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop: () => Promise<void>;
};

/** Writes the config, starts the SFU and resolves once its HTTP port answers. */
export async function startSfu(o: SfuOptions): Promise<SfuHandle> {
  const bin = ensureSfuBinary();
  fs.mkdirSync(o.workDir, { recursive: true });
  const configFile = path.join(o.workDir, 'livekit.yaml');
  const logFile = path.join(o.workDir, 'livekit.log');
  // The config holds the API secret: readable by this user only.
  fs.writeFileSync(configFile, sfuConfig(o), { mode: 0o600 });
  fs.chmodSync(configFile, 0o600);
  const log = fs.openSync(logFile, 'a');
  const child = spawn(bin, ['--config', configFile], { stdio: ['ignore', log, log] });
  fs.closeSync(log);

  const url = `ws://127.0.0.1:${o.port}`;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const deadline = Date.now() + 20_000;
  for (;;) {
    const early = await Promise.race([exited, new Promise<'wait'>((r) => setTimeout(() => r('wait'), 200))]);
    if (early !== 'wait') {
      throw new Error(`livekit-server exited with ${early.signal ?? early.code} at start; see ${logFile}:\n${tail(logFile)}`);
    }
    if (await answers(`http://127.0.0.1:${o.port}/`)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`livekit-server did not answer on port ${o.port} within 20 s; see ${logFile}`);
    }
  }
  return {
    url,
    process: child,
    logFile,
    exited,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function answers(url: string) {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return res.ok;
  } catch {
    return false;
  }
}

function tail(file: string, lines = 20) {
  try {
    return fs.readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}
