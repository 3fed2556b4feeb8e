/**
 * `npm run dev` / `npm run demo` / `npm run sfu`: the SFU and the app together, one Ctrl-C
 * stops both. With LIVEKIT_URL (or LIVEKIT_URLS) set, no SFU is started and the app uses that one.
 * `--sfu-nodes 2` runs two livekit-server nodes and one redis-server (LiveKit's distributed
 * mode). An SFU node that exits on its own is started again (see startSfuCluster).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { generatePassword } from '@/server/services/auth';
import { lanAddress, startLanProxy, type LanProxy } from './lan';
import { APP_NODE_FLAGS } from './node-flags';
import { openDb } from '@/db/client';
import { DEMO_CANDIDATES, DEMO_HOTLINE } from '@/db/seed-data';
import { DEMO_PASSWORD, DEMO_STAFF, seedDemo } from '@/db/seed';
import { appUrl, env } from '@/server/env';
import { startSfuCluster, type SfuCluster } from '@/server/livekit/cluster';
import { startRedis, type RedisServer } from './redis';
import { FACE_MODELS_DEFAULT, FACE_MODELS_EVALUATION } from '@/server/face/human-config';

const MODES = ['dev', 'demo', 'sfu'] as const;
const mode: (typeof MODES)[number] = MODES.find((m) => m === process.argv[2]) ?? usage();

/** `--lan` (or `--lan=<ip>`): reachable from phones on the LAN over HTTPS; see README "Phone on the LAN". */
const lanFlag = process.argv.slice(3).find((a) => a === '--lan' || a.startsWith('--lan='));
const lan = lanFlag ? lanAddress(lanFlag.split('=')[1]) : null;

/** `--sfu-nodes N` (or `--sfu-nodes=N`): how many livekit-server nodes to run; 1 by default. */
const sfuNodes = (() => {
  const args = process.argv.slice(3);
  const at = args.findIndex((a) => a === '--sfu-nodes' || a.startsWith('--sfu-nodes='));
  if (at < 0) return 1;
  const value = args[at]!.includes('=') ? args[at]!.split('=')[1] : args[at + 1];
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 9) usage();
  return n;
})();

function usage(): never {
  console.error('usage: tsx server/tooling/run.ts dev|demo|sfu [--lan[=<ip>]] [--sfu-nodes <1-9>]');
  process.exit(2);
}

const nextBin = path.join(process.cwd(), 'node_modules', 'next', 'dist', 'bin', 'next');

let sfu: SfuCluster | undefined;
let redis: RedisServer | undefined;
let app: ChildProcess | undefined;
let proxy: LanProxy | undefined;
let stopping = false;

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  if (app && app.exitCode === null) {
    app.kill('SIGTERM');
    await new Promise((r) => app!.once('exit', r));
  }
  await proxy?.close();
  await sfu?.stop();
  await redis?.stop();
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

