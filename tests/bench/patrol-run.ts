/**
 * `npx tsx tests/bench/patrol-run.ts`: the chief's overview and a patrol of a 200-candidate room
 * (tests/bench/patrol.ts) on a private stack: app on 3497, SFU on 8380-8382, database and logs
 * under tests/.artifacts/patrol, the simulated candidates in a network namespace of their own
 * (SIM_NETNS=0: the host network). Stops everything it started, also on failure, Ctrl-C or after
 * 20 minutes. Progress on stderr; the last line of stdout is one JSON object (also saved as
 * result-<time>.json beside the screenshots chief.png and patrol.png).
 *
 * Environment: PATROL_SKIP_BUILD=1 reuses an existing `.next` build; PATROL_CANDIDATES (200),
 * PATROL_SECONDS (30: the grid's default patrol interval), PATROL_CYCLES (2), PATROL_GRID_QUERY
 * (added to the room page's URL, e.g. `videoCap=80`).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launchBrowser } from '../helpers/browser';
import { buildApp, freshDb, stackProcessEnv, startStack, type StackConfig } from '../helpers/stack';
import { simNetFromEnv } from '../sim/fleet';
import { cpuBetween, sampleCpu } from './cpu';
import { measurePatrol } from './patrol';

const ARTIFACTS = path.join(import.meta.dirname, '..', '.artifacts', 'patrol');
const DEADLINE_MS = 20 * 60_000;

const started = Date.now();
const log = (...args: unknown[]) => console.error(`[patrol ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s]`, ...args);
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const cleanups: { name: string; run: () => Promise<unknown> | void }[] = [];
let cleaning: Promise<void> | null = null;
function cleanup() {
  cleaning ??= (async () => {
    while (cleanups.length) {
      const c = cleanups.pop()!;
      try {
        await c.run();
        log(`stopped ${c.name}`);
      } catch (err) {
        log(`stopping ${c.name} failed:`, err);
      }
    }
  })();
  return cleaning;
}
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  });
}

async function main() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const net = simNetFromEnv();
  if (net) cleanups.push({ name: 'simulator network', run: () => net.remove() });
  const config: StackConfig = {
    appPort: 3497,
    sfuPort: 8380,
    sfuTcpPort: 8381,
    sfuUdpPort: 8382,
    apiKey: 'patrol-key',
    apiSecret: 'patrol-secret-0123456789abcdef0123456789abcdef',
    artifacts: ARTIFACTS,
    dbPath: path.join(ARTIFACTS, 'patrol.db'),
    sfuExtraAddresses: net ? [net.hostAddress] : [],
  };
  freshDb(config.dbPath);
  const skip = process.env.PATROL_SKIP_BUILD === '1';
  log(skip ? 'PATROL_SKIP_BUILD=1: reusing .next if present' : 'building the app (next build)…');
  buildApp(config, { skip });

  const deadline = setTimeout(() => {
    log(`aborting: still running after ${DEADLINE_MS / 60_000} minutes`);
    void cleanup().finally(() => process.exit(2));
  }, DEADLINE_MS);
  deadline.unref();

  // The cores are shared: say how busy the machine was before this run added anything.
  const idle = sampleCpu({});
  await new Promise((r) => setTimeout(r, 3000));
  const busyBefore = cpuBetween(idle, sampleCpu({})).machine;
  log(`machine busy before start: ${busyBefore}% of one core (of ${os.cpus().length * 100}%); loadavg ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}`);

  Object.assign(process.env, stackProcessEnv(config));
  log(`starting the stack: app :${config.appPort}, SFU :${config.sfuPort}`);
  const stack = await startStack(config);
  cleanups.push({ name: 'stack', run: stack.stop });
  const browser = await launchBrowser();
  cleanups.push({ name: 'browser', run: () => browser.close() });

  const result = await measurePatrol({
    browser,
    appUrl: stack.appUrl,
    sfuPort: config.sfuPort,
    net,
    dbPath: config.dbPath,
    artifacts: ARTIFACTS,
    log,
    cpuRoots: { sfu: [stack.sfu.process.pid!], app: [stack.app.pid!] },
    candidates: num('PATROL_CANDIDATES', 200),
    patrolSeconds: num('PATROL_SECONDS', 30),
    cycles: num('PATROL_CYCLES', 2),
    gridQuery: process.env.PATROL_GRID_QUERY,
  });
  const out = {
    ...result,
    machine: { ...result.machine, cores: os.cpus().length, busyBeforeStartPercent: busyBefore },
    runSeconds: Math.round((Date.now() - started) / 1000),
  };
  fs.writeFileSync(path.join(ARTIFACTS, `result-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify(out, null, 2));
  clearTimeout(deadline);
  await cleanup();
  console.log(JSON.stringify(out));
}

main().then(
  () => process.exit(0),
  async (err) => {
    log('failed:', err instanceof Error ? (err.stack ?? err.message) : err);
    await cleanup();
    process.exit(1);
  },
);
