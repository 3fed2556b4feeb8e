/**
 * `npx tsx tests/bench/patrol-run.ts`: the chief's overview and a patrol of a 200-candidate room
 * (tests/bench/patrol.ts) on a private stack: app on 3497, SFU on 8380-8382, database and logs
 * under tests/.artifacts/patrol, the simulated candidates in a network namespace of their own
 * (SIM_NETNS=0: the host network). Stops everything it started, also on failure, Ctrl-C or after
 * 20 minutes. Progress on stderr; the last line of stdout is one JSON object (also saved as
 * result-<time>.json beside the screenshots chief.png and patrol.png).
 *
 * Environment: BENCH_SKIP_BUILD=1 reuses an existing `.next` build; PATROL_CANDIDATES (200),
 * PATROL_SECONDS (30: the grid's default patrol interval), PATROL_CYCLES (2), PATROL_GRID_QUERY
 * (added to the room page's URL, e.g. `videoCap=80`).
 */
import os from 'node:os';
import path from 'node:path';
import { launchBrowser } from '../helpers/browser';
import { stackProcessEnv, startStack, type StackConfig } from '../helpers/stack';
import { simNetFromEnv } from '../sim/fleet';
import { measurePatrol } from './patrol';
import { benchRun, machineBusy, prepareApp } from './runner';

const ARTIFACTS = path.join(import.meta.dirname, '..', '.artifacts', 'patrol');
const DEADLINE_MS = 20 * 60_000;

const { log, started, stopLater, startDeadline, main } = benchRun('patrol', { deadlineMs: DEADLINE_MS });
const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

main(ARTIFACTS, async () => {
  const net = simNetFromEnv();
  if (net) stopLater('simulator network', () => net.remove());
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
  prepareApp(config, log);
  startDeadline();
  const busyBefore = await machineBusy(log);

  Object.assign(process.env, stackProcessEnv(config));
  log(`starting the stack: app :${config.appPort}, SFU :${config.sfuPort}`);
  const stack = await startStack(config);
  stopLater('stack', stack.stop);
  const browser = await launchBrowser();
  stopLater('browser', () => browser.close());

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
  return out;
});
