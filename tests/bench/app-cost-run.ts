/**
 * `npx tsx tests/bench/app-cost-run.ts`: the app's own cost per candidate (tests/bench/app-cost.ts)
 * on this machine. Progress on stderr; the last line of stdout is one JSON object, also saved as
 * tests/.artifacts/app-cost/result-<time>.json.
 *
 * Environment: BENCH_SECONDS (3, per measurement), BENCH_SQLITE_SECONDS (6), BENCH_CANDIDATES
 * (10000 in the database), BENCH_STREAMS (1000 live streams).
 */
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, measureAppCost } from './app-cost';

const num = (name: string, fallback: number) => Number(process.env[name] ?? fallback);

const result = await measureAppCost({
  seconds: num('BENCH_SECONDS', 3),
  sqliteSeconds: num('BENCH_SQLITE_SECONDS', 6),
  candidates: num('BENCH_CANDIDATES', 10_000),
  streams: num('BENCH_STREAMS', 1000),
});
const json = JSON.stringify(result);
fs.writeFileSync(
  path.join(ARTIFACTS, `result-${new Date().toISOString().replaceAll(':', '-').replace('.', '-')}.json`),
  `${JSON.stringify(result, null, 2)}\n`,
);
console.log(json);
// Timers of the app's modules (progress announcements, upload clean-up) need not be waited out.
process.exit(0);
