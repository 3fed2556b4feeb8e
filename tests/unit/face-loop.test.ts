import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { FaceCheck, FaceSource } from '@/components/face/detector';
import { nextInterval, startFaceLoop, type FaceLoopState, type LongTaskSource } from '@/components/face/face-loop';

const BASE = { baseMs: 2000, maxMs: 30_000, currentMs: 2000, checkMsAvg: 100, budget: 0.1, busyShare: 0, busyLimit: 0.25 };

describe('face loop back-off rule', () => {
  it('keeps the base pace while checks are cheap and the page is calm', () => {
    expect(nextInterval(BASE)).toEqual({ intervalMs: 2000, reason: 'steady' });
  });

  it('stretches the interval until the checks take at most the budget of it', () => {
    expect(nextInterval({ ...BASE, checkMsAvg: 400 })).toEqual({ intervalMs: 4000, reason: 'slow-checks' });
    expect(nextInterval({ ...BASE, checkMsAvg: 9000 }).intervalMs).toBe(30_000);
  });

  it('doubles on a busy page up to the maximum, and halves back when it calms down', () => {
    expect(nextInterval({ ...BASE, busyShare: 0.5 })).toEqual({ intervalMs: 4000, reason: 'busy-page' });
    expect(nextInterval({ ...BASE, currentMs: 20_000, busyShare: 0.5 }).intervalMs).toBe(30_000);
    expect(nextInterval({ ...BASE, currentMs: 16_000 })).toEqual({ intervalMs: 8000, reason: 'recovering' });
    expect(nextInterval({ ...BASE, currentMs: 3000 })).toEqual({ intervalMs: 2000, reason: 'steady' });
    // A calm page never brings the interval below what slow checks need.
    expect(nextInterval({ ...BASE, currentMs: 5000, checkMsAvg: 400 })).toEqual({ intervalMs: 4000, reason: 'slow-checks' });
  });
});

/** A detector whose checks take `costs` ms of (fake) time, in turn; a cost of -1 throws. */
function fakeDetector(costs: number[]) {
  const calls: { at: number; description?: boolean; object?: boolean }[] = [];
  let i = 0;
  return {
    calls,
    async check(_: FaceSource, o: { description?: boolean; object?: boolean } = {}): Promise<FaceCheck> {
      calls.push({ at: Date.now(), ...o });
      const ms = costs[Math.min(i++, costs.length - 1)]!;
      if (ms < 0) throw new Error('no frame yet');
      await new Promise((r) => setTimeout(r, ms));
      return { faces: 1, descriptor: null, yaw: 0, pitch: 0, phone: false, ms, ran: { description: !!o.description, object: !!o.object } };
    },
  };
}

/** Long tasks the test makes up: `busy(ms)` reports that much of the page's own work, `ours()` one inside the running check. */
function fakeLongTasks() {
  let buffer: { startTime: number; duration: number }[] = [];
  const source: LongTaskSource = {
    drain: () => {
      const out = buffer;
      buffer = [];
      return out;
    },
    disconnect: () => undefined,
  };
  return { source, report: (startTime: number, duration: number) => buffer.push({ startTime, duration }) };
}

const video = {} as FaceSource;

describe('face loop', () => {
  beforeEach(() => vi.useFakeTimers({ now: 0 }));
  afterEach(() => vi.useRealTimers());

  function start(costs: number[], more: { describeEvery?: number; objectEvery?: number } = {}) {
    const detector = fakeDetector(costs);
    const tasks = fakeLongTasks();
    const states: FaceLoopState[] = [];
    const errors: unknown[] = [];
    const loop = startFaceLoop({
      detector,
      video,
      intervalMs: 2000,
      ...more,
      onCheck: (_, s) => states.push(s),
      onError: (e) => errors.push(e),
      longTasks: tasks.source,
      now: () => Date.now(),
    });
    return { detector, tasks, states, errors, loop };
  }

  it('checks at once, then at the base pace, running description and object models every Nth check', async () => {
    const { detector, loop } = start([100], { describeEvery: 2, objectEvery: 3 });
    await vi.advanceTimersByTimeAsync(4 * 2100 + 50);
    loop.stop();
    expect(detector.calls.map((c) => c.at)).toEqual([0, 2100, 4200, 6300, 8400]);
    expect(detector.calls.map((c) => [c.description, c.object])).toEqual([
      [true, true],
      [false, false],
      [true, false],
      [false, true],
      [true, false],
    ]);
  });

  it('backs off when checks get slow, and keeps their share within the budget', async () => {
    const { states, loop } = start([100, 100, 500, 500, 500, 500, 500, 500]);
    await vi.advanceTimersByTimeAsync(40_000);
    loop.stop();
    const last = states.at(-1)!;
    expect(last.reason).toBe('slow-checks');
    expect(last.intervalMs).toBeGreaterThanOrEqual(last.checkMsAvg! / 0.1);
    expect(last.intervalMs).toBeGreaterThan(4000);
  });

  it('backs off while the page is busy, not counting its own checks, and comes back when it calms down', async () => {
    const { tasks, states, detector, loop } = start([100]);
    const nextCheck = async () => {
      const n = states.length;
      while (states.length === n) await vi.advanceTimersByTimeAsync(50);
    };
    await nextCheck();
    // The check's own long task (reported late, as browsers do) never makes the page "busy".
    tasks.report(10, 90);
    await nextCheck();
    expect(states.at(-1)).toMatchObject({ intervalMs: 2000, reason: 'steady', busyShare: 0 });
    // The page's own work: 60 % of the time until the next check, four times running.
    for (let i = 0; i < 4; i++) {
      tasks.report(Date.now() + 10, 0.6 * states.at(-1)!.intervalMs);
      await nextCheck();
    }
    const busy = states.filter((s) => s.reason === 'busy-page').map((s) => s.intervalMs);
    expect(busy).toEqual([4000, 8000, 15_000, 15_000]);
    // Calm again: halving back to the base pace.
    const before = detector.calls.length;
    await vi.advanceTimersByTimeAsync(60_000);
    loop.stop();
    expect(detector.calls.length).toBeGreaterThan(before + 5);
    expect(states.filter((s) => s.reason === 'recovering').map((s) => s.intervalMs)).toEqual([7500, 3750]);
    expect(states.at(-1)).toMatchObject({ intervalMs: 2000, reason: 'steady' });
  });

  it('waits longer after each failed check, tells the page, and recovers after a good one', async () => {
    const { detector, errors, states, loop } = start([-1, -1, -1, 100]);
    await vi.advanceTimersByTimeAsync(14_000 + 100);
    expect(errors).toHaveLength(3);
    // 0 (fail) -> 4 s (fail) -> 8 s later (fail) -> 16 s later
    expect(detector.calls.map((c) => c.at)).toEqual([0, 4000, 12_000]);
    await vi.advanceTimersByTimeAsync(20_000);
    loop.stop();
    expect(states[0]!.reason).toBe('recovering');
    expect(states.at(-1)!.intervalMs).toBeLessThan(16_000);
  });

  it('stops checking when stopped, even in the middle of a check', async () => {
    const { detector, states, loop } = start([1000]);
    await vi.advanceTimersByTimeAsync(500);
    loop.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(detector.calls).toHaveLength(1);
    expect(states).toHaveLength(0);
  });
});
