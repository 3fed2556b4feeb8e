/**
 * `npm run bench:sfu`: what one livekit-server costs per candidate, on the exam-day simulator.
 *
 * For 50, 100 and 200 simulated candidates (BENCH_SFU_SIZES) in rooms of 40, each room watched
 * by one grid-like viewer (the LOW layer of up to the grid's live-video cap, cameras first, as
 * components/grid/plan.ts does; the grid's refreshed stills are left out): after the layers
 * settle, measures over a window the SFU's CPU and memory, the bitrate it receives from the
 * candidates and forwards to the viewers, and the simulator's own cost. Webhook events are
 * received, verified and counted by this process (what the app would be sent per candidate).
 * The app's own cost per candidate is measured in-process by ./app-cost.ts (SQLite on this
 * disk, autosave, recording chunks, webhook handling). Progress on stderr; the last line of
 * stdout is one JSON object, also saved under tests/.artifacts/bench-sfu/.
 *
 * Only the SFU runs (no app): SFU on 8090-8092, webhooks to a receiver on a free port. The
 * candidates run in a network namespace of their own unless SIM_NETNS=0.
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { WebhookReceiver } from 'livekit-server-sdk';
import { DEFAULT_SETTINGS } from '@/components/grid/use-grid-settings';
import { PUBLISH_LAYERS } from '@/components/live/publish-layers';
import { startSfu } from '@/server/livekit/sfu';
import { SimFleet, simNetFromEnv, type FleetStats } from '../sim/fleet';
import { measureAppCostInChild } from './app-cost';
import { capacityModel, topLayersKbps } from './capacity';
import { cpuBetween, sampleCpu } from './cpu';
import { benchRun, machineBusy } from './runner';

const ARTIFACTS = path.join(import.meta.dirname, '..', '.artifacts', 'bench-sfu');
const API_KEY = 'bench-sfu-key';
const API_SECRET = 'bench-sfu-secret-0123456789abcdef0123456789abcdef';
const PORTS = { port: 8090, tcpPort: 8091, udpPort: 8092 };
const SIZES = (process.env.BENCH_SFU_SIZES ?? '50,100,200').split(',').map(Number);
const ROOM_SIZE = 40;
/** After the joins, layers nobody watches take this long to be paused by dynacast. */
const SETTLE_MS = Number(process.env.BENCH_SFU_SETTLE_MS ?? 20_000);
const WINDOW_MS = Number(process.env.BENCH_SFU_WINDOW_MS ?? 20_000);
const DEADLINE_MS = 25 * 60_000;

