import { afterEach, describe, expect, it, vi } from 'vitest';
import type { KeyValueStorage } from '@/components/exam/answers-queue';
import { FaceReporter, type FaceReport } from '@/components/face/face-reporter';
import type { FaceObservation } from '@/components/face/face-signals';

/** The browser's localStorage, as far as the reporter uses it; `quota` refuses values longer than it. */
class MemoryStorage implements KeyValueStorage {
  m = new Map<string, string>();
  constructor(private readonly quota = Infinity) {}
  getItem = (k: string) => this.m.get(k) ?? null;
  setItem = (k: string, v: string) => {
    if (v.length > this.quota) throw new DOMException('quota', 'QuotaExceededError');
    this.m.set(k, v);
  };
  removeItem = (k: string) => void this.m.delete(k);
}

/** A refusal as the tRPC client raises it (components/exam/exam-errors.ts reads `data`). */
const refusal = (appCode: string, httpStatus: number) => Object.assign(new Error(appCode), { data: { appCode, httpStatus } });
const offline = () => new TypeError('Failed to fetch');

const seen = (o: Partial<FaceObservation> = {}): FaceObservation => ({ faces: 1, descriptor: null, yaw: 0, pitch: 0, phone: null, ...o });
const T0 = 1_900_000_000_000;

const reporters: FaceReporter[] = [];

function setup(opts: { storage?: MemoryStorage; fail?: (r: FaceReport) => unknown } = {}) {
  const storage = opts.storage ?? new MemoryStorage();
  const sent: FaceReport[] = [];
  const clock = { now: T0 };
  const reporter = new FaceReporter({
    key: 'exam.face.7.42',
    storage,
    send: async (r) => {
      const err = opts.fail?.(r);
      if (err) throw err;
      sent.push(r);
      return { id: sent.length };
    },
    now: () => clock.now,
    baseline: null,
    thresholds: { missingSeconds: 4 },
  });
  reporters.push(reporter);
  /** One check `seconds` after T0, with a still function that counts its calls. */
  const stills: number[] = [];
  const check = (seconds: number, o: Partial<FaceObservation>, still: string | null = `data:image/jpeg;base64,${seconds}`) => {
    clock.now = T0 + seconds * 1000;
    return reporter.onCheck(seen(o), async () => {
      stills.push(seconds);
      return still;
    });
  };
  /** Lets the outbox send what was pushed. */
  const settle = () => new Promise((r) => setTimeout(r, 0));
  return { reporter, storage, sent, check, stills, settle };
}

afterEach(() => {
  // Reporters that met a failure keep retrying on a timer: not after their test.
  for (const r of reporters.splice(0)) r.dispose();
  vi.useRealTimers();
});

describe('the page’s face reporter', () => {
  it('sends each transition in order, on server time; only starts carry a still, taken once for the check', async () => {
    const { reporter, sent, check, stills, settle } = setup();
    expect(reporter.state).toBe('starting');
    await check(0, { faces: 2 });
    expect(reporter.state).toBe('ok');
    await check(2, { faces: 2, phone: true });
    await check(4, { faces: 2, phone: true });
    expect(reporter.state).toBe('several');
    await check(6, { faces: 1, phone: false });
    await check(8, { faces: 1, phone: false });
    await settle();

    expect(sent.map((r) => [r.signal, r.at.getTime() - T0, r.still ?? null, r.face])).toEqual([
      ['second_person', 2000, 'data:image/jpeg;base64,2', { faces: 2 }],
      ['phone_visible', 4000, 'data:image/jpeg;base64,4', {}],
      ['single_face', 8000, null, { faces: 1, seconds: 6 }],
      ['phone_gone', 8000, null, { seconds: 4 }],
    ]);
    // Asked for a still only on the checks that started something.
    expect(stills).toEqual([2, 4]);
    expect(reporter.state).toBe('ok');
  });

  it('a still the server refuses is dropped and the signal sent without it; a still that cannot be taken is no still', async () => {
    const { sent, check, settle } = setup({ fail: (r) => (r.still === 'data:image/jpeg;base64,2' ? refusal('flags.stillInvalid', 400) : null) });
    await check(0, { faces: 2 });
    await check(2, { faces: 2 });
    await check(4, { faces: 1 });
    await check(6, { faces: 1 });
    await check(8, { faces: 0 });
    await check(14, { faces: 0 }, null);
    await settle();
    expect(sent.map((r) => [r.signal, r.still ?? null])).toEqual([
      ['second_person', null],
      ['single_face', null],
      ['face_missing', null],
    ]);
  });

  it('reports made offline survive a reload and go out from the next page; so do the conditions in force, which the next page ends', async () => {
    const storage = new MemoryStorage();
    const first = setup({ storage, fail: () => offline() });
    await first.check(0, { faces: 0 });
    await first.check(5, { faces: 0 });
    await first.settle();
    expect(first.sent).toEqual([]);
    expect(first.reporter.state).toBe('none');

    const next = setup({ storage });
    expect(next.reporter.state).toBe('none');
    await next.reporter.pump();
    expect(next.sent.map((r) => [r.signal, r.still ?? null])).toEqual([['face_missing', 'data:image/jpeg;base64,5']]);
    await next.check(20, { faces: 1 });
    await next.settle();
    expect(next.sent.map((r) => [r.signal, r.face])).toEqual([
      ['face_missing', { faces: 0, seconds: 5 }],
      ['face_back', { faces: 1, seconds: 15 }],
    ]);
    expect(next.reporter.state).toBe('ok');
  });

  it('a report the server throttles waits and goes out later instead of being lost', async () => {
    vi.useFakeTimers();
    let throttled = 1;
    const { sent, check } = setup({ fail: () => (throttled-- > 0 ? refusal('exam.integrityThrottled', 429) : null) });
    await check(0, { faces: 2 });
    await check(2, { faces: 2 });
    await vi.advanceTimersByTimeAsync(0);
    expect(sent).toEqual([]);
    await vi.advanceTimersByTimeAsync(1000);
    expect(sent.map((r) => r.signal)).toEqual(['second_person']);
  });

  it('a report the server refuses for good (not in the exam) is dropped, and the next one goes out', async () => {
    const { sent, check, settle } = setup({ fail: (r) => (r.signal === 'second_person' ? refusal('exam.notEntered', 412) : null) });
    await check(0, { faces: 2 });
    await check(2, { faces: 2 });
    await check(4, { faces: 1 });
    await check(6, { faces: 1 });
    await settle();
    expect(sent.map((r) => r.signal)).toEqual(['single_face']);
  });

  it('when the stills do not fit in storage, the signals are stored without them', async () => {
    const storage = new MemoryStorage(400);
    const big = `data:image/jpeg;base64,${'A'.repeat(1000)}`;
    const first = setup({ storage, fail: () => offline() });
    await first.check(0, { faces: 2 }, big);
    await first.check(2, { faces: 2 }, big);
    await first.settle();

    const next = setup({ storage });
    await next.reporter.pump();
    expect(next.sent.map((r) => [r.signal, r.still ?? null])).toEqual([['second_person', null]]);
  });

  it('takes the server’s baseline when it comes, and thresholds as they change', async () => {
    const { reporter, sent, check, settle } = setup();
    reporter.setBaseline([1, 0, 0]);
    reporter.setThresholds({ mismatchChecks: 2 });
    await check(0, { descriptor: [0, 1, 0] });
    await check(2, { descriptor: [0, 1, 0] });
    await settle();
    expect(sent.map((r) => [r.signal, r.face])).toEqual([['identity_mismatch', { faces: 1, similarity: 0 }]]);
  });
});
