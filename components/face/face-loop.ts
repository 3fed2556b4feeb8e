/**
 * The in-exam face loop: one check every `intervalMs` (detector and mesh: face count, looking
 * away), the description model (identity drift) every `describeEvery`-th check and the object
 * model (phones) every `objectEvery`-th, the first check running everything. The defaults, at
 * 2 s, cost 5-8 % of one core on the bench machine (bench:face): detector and mesh ~70 ms, with
 * the description ~190 ms, with the object model too ~550 ms.
 *
 * The checks run on the page's main thread (tfjs' wasm backend without threads), so the loop
 * keeps within a budget of one core and gives way when the page is busy:
 * - a check that takes long (a slow machine, other programs) stretches the interval until the
 *   checks' average cost is at most `budget` of it;
 * - long tasks of the page's own (the exam, LiveKit, rendering) taking more than `busyLimit` of
 *   the time between checks double the interval, up to `maxIntervalMs`; calm halves it again.
 */
import type { FaceCheck, FaceDetector, FaceSource } from './detector';

/** Share of one core the checks may use on average; bench:face measures against 15 %, this leaves room. */
export const FACE_CPU_BUDGET = 0.1;
/** Share of the time between checks that other long tasks may take before the loop backs off. */
export const PAGE_BUSY_LIMIT = 0.25;
/**
 * The longest the loop waits between checks however busy the page: "no face" and "second
 * person" are judged over seconds, so it must not go blind for minutes; halving back from here
 * takes three calm checks (~25 s).
 */
export const MAX_INTERVAL_MS = 15_000;

export type BackOffReason = 'steady' | 'slow-checks' | 'busy-page' | 'recovering' | 'errors';
export type FaceLoopState = { checks: number; intervalMs: number; reason: BackOffReason; checkMsAvg: number | null; busyShare: number };

/**
 * The next interval. `floor` keeps the checks' own average cost within the budget; on top of it
 * a busy page doubles the current interval and a calm one halves it back towards the floor.
 */
export function nextInterval(o: {
  baseMs: number;
  maxMs: number;
  currentMs: number;
  checkMsAvg: number;
  budget: number;
  busyShare: number;
  busyLimit: number;
}): { intervalMs: number; reason: BackOffReason } {
  const floor = Math.min(o.maxMs, Math.max(o.baseMs, o.checkMsAvg / o.budget));
  if (o.busyShare > o.busyLimit) return { intervalMs: Math.min(o.maxMs, Math.max(floor, o.currentMs * 2)), reason: 'busy-page' };
  const intervalMs = Math.max(floor, Math.round(o.currentMs / 2));
  return { intervalMs, reason: intervalMs > floor ? 'recovering' : floor > o.baseMs ? 'slow-checks' : 'steady' };
}

type LongTask = { startTime: number; duration: number };
/** The page's long tasks (>= 50 ms of main thread), collected as they are reported. */
export type LongTaskSource = { drain(): LongTask[]; disconnect(): void };

export function observeLongTasks(): LongTaskSource {
  let buffer: LongTask[] = [];
  let observer: PerformanceObserver | null = null;
  if (typeof PerformanceObserver !== 'undefined' && PerformanceObserver.supportedEntryTypes?.includes('longtask')) {
    observer = new PerformanceObserver((list) => {
      for (const e of list.getEntries()) buffer.push({ startTime: e.startTime, duration: e.duration });
    });
    observer.observe({ type: 'longtask' });
  }
  return {
    drain() {
      const out = buffer;
      buffer = [];
      return out;
    },
    disconnect: () => observer?.disconnect(),
  };
}

export type FaceLoopOptions = {
  detector: Pick<FaceDetector, 'check'>;
  video: FaceSource;
  /** The pace when all is well. */
  intervalMs: number;
  describeEvery?: number;
  objectEvery?: number;
  budget?: number;
  busyLimit?: number;
  maxIntervalMs?: number;
  onCheck: (check: FaceCheck, state: FaceLoopState) => void;
  onError?: (err: unknown, state: FaceLoopState) => void;
  longTasks?: LongTaskSource;
  now?: () => number;
};

/** Checks' own long tasks are reported late; this many recent check windows are not counted as the page's. */
const REMEMBERED_CHECKS = 4;
/** Weight of the newest check in the running average of check time. */
const AVG_WEIGHT = 0.3;

export function startFaceLoop({
  detector,
  video,
  intervalMs: baseMs,
  describeEvery = 2,
  objectEvery = 10,
  budget = FACE_CPU_BUDGET,
  busyLimit = PAGE_BUSY_LIMIT,
  maxIntervalMs = Math.max(baseMs, MAX_INTERVAL_MS),
  onCheck,
  onError,
  longTasks = observeLongTasks(),
  now = () => performance.now(),
}: FaceLoopOptions) {
  const state: FaceLoopState = { checks: 0, intervalMs: baseMs, reason: 'steady', checkMsAvg: null, busyShare: 0 };
  const ownWindows: [number, number][] = [];
  let since = now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  /** Share of the time since the last decision that long tasks other than our checks took. */
  function pageBusyShare(at: number) {
    const ours = (t: LongTask) => ownWindows.some(([a, b]) => t.startTime >= a - 1 && t.startTime <= b + 1);
    const others = longTasks
      .drain()
      .filter((t) => !ours(t))
      .reduce((s, t) => s + t.duration, 0);
    const [lastStart, lastEnd] = ownWindows.at(-1) ?? [at, at];
    const open = at - since - (lastEnd - lastStart);
    since = at;
    return open > 0 ? Math.min(1, others / open) : 0;
  }

  async function tick() {
    if (stopped) return;
    const n = state.checks;
    const started = now();
    try {
      const check = await detector.check(video, { description: n % describeEvery === 0, object: n % objectEvery === 0 });
      if (stopped) return;
      const ended = now();
      ownWindows.push([started, ended]);
      if (ownWindows.length > REMEMBERED_CHECKS) ownWindows.shift();
      state.checks++;
      state.checkMsAvg = state.checkMsAvg === null ? check.ms : Math.round(state.checkMsAvg * (1 - AVG_WEIGHT) + check.ms * AVG_WEIGHT);
      state.busyShare = Math.round(pageBusyShare(ended) * 100) / 100;
      Object.assign(
        state,
        nextInterval({
          baseMs,
          maxMs: maxIntervalMs,
          currentMs: state.intervalMs,
          checkMsAvg: state.checkMsAvg,
          budget,
          busyShare: state.busyShare,
          busyLimit,
        }),
      );
      onCheck(check, { ...state });
    } catch (err) {
      if (stopped) return;
      // No camera frame yet, a lost context: try again later, and later still if it keeps failing.
      state.intervalMs = Math.min(maxIntervalMs, state.intervalMs * 2);
      state.reason = 'errors';
      onError?.(err, { ...state });
    }
    timer = setTimeout(() => void tick(), state.intervalMs);
  }

  timer = setTimeout(() => void tick(), 0);
  return {
    state: () => ({ ...state }),
    stop() {
      stopped = true;
      clearTimeout(timer);
      longTasks.disconnect();
    },
  };
}
