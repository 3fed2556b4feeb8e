/**
 * What every benchmark script needs around its measurement: a progress log on stderr with the
 * run's clock, things to stop again (in reverse order; on success, failure, Ctrl-C or the
 * deadline alike), how busy the machine was before the run, a private app build and database,
 * and the result: saved beside the artifacts and printed as the last line of stdout.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildApp, freshDb, type StackConfig } from '../helpers/stack';
import { cpuBetween, sampleCpu } from './cpu';

/** A stop step that takes longer than this is given up, so one hung process cannot keep the others running. */
const STOP_GIVE_UP_MS = 15_000;

export function benchRun(name: string, { deadlineMs }: { deadlineMs: number }) {
  const started = Date.now();
  const log = (...args: unknown[]) => console.error(`[${name} ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s]`, ...args);
  const stops: { name: string; run: () => Promise<unknown> | unknown }[] = [];
  let cleaning: Promise<void> | null = null;
  const cleanup = () => {
    cleaning ??= (async () => {
      while (stops.length) {
        const c = stops.pop()!;
        const t0 = Date.now();
        let timer: NodeJS.Timeout | undefined;
        try {
          const late = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), STOP_GIVE_UP_MS)));
          const outcome = await Promise.race([Promise.resolve(c.run()), late]);
          log(outcome === 'late' ? `stopping ${c.name}: gave up after ${STOP_GIVE_UP_MS / 1000} s` : `stopped ${c.name} (${Date.now() - t0} ms)`);
        } catch (err) {
          log(`stopping ${c.name} failed:`, err);
        } finally {
          clearTimeout(timer);
        }
      }
    })();
    return cleaning;
  };
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      log(`${sig}: cleaning up`);
      void cleanup().finally(() => process.exit(130));
    });
  }
  let deadline: NodeJS.Timeout | undefined;

  return {
    started,
    log,
    /** Stopped after the run, the last added first. */
    stopLater: (what: string, run: () => Promise<unknown> | unknown) => void stops.push({ name: what, run }),
    /** Starts the deadline clock (call it after slow preparation that is not measured). */
    startDeadline() {
      deadline = setTimeout(() => {
        log(`aborting: still running after ${deadlineMs / 60_000} minutes`);
        void cleanup().finally(() => process.exit(2));
      }, deadlineMs);
      deadline.unref();
    },
    /** Runs the measurement, saves and prints its result, stops everything, and exits. */
    main(artifacts: string, measure: () => Promise<object>) {
      measure().then(
        async (result) => {
          fs.writeFileSync(path.join(artifacts, `result-${new Date().toISOString().replace(/[:.]/g, '-')}.json`), JSON.stringify(result, null, 2));
          clearTimeout(deadline);
          await cleanup();
          console.log(JSON.stringify(result));
          process.exit(0);
        },
        async (err: unknown) => {
          log('failed:', err instanceof Error ? (err.stack ?? err.message) : err);
          await cleanup();
          process.exit(1);
        },
      );
    },
  };
}

export type BenchRun = ReturnType<typeof benchRun>;

/** A fresh database and, unless BENCH_SKIP_BUILD=1 finds one, a production build of the app. */
export function prepareApp(config: StackConfig, log: BenchRun['log']) {
  fs.mkdirSync(config.artifacts, { recursive: true });
  freshDb(config.dbPath);
  const skip = process.env.BENCH_SKIP_BUILD === '1';
  log(skip ? 'BENCH_SKIP_BUILD=1: reusing .next if present' : 'building the app (next build)…');
  if (buildApp(config, { skip })) log('build done');
}

/** Percent of one core the machine was busy over 3 s: the cores are shared, so a result says how busy they were before it. */
export async function machineBusy(log: BenchRun['log']) {
  const a = sampleCpu({});
  await new Promise((r) => setTimeout(r, 3000));
  const busy = cpuBetween(a, sampleCpu({})).machine;
  log(`machine busy before start: ${busy}% of one core (of ${os.cpus().length * 100}%)${busy > 50 ? ' - other work is running; results will show it' : ''}`);
  return busy;
}
