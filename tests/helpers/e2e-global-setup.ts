import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { openDb } from '@/db/client';
import { ensureSfuBinary, startSfu } from '@/server/livekit/sfu';
import { E2E, e2eAppUrl, e2eDbPath, e2eProcessEnv } from './e2e-env';

const root = path.join(import.meta.dirname, '..', '..');
const nextBin = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');

async function waitFor(url: string, ms: number) {
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

/**
 * The real stack for the journeys: a production build of the app, a fresh SQLite file and
 * livekit-server on loopback, with webhooks signed and delivered to the app.
 */
export default async function setup() {
  const t0 = Date.now();
  fs.mkdirSync(path.join(E2E.artifacts, 'screenshots'), { recursive: true });
  for (const f of [e2eDbPath, `${e2eDbPath}-wal`, `${e2eDbPath}-shm`]) fs.rmSync(f, { force: true });
  openDb(e2eDbPath).$client.close();

  ensureSfuBinary();
  if (process.env.E2E_SKIP_BUILD !== '1' || !fs.existsSync(path.join(root, '.next', 'BUILD_ID'))) {
    const build = spawnSync(process.execPath, [nextBin, 'build'], { cwd: root, stdio: 'inherit', env: { ...process.env, ...e2eProcessEnv, NODE_ENV: 'production' } });
    if (build.status !== 0) throw new Error('next build failed');
  }

  const sfu = await startSfu({
    apiKey: E2E.apiKey,
    apiSecret: E2E.apiSecret,
    port: E2E.sfuPort,
    tcpPort: E2E.sfuTcpPort,
    udpPort: E2E.sfuUdpPort,
    webhookUrl: `${e2eAppUrl}/api/livekit/webhook`,
    workDir: path.join(E2E.artifacts, 'sfu'),
  });

  const appLog = fs.openSync(path.join(E2E.artifacts, 'app.log'), 'w');
  const app = spawn(process.execPath, [nextBin, 'start', '-p', String(E2E.appPort), '-H', '127.0.0.1'], {
    cwd: root,
    env: { ...process.env, ...e2eProcessEnv, NODE_ENV: 'production' },
    stdio: ['ignore', appLog, appLog],
  });
  fs.closeSync(appLog);
  await waitFor(`${e2eAppUrl}/login`, 60_000);
  console.log(`e2e stack up in ${Date.now() - t0} ms: app ${e2eAppUrl}, SFU ${sfu.url}`);

  return async () => {
    app.kill('SIGTERM');
    await new Promise((r) => (app.exitCode !== null ? r(null) : app.once('exit', r)));
    await sfu.stop();
  };
}
