import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openDb } from '@/db/client';
import { DEMO_HOTLINE } from '@/db/seed-data';
import { startSfuCluster, type SfuCluster } from '@/server/livekit/cluster';
import { ensureSfuBinary, type SfuHandle } from '@/server/livekit/sfu';
import { startRedis, type RedisServer } from './redis';
import { FACE_MODELS_EVALUATION } from '@/server/face/human-config';

const root = path.join(import.meta.dirname, '..', '..');
const nextBin = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');

/** One private copy of the real stack: its own ports, database file and artifacts folder. */
export type StackConfig = {
  appPort: number;
  sfuPort: number;
  sfuTcpPort: number;
  sfuUdpPort: number;
  apiKey: string;
  apiSecret: string;
  /** Gets `sfu/` (config and log) and `app.log`. */
  artifacts: string;
  dbPath: string;
  /** Passed to the SFU (see SfuOptions.extraAddresses). */
  sfuExtraAddresses?: string[];
  /**
   * Several livekit-server nodes sharing a private redis-server (LiveKit's distributed mode),
   * as `npm run dev -- --sfu-nodes N` runs them: node i gets each SFU port plus i times
   * `sfuPortStride` (default 10). One node (the default) is the plain embedded SFU.
   */
  sfuNodes?: number;
  sfuPortStride?: number;
  /** livekit-server's own metrics port (node 1; the others follow the stride). */
  sfuPrometheusPort?: number;
};

export type Stack = {
  appUrl: string;
  sfuUrl: string;
  /** Node 1's process. */
  sfu: SfuHandle;
  /** Every node (one unless `sfuNodes`). */
  cluster: SfuCluster;
  /** The Redis the nodes share, with several nodes. */
  redis: RedisServer | null;
  app: ChildProcess;
  stop: () => Promise<void>;
};

/** The environment the app runs with, and that code minting tokens for this stack imports server modules with. */
export function stackProcessEnv(c: StackConfig) {
  return {
    DATABASE_PATH: c.dbPath,
    APP_PORT: String(c.appPort),
    SFU_PORT: String(c.sfuPort),
    SFU_TCP_PORT: String(c.sfuTcpPort),
    SFU_UDP_PORT: String(c.sfuUdpPort),
    LIVEKIT_API_KEY: c.apiKey,
    LIVEKIT_API_SECRET: c.apiSecret,
    NEXT_TELEMETRY_DISABLED: '1',
    FACE_MODELS: FACE_MODELS_EVALUATION,
    ...DEMO_HOTLINE,
  };
}

export async function waitForHttp(url: string, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

/** Deletes the database file (and its WAL files) and creates it again with the committed migrations. */
export function freshDb(dbPath: string) {
  for (const f of [dbPath, `${dbPath}-wal`, `${dbPath}-shm`]) fs.rmSync(f, { force: true });
  openDb(dbPath).$client.close();
}

/** A production build of the app into `.next`, unless `skip` and a build is already there. */
export function buildApp(c: StackConfig, { skip = false }: { skip?: boolean } = {}) {
  if (skip && fs.existsSync(path.join(root, '.next', 'BUILD_ID'))) return false;
  const build = spawnSync(process.execPath, [nextBin, 'build'], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, ...stackProcessEnv(c), NODE_ENV: 'production' },
  });
  if (build.status !== 0) throw new Error('next build failed');
  return true;
}

/**
 * livekit-server on loopback with webhooks signed and delivered to the app, then `next start`
 * on the last build. If the app does not come up, the SFU is stopped again before throwing.
 */
export async function startStack(c: StackConfig, { appTimeoutMs = 60_000 }: { appTimeoutMs?: number } = {}): Promise<Stack> {
  ensureSfuBinary();
  const appUrl = `http://127.0.0.1:${c.appPort}`;
  const nodes = c.sfuNodes ?? 1;
  const redis = nodes > 1 ? await startRedis() : null;
  const cluster = await startSfuCluster({
    nodes,
    apiKey: c.apiKey,
    apiSecret: c.apiSecret,
    ports: { port: c.sfuPort, tcpPort: c.sfuTcpPort, udpPort: c.sfuUdpPort, prometheusPort: c.sfuPrometheusPort },
    stride: c.sfuPortStride,
    redisUrl: redis?.url,
    webhookUrl: `${appUrl}/api/livekit/webhook`,
    workDir: path.join(c.artifacts, 'sfu'),
    extraAddresses: c.sfuExtraAddresses,
  }).catch(async (err: unknown) => {
    await redis?.stop();
    throw err;
  });
  // Several nodes: the app hands out every node's URL and places rooms through the nodes' Redis.
  const clusterEnv = redis ? { LIVEKIT_URLS: cluster.livekitUrls, LIVEKIT_REDIS_URL: redis.url } : {};

  const appLog = fs.openSync(path.join(c.artifacts, 'app.log'), 'w');
  const app = spawn(process.execPath, [nextBin, 'start', '-p', String(c.appPort), '-H', '127.0.0.1'], {
    cwd: root,
    env: { ...process.env, ...stackProcessEnv(c), ...clusterEnv, NODE_ENV: 'production' },
    stdio: ['ignore', appLog, appLog],
  });
  fs.closeSync(appLog);

  const stop = async () => {
    if (app.exitCode === null && app.signalCode === null) {
      app.kill('SIGTERM');
      const timer = setTimeout(() => app.kill('SIGKILL'), 5000);
      await new Promise((r) => (app.exitCode !== null || app.signalCode !== null ? r(null) : app.once('exit', r)));
      clearTimeout(timer);
    }
    await cluster.stop();
    await redis?.stop();
  };

  try {
    await waitForHttp(`${appUrl}/login`, appTimeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  const first = cluster.nodes[0]!;
  return { appUrl, sfuUrl: first.url, sfu: first.handle, cluster, redis, app, stop };
}