async function main() {
  // One secret for the SFU config (below) and the app (inherits process.env): env.ts made or read
  // it (DATA_DIR/livekit-secret when none was given); hand the app the very same value.
  process.env.LIVEKIT_API_SECRET = env.LIVEKIT_API_SECRET;
  if (lan) {
    // The app is reached from the network only through the HTTPS proxy on this machine, which
    // writes X-Forwarded-For from the socket: believe it, and only it.
    process.env.TRUSTED_PROXIES = '127.0.0.1,::1';
  }
  // On the LAN the demo accounts must not open with the password published in the README.
  const password = lan ? generatePassword(12) : DEMO_PASSWORD;
  const db = openDb(env.DATABASE_PATH);
  if (mode === 'demo') {
    console.log('building the app (next build)…');
    const build = spawnSync(process.execPath, [nextBin, 'build'], { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
    if (build.status !== 0) throw new Error('next build failed');
  }
  if (mode !== 'sfu') await seedDemo({ db, password });
  db.$client.close();

  if (!env.LIVEKIT_URL && !env.LIVEKIT_URLS) {
    if (lan && sfuNodes > 1) throw new Error('--lan runs one SFU node (phones reach it through one HTTPS proxy); drop --sfu-nodes');
    if (sfuNodes > 1) {
      // LIVEKIT_REDIS_URL may name a Redis of the user's; otherwise a private one for this run.
      if (!env.LIVEKIT_REDIS_URL) {
        redis = await startRedis();
        redis.process.once('exit', () => {
          if (!stopping) console.error('redis-server exited: the SFU nodes lose their shared state until it is back; restart npm run');
        });
      }
      process.env.LIVEKIT_REDIS_URL = env.LIVEKIT_REDIS_URL ?? redis!.url;
      console.log(`Redis for the SFU nodes: ${process.env.LIVEKIT_REDIS_URL}`);
    }
    sfu = await startSfuCluster({
      nodes: sfuNodes,
      apiKey: env.LIVEKIT_API_KEY,
      apiSecret: env.LIVEKIT_API_SECRET,
      ports: { port: env.SFU_PORT, tcpPort: env.SFU_TCP_PORT, udpPort: env.SFU_UDP_PORT, prometheusPort: env.SFU_PROMETHEUS_PORT },
      redisUrl: process.env.LIVEKIT_REDIS_URL,
      webhookUrl: `${appUrl()}/api/livekit/webhook`,
      workDir: path.join(process.cwd(), '.livekit', mode),
      // Media must flow to phones on the LAN: the SFU offers ICE candidates on the LAN address
      // too; the signalling port stays on loopback, phones reach it through the HTTPS proxy below.
      lanAddress: lan ?? undefined,
      supervise: true,
      log: (line) => console.error(line),
    });
    for (const node of sfu.nodes) {
      console.log(
        `SFU ${node.name}: livekit-server on ${node.url}, metrics on http://127.0.0.1:${node.ports.prometheusPort}/metrics (log: ${node.handle.logFile})`,
      );
    }
    // The app (a child, inheriting process.env) hands clients every node, the room's host first.
    if (sfuNodes > 1) process.env.LIVEKIT_URLS = sfu.livekitUrls;
  } else {
    console.log(`SFU: external LiveKit at ${env.LIVEKIT_URL ?? env.LIVEKIT_URLS!.map((n) => `${n.name}=${n.url}`).join(', ')}`);
  }
  if (mode === 'sfu') return;

  // Loopback only, in both modes: other machines come in through the --lan proxy, whose
  // X-Forwarded-For is the only one the app may believe.
  const args = [mode === 'dev' ? 'dev' : 'start', '-p', String(env.APP_PORT), '-H', '127.0.0.1'];
  // The exam pages' network probe (server/network-probe.ts), next to the SFU's UDP port; with
  // --lan, other machines' pages must reach it too.
  process.env.NETWORK_PROBE_PORT ??= String(env.SFU_UDP_PORT + 1);
  process.env.NETWORK_PROBE_BIND ??= lan ? '0.0.0.0' : '127.0.0.1';
  // The demo shows face login and face signals: it switches on the models whose licences are
  // unclear (README), which a deployment leaves off unless it has reviewed them.
  if (process.env.FACE_MODELS === undefined) {
    process.env.FACE_MODELS = FACE_MODELS_EVALUATION;
    console.log(`Face models for the demo: ${FACE_MODELS_EVALUATION} (a deployment's default is ${FACE_MODELS_DEFAULT}; see README)`);
  }
  // A hotline to show on the login and phone pages; a deployment sets its own (or none: "ask the exam office").
  if (Object.keys(DEMO_HOTLINE).every((k) => process.env[k] === undefined)) {
    Object.assign(process.env, DEMO_HOTLINE);
    console.log(`Demo hotline: ${DEMO_HOTLINE.SUPPORT_PHONE} (set SUPPORT_PHONE, SUPPORT_HOURS, SUPPORT_QQ, SUPPORT_EMAIL for your own; see README)`);
  }
  app = spawn(process.execPath, [...APP_NODE_FLAGS, nextBin, ...args], { stdio: 'inherit', env: process.env });
  if (lan) {
    proxy = await startLanProxy({ host: lan, appPort: env.APP_PORT, sfuPort: env.SFU_PORT });
    console.log(`LAN: ${proxy.url} (self-signed certificate ${proxy.certFile}; phones open ${proxy.url}/phone)`);
  }
  app.once('exit', (code) => {
    if (!stopping) void stop(code ?? 1);
  });

  if (mode === 'demo' || lan) {
    console.log(`\nDemo is up: ${appUrl()}`);
    console.log(`  invigilators: invig1 (room 1), invig2 (room 2) · support: support1 · admin: admin — password ${password}`);
    console.log(`  back office: ${appUrl()}/admin/exams (log in as admin)`);
    console.log(`  candidates (ID number / password ${password}):`);
    for (const c of DEMO_CANDIDATES.slice(0, 3)) console.log(`    ${c.idNumber}  ${c.name}`);
    console.log(`  staff logins: ${DEMO_STAFF.map((s) => s.username).join(', ')}`);
    console.log(`Ctrl-C stops the app and the SFU${sfuNodes > 1 ? ` (${sfuNodes} nodes)` : ''}.\n`);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  void stop(1);
});