const { log, started, stopLater, startDeadline, main } = benchRun('bench-sfu', { deadlineMs: DEADLINE_MS });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/** Resident memory of a process, MB. */
function rssMb(pid: number) {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** Receives the SFU's webhooks as the app would (signature checked) and counts them by event. */
async function webhookCounter() {
  const receiver = new WebhookReceiver(API_KEY, API_SECRET);
  const counts: Record<string, number> = {};
  let rejected = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      receiver
        .receive(Buffer.concat(chunks).toString('utf8'), req.headers.authorization)
        .then((e) => {
          counts[e.event] = (counts[e.event] ?? 0) + 1;
        })
        .catch(() => rejected++)
        .finally(() => res.writeHead(200).end());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    snapshot: () => ({ counts: { ...counts }, rejected }),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

type Reading = { stats: FleetStats; cpu: ReturnType<typeof sampleCpu> };

async function measure() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  startDeadline();
  Object.assign(process.env, { LIVEKIT_API_KEY: API_KEY, LIVEKIT_API_SECRET: API_SECRET, SFU_PORT: String(PORTS.port) });
  const { mintCandidatePcToken, mintCandidatePhoneToken, mintInvigilatorToken, livekitRoomName } = await import('@/server/livekit/tokens');

  const busyBefore = await machineBusy(log);

  const net = simNetFromEnv();
  if (net) stopLater('simulator network', () => net.remove());
  const hooks = await webhookCounter();
  stopLater('webhook receiver', () => hooks.close());
  const sfu = await startSfu({
    apiKey: API_KEY,
    apiSecret: API_SECRET,
    ...PORTS,
    webhookUrl: hooks.url,
    workDir: path.join(ARTIFACTS, 'sfu'),
    extraAddresses: net ? [net.hostAddress] : [],
    logLevel: 'warn',
  });
  stopLater('SFU', () => sfu.stop());
  const sfuPid = sfu.process.pid!;
  const roomOf = (candidateId: number) => livekitRoomName(1, Math.ceil(candidateId / ROOM_SIZE));
  const fleet = await SimFleet.start({
    sfuPort: PORTS.port,
    net,
    log,
    tokens: async (candidateId) => ({
      pc: (await mintCandidatePcToken({ room: roomOf(candidateId), candidateId })).token,
      phone: (await mintCandidatePhoneToken({ room: roomOf(candidateId), candidateId })).token,
    }),
  });
  stopLater('candidates', () => fleet.stop());
  const idleRss = rssMb(sfuPid);

  const runs = [];
  let joined = 0;
  let viewers = 0;
  for (const size of [...SIZES].sort((a, b) => a - b)) {
    // Grows the same rooms: candidates 1..size, 40 to a room, and a viewer per room.
    const ids = Array.from({ length: size - joined }, (_, i) => joined + i + 1);
    const t0 = Date.now();
    await fleet.joinAll(ids, { concurrency: 8, onRetry: (id, err) => log(`  candidate ${id}: ${err instanceof Error ? err.message : String(err)}; retrying`) });
    const joinSeconds = (Date.now() - t0) / 1000;
    joined = size;
    const rooms = Math.ceil(size / ROOM_SIZE);
    for (; viewers < rooms; viewers++) {
      const token = await mintInvigilatorToken({ room: livekitRoomName(1, viewers + 1), userId: viewers + 1, name: `viewer ${viewers + 1}` });
      await fleet.view(`room-${viewers + 1}`, token.token, DEFAULT_SETTINGS.videoCap);
    }
    log(`${size} candidates in ${rooms} rooms (joined ${ids.length} in ${joinSeconds.toFixed(1)} s); settling ${SETTLE_MS / 1000} s`);
    await sleep(SETTLE_MS);
    const read = async (): Promise<Reading> => ({ stats: await fleet.stats(), cpu: sampleCpu({ sfu: [sfuPid], simulator: [fleet.pid] }) });
    const a = await read();
    await sleep(WINDOW_MS);
    const b = await read();
    const seconds = (b.stats.at - a.stats.at) / 1000;
    const cpu = cpuBetween(a.cpu, b.cpu);
    const kbps = (bytesA: number, bytesB: number) => ((bytesB - bytesA) * 8) / seconds / 1000;
    const inKbps = Object.keys(b.stats.sent).reduce(
      (n, k) => n + kbps(a.stats.sent[k as keyof FleetStats['sent']].bytes, b.stats.sent[k as keyof FleetStats['sent']].bytes),
      0,
    );
    const outKbps = Object.keys(b.stats.viewers).reduce((n, k) => n + kbps(a.stats.viewers[k]?.bytes ?? 0, b.stats.viewers[k]!.bytes), 0);
    const rss = rssMb(sfuPid);
    const run = {
      candidates: size,
      rooms,
      viewers: rooms,
      participants: size * 2 + rooms,
      liveVideosPerViewer: Object.values(b.stats.viewers).map((v) => v.live),
      sfuCpuCores: round(cpu.sfu! / 100, 3),
      sfuCpuCoresPerCandidate: round(cpu.sfu! / 100 / size, 5),
      sfuRssMb: round(rss),
      sfuRssMbPerCandidate: round((rss - idleRss) / size, 2),
      inKbps: round(inKbps),
      inKbpsPerCandidate: round(inKbps / size),
      outKbps: round(outKbps),
      outKbpsPerViewer: round(outKbps / rooms),
      outKbpsPerCandidate: round(outKbps / size),
      simulatorCpuCores: round(cpu.simulator! / 100, 3),
      simulatorCpuPercentPerCandidate: round(cpu.simulator! / size, 3),
      machineCpuPercent: cpu.machine,
      otherProcessesCpuPercent: cpu.otherProcesses,
      joinSeconds: round(joinSeconds),
      webhooks: hooks.snapshot(),
    };
    log(JSON.stringify(run));
    runs.push(run);
  }

  // Everyone leaves: the webhooks of a whole exam's joins and departures, per candidate.
  await fleet.stop();
  await sleep(3000);
  const hooksTotal = hooks.snapshot();
  const events = Object.values(hooksTotal.counts).reduce((n, x) => n + x, 0);
  log('measuring the app’s own cost per candidate (its route handlers in a process of their own, on this disk)…');
  const app = await measureAppCostInChild();
  const largest = runs.at(-1)!;
  const result = {
    sizes: runs,
    capacity: capacityModel(largest, app, topLayersKbps(PUBLISH_LAYERS)),
    webhooks: { ...hooksTotal, perCandidate: round(events / joined, 2) },
    app,
    machine: { cores: os.cpus().length, busyBeforeStartPercent: busyBefore, simulator: net ? `network namespace ${net.name}` : 'host network' },
    definitions: {
      viewer: `one per room of ${ROOM_SIZE}: the LOW layer of up to ${DEFAULT_SETTINGS.videoCap} pictures (the grid's default live-video cap), cameras first, then screens, then witnesses; no stills`,
      inKbps: 'RTP the simulated candidates sent to the SFU (dynacast pauses layers nobody watches)',
      outKbps: 'RTP the viewers received from the SFU',
      sfuRssMbPerCandidate: 'the SFU’s resident memory above its idle size, per candidate',
      window: `${WINDOW_MS / 1000} s after ${SETTLE_MS / 1000} s of settling`,
    },
    runSeconds: Math.round((Date.now() - started) / 1000),
  };
  return result;
}

main(ARTIFACTS, measure);
