/**
 * `npm run dev` / `npm run demo` / `npm run sfu`: the SFU and the app together, one Ctrl-C
 * stops both. With LIVEKIT_URL set, no SFU is started and the app uses that one.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { generatePassword } from '@/server/services/auth';
import { lanAddress, startLanProxy, type LanProxy } from './lan';
import { APP_NODE_FLAGS } from './node-flags';
import { openDb } from '@/db/client';
import { DEMO_CANDIDATES } from '@/db/seed-data';
import { DEMO_PASSWORD, DEMO_STAFF, seedDemo } from '@/db/seed';
import { appUrl, env } from '@/server/env';
import { sfuConfig, startSfu, type SfuHandle, type SfuOptions } from '@/server/livekit/sfu';

const MODES = ['dev', 'demo', 'sfu'] as const;
const mode: (typeof MODES)[number] = MODES.find((m) => m === process.argv[2]) ?? usage();

/** `--lan` (or `--lan=<ip>`): reachable from phones on the LAN over HTTPS; see README "Phone on the LAN". */
const lanFlag = process.argv.slice(3).find((a) => a === '--lan' || a.startsWith('--lan='));
const lan = lanFlag ? lanAddress(lanFlag.split('=')[1]) : null;

function usage(): never {
  console.error('usage: tsx server/tooling/run.ts dev|demo|sfu [--lan[=<ip>]]');
  process.exit(2);
}

const nextBin = path.join(process.cwd(), 'node_modules', 'next', 'dist', 'bin', 'next');

let sfu: SfuHandle | undefined;
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

  if (!env.LIVEKIT_URL) {
    const options: SfuOptions = {
      apiKey: env.LIVEKIT_API_KEY,
      apiSecret: env.LIVEKIT_API_SECRET,
      port: env.SFU_PORT,
      tcpPort: env.SFU_TCP_PORT,
      udpPort: env.SFU_UDP_PORT,
      webhookUrl: `${appUrl()}/api/livekit/webhook`,
      workDir: path.join(process.cwd(), '.livekit', mode),
    };
    if (lan) {
      // Media must flow to phones on the LAN: the SFU offers ICE candidates on the LAN address
      // too. livekit-server takes a config body from LIVEKIT_CONFIG over its config file; the
      // signalling port stays on loopback, phones reach it through the HTTPS proxy below.
      const config = sfuConfig(options)
        .replace('node_ip: 127.0.0.1', `node_ip: ${lan}`)
        .replace('includes: ["127.0.0.1/32"]', `includes: ["127.0.0.1/32", "${lan}/32"]`);
      if (!config.includes(`node_ip: ${lan}`) || !config.includes(`"${lan}/32"`))
        throw new Error('--lan: the SFU config changed shape; update server/tooling/run.ts');
      process.env.LIVEKIT_CONFIG = config;
    }
    sfu = await startSfu(options);
    console.log(`SFU: livekit-server on ${sfu.url} (log: ${sfu.logFile})`);
    sfu.process.once('exit', (code) => {
      if (!stopping) {
        console.error(`livekit-server exited (${code}); stopping`);
        void stop(1);
      }
    });
  } else {
    console.log(`SFU: external LiveKit at ${env.LIVEKIT_URL}`);
  }
  if (mode === 'sfu') return;

  // Loopback only, in both modes: other machines come in through the --lan proxy, whose
  // X-Forwarded-For is the only one the app may believe.
  const args = [mode === 'dev' ? 'dev' : 'start', '-p', String(env.APP_PORT), '-H', '127.0.0.1'];
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
    console.log('Ctrl-C stops the app and the SFU.\n');
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  void stop(1);
});
