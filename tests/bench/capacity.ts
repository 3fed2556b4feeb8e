/**
 * The capacity model of docs/capacity.md, as code: from what bench:sfu measured (the SFU per
 * candidate at its largest size, and the app's own cost per candidate), the resources for an
 * exam of `exam.candidates`. Every input is a measured number or an assumption named here; the
 * doc explains the formulas and where they stop being true.
 */
import type { PUBLISH_LAYERS } from '@/components/live/publish-layers';
import type { AppCost } from './app-cost';

export type SfuRun = {
  candidates: number;
  sfuCpuCoresPerCandidate: number;
  sfuRssMbPerCandidate: number;
  inKbpsPerCandidate: number;
  outKbpsPerCandidate: number;
};

/** The exam the model is for (issue 14) and the machines it is planned on. */
export const EXAM = { candidates: 10_000, rooms: 250, invigilators: 250, supportAgents: 400 };
/** An SFU node: a common 8-core cloud machine with 16 GB and a 10 Gbit/s NIC, planned to 60 % CPU, 70 % memory, 50 % NIC. */
export const SFU_NODE = { cores: 8, memoryGb: 16, nicGbps: 10, cpuTarget: 0.6, memoryTarget: 0.7, nicTarget: 0.5 };
/** An app process: one JavaScript thread (planned to 60 % of it) and, from bench:realtime, about 1 GB of memory for its streams. */
export const APP_PROCESS = { cpuTarget: 0.6, memoryMb: 1024 };

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * @param run the largest bench:sfu size (one grid viewer per room of 40, as in the exam)
 * @param app tests/bench/app-cost.ts
 * @param topLayersKbps the top layers' bitrates of screen + camera + witness: what focusing one candidate adds
 */
export function capacityModel(run: SfuRun, app: AppCost, topLayersKbps: number) {
  const n = EXAM.candidates;
  // SFU: CPU, memory and bandwidth grow with candidates (each room carries one grid viewer, as
  // measured); each invigilator focusing one candidate adds that candidate's top layers in and out.
  const sfuCores = n * run.sfuCpuCoresPerCandidate;
  const sfuMemoryGb = (n * run.sfuRssMbPerCandidate) / 1024;
  const focusGbps = (EXAM.invigilators * topLayersKbps) / 1e6;
  const inGbps = (n * run.inKbpsPerCandidate) / 1e6 + focusGbps;
  const outGbps = (n * run.outKbpsPerCandidate) / 1e6 + focusGbps;
  const byCpu = Math.ceil(sfuCores / (SFU_NODE.cores * SFU_NODE.cpuTarget));
  const byMemory = Math.ceil(sfuMemoryGb / (SFU_NODE.memoryGb * SFU_NODE.memoryTarget));
  // A node's NIC carries its share of both directions.
  const byNic = Math.ceil((inGbps + outGbps) / (SFU_NODE.nicGbps * SFU_NODE.nicTarget));
  const sfuNodes = Math.max(byCpu, byMemory, byNic, 1);

  // App: one live stream per candidate, invigilator and agent; CPU for autosave, recording
  // chunks and streams; SQLite and disk for what they write.
  const at = app.perCandidate;
  // A measurement that failed is null in the JSON; it makes the result NaN rather than 0.
  const v = (x: number | null | undefined) => x ?? NaN;
  const streams = n + EXAM.invigilators + EXAM.supportAgents;
  const cpuCores = (n * v(at.cpuMsPerSecond)) / 1000;
  const cpuCoresUpper = (n * (v(at.cpuMsPerSecond) - v(at.autosaveCpuMsPerSecond) + v(at.autosaveCpuMsPerSecondUpperBound))) / 1000;
  const byStreams = Math.ceil((streams * v(at.liveStreamMbRss)) / (APP_PROCESS.memoryMb * 0.7));
  const byCpuApp = Math.ceil(cpuCores / APP_PROCESS.cpuTarget);
  const sqliteMax = v(app.sqlite.singleRow.commitsPerSecond);
  const recordingMBps = (n * v(at.recordingBytesPerSecond)) / 1e6;

  return {
    exam: EXAM,
    inputs: {
      from: `bench:sfu at ${run.candidates} candidates, and tests/bench/app-cost.ts`,
      sfuCpuCoresPerCandidate: run.sfuCpuCoresPerCandidate,
      sfuRssMbPerCandidate: run.sfuRssMbPerCandidate,
      inKbpsPerCandidate: run.inKbpsPerCandidate,
      outKbpsPerCandidate: run.outKbpsPerCandidate,
      focusKbpsPerInvigilator: topLayersKbps,
      appCpuMsPerCandidateSecond: v(at.cpuMsPerSecond),
      sqliteCommitsPerCandidateSecond: v(at.sqliteCommitsPerSecond),
      sqliteCommitsPerSecondMeasured: sqliteMax,
      recordingBytesPerCandidateSecond: v(at.recordingBytesPerSecond),
      liveStreamMbRss: v(at.liveStreamMbRss),
      sfuNode: SFU_NODE,
      appProcess: APP_PROCESS,
    },
    sfu: {
      cores: round(sfuCores),
      memoryGb: round(sfuMemoryGb),
      inGbps: round(inGbps, 2),
      outGbps: round(outGbps, 2),
      nodes: sfuNodes,
      nodesBy: { cpu: byCpu, memory: byMemory, nic: byNic },
      roomsPerNode: Math.ceil(EXAM.rooms / sfuNodes),
      gbpsPerNode: round((inGbps + outGbps) / sfuNodes, 2),
    },
    app: {
      liveStreams: streams,
      cpuCores: round(cpuCores),
      cpuCoresWithBusiestAutosave: round(cpuCoresUpper),
      processes: Math.max(byStreams, byCpuApp),
      processesBy: { memory: byStreams, cpu: byCpuApp },
      cpuCoresBy: app.at[10_000]?.cores ?? null,
    },
    sqlite: {
      commitsPerSecond: round(n * v(at.sqliteCommitsPerSecond)),
      commitsPerSecondBusiestAutosave: round(n * v(at.sqliteCommitsPerSecondUpperBound)),
      shareOfMeasured: round((n * v(at.sqliteCommitsPerSecond)) / sqliteMax, 2),
      shareOfMeasuredBusiestAutosave: round((n * v(at.sqliteCommitsPerSecondUpperBound)) / sqliteMax, 2),
    },
    recordings: {
      ingressMBps: round(recordingMBps),
      ingressGbps: round((recordingMBps * 8) / 1000, 2),
      diskGBPerHour: round((recordingMBps * 3600) / 1000),
    },
    webhooks: { eventsPerJoinAndLeaveWave: n * at.webhookEventsPerJoinAndLeave, cpuSecondsPerWave: round((n * v(at.webhookCpuMsPerJoinAndLeave)) / 1000) },
  };
}

/** What focusing one candidate adds: the top layer of each picture (components/live/publish-layers.ts). */
export function topLayersKbps(layers: typeof PUBLISH_LAYERS) {
  return Object.values(layers).reduce((n, ls) => n + ls[ls.length - 1]!.encoding.maxBitrate / 1000, 0);
}
