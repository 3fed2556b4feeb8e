/**
 * A private copy of the stack for fault tests, which kill, freeze and cut what the shared e2e
 * stack must keep running: its own ports, database file, SFU and `next start` of the last build.
 *
 * With `candidateNet`, the candidates' browser runs in a network namespace of the test's own
 * behind a router namespace (tests/sim/netns.ts): the app and the SFU listen on the host's end,
 * so the browser reaches them only across those links, for HTTP and WebRTC media alike, and
 * `cut()` cuts them for real (Playwright's offline mode leaves WebRTC media flowing). Staff
 * browsers run on the host and reach the same address, which stays up. Needs root (CI runs as root).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { openDb, type Db } from '@/db/client';
import { startSfu, type SfuHandle, type SfuOptions } from '@/server/livekit/sfu';
import { startApp, type AppProcess } from '../bench/realtime-app';
import { createSimNet, type SimNet } from '../sim/netns';
import { CHROMIUM, launchBrowser } from './browser';
import { E2E } from './e2e-env';
import { freshDb } from './stack';

export type FaultStackOptions = {
  /** Folder name under tests/.artifacts. */
  name: string;
  appPort: number;
  /** Signalling, TCP and UDP ports of the SFU. */
  sfuPorts: [number, number, number];
  /** Put the candidates' browser behind a link the test can cut (see above). */
  candidateNet?: boolean;
};

export type FaultStack = {
  appUrl: string;
  sfuUrl: string;
  db: Db;
  net: SimNet | null;
  dir: string;
  app: AppProcess;
  sfu: SfuHandle;
  /** kill -9 of livekit-server; resolves once it is gone. */
  killSfu(): Promise<void>;
  /** SIGSTOP / SIGCONT of livekit-server. */
  freezeSfu(frozen: boolean): void;
  /** Starts livekit-server again with the same config; resolves once it answers. */
  startSfu(): Promise<void>;
  /** Stops the app (SIGKILL with `hard`) and starts it again on the same port and database. */
  restartApp(opts?: { hard?: boolean }): Promise<void>;
  /** A browser for candidates: inside the namespace when there is one. */
  candidateBrowser(): Promise<Browser>;
  /** A browser for staff, on the host. */
  staffBrowser(): Promise<Browser>;
  /**
   * Cuts the candidates' network (true) or gives it back (false). `link`: their interface goes
   * down, as when Wi-Fi drops (the browser sees it go offline). `blackout`: every packet across
   * the link is lost both ways while the interface stays up, as when the home router loses its
   * uplink (the browser sees nothing; only timeouts tell).
   */
  cut(down: boolean, how?: 'link' | 'blackout'): void;
  stop(): Promise<void>;
};

export const isRoot = process.getuid?.() === 0;

export async function startFaultStack(o: FaultStackOptions): Promise<FaultStack> {
  const dir = path.join(E2E.artifacts, o.name);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const dbPath = path.join(dir, 'app.db');
  freshDb(dbPath);
  const db = openDb(dbPath);
  const net = o.candidateNet ? createSimNet({ router: true }) : null;
  const host = net ? net.hostAddress : '127.0.0.1';
  const appUrl = `http://${host}:${o.appPort}`;
  const sfuUrl = `ws://${host}:${o.sfuPorts[0]}`;
  const sfuOptions: SfuOptions = {
    apiKey: E2E.apiKey,
    apiSecret: E2E.apiSecret,
    port: o.sfuPorts[0],
    tcpPort: o.sfuPorts[1],
    udpPort: o.sfuPorts[2],
    webhookUrl: `${appUrl}/api/livekit/webhook`,
    workDir: path.join(dir, 'sfu'),
    extraAddresses: net ? [host] : [],
  };
  const appEnv = {
    DATA_DIR: path.join(dir, 'data'),
    APP_URL: appUrl,
    LIVEKIT_URL: sfuUrl,
    LIVEKIT_API_KEY: E2E.apiKey,
    LIVEKIT_API_SECRET: E2E.apiSecret,
    SFU_PORT: String(o.sfuPorts[0]),
    SFU_TCP_PORT: String(o.sfuPorts[1]),
    SFU_UDP_PORT: String(o.sfuPorts[2]),
    // The exam pages' network probe (server/network-probe.ts), where the candidates reach the app.
    NETWORK_PROBE_PORT: String(o.appPort + 2),
    NETWORK_PROBE_BIND: host,
  };
  const launchApp = () => startApp({ port: o.appPort, host, dbPath, logFile: path.join(dir, 'app.log'), env: appEnv });
  const browsers: Browser[] = [];
  // Pages on the namespace's address are no secure context by default: camera, screen and
  // crypto APIs would be missing. The address is the test's own.
  const secureArgs = [`--unsafely-treat-insecure-origin-as-secure=${appUrl}`];

  let sfu: SfuHandle | undefined;
  let app: AppProcess | undefined;
  let sfuFrozen = false;
  const stack: FaultStack = {
    appUrl,
    sfuUrl,
    db,
    net,
    dir,
    get app() {
      return app!;
    },
    get sfu() {
      return sfu!;
    },
    async killSfu() {
      const child = sfu!.process;
      if (child.exitCode !== null || child.signalCode !== null) return;
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await gone;
    },
    freezeSfu(frozen) {
      sfu!.process.kill(frozen ? 'SIGSTOP' : 'SIGCONT');
      sfuFrozen = frozen;
    },
    async startSfu() {
      sfu = await startSfu(sfuOptions);
    },
    async restartApp({ hard = false } = {}) {
      await app!.stop({ hard });
      app = await launchApp();
    },
    async candidateBrowser() {
      let executablePath: string | undefined;
      if (net) {
        executablePath = path.join(dir, 'chromium-in-netns.sh');
        fs.writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec ${net.name} ${CHROMIUM} "$@"\n`, { mode: 0o755 });
      }
      const b = await launchBrowser({ executablePath, args: secureArgs });
      browsers.push(b);
      return b;
    },
    async staffBrowser() {
      const b = await launchBrowser({ args: secureArgs });
      browsers.push(b);
      return b;
    },
    cut(down, how = 'link') {
      if (!net) throw new Error('cut() needs candidateNet');
      // Either way the host keeps its address, so staff pages stay up.
      if (how === 'blackout') net.blackout(down);
      else net.setLink(!down);
    },
    async stop() {
      for (const b of browsers) await b.close().catch(() => {});
      if (sfuFrozen) sfu?.process.kill('SIGCONT');
      await app?.stop();
      await sfu?.stop();
      db.$client.close();
      net?.remove();
    },
  };
  try {
    sfu = await startSfu(sfuOptions);
    app = await launchApp();
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return stack;
}
