import { describe, expect, it } from 'vitest';
import {
  DEFAULT_FACE_THRESHOLDS,
  facePageState,
  initialFaceSignals,
  stepFaceSignals,
  withBaseline,
  type FaceObservation,
  type FaceSignalsState,
  type FaceThresholds,
} from '@/components/face/face-signals';
import { similarity } from '@/server/face/similarity';

const S = 1000;
const T0 = 1_900_000_000_000;

/** A check: one face looking at the camera, nothing else known, unless told otherwise. */
const seen = (o: Partial<FaceObservation> = {}): FaceObservation => ({ faces: 1, descriptor: null, yaw: 0, pitch: 0, phone: null, ...o });
const nobody = seen({ faces: 0, yaw: null, pitch: null });

/** Unit vectors in 4 dimensions: `me` and `alike` are close (similarity 0.96), `other` is far (0). */
const me = [1, 0, 0, 0];
const alike = [0.96, 0.28, 0, 0];
const other = [0, 1, 0, 0];

/**
 * Feeds checks at the given seconds after T0 and returns the transitions as
 * `[seconds, signal, detail]`, with the final state.
 */
function run(checks: [number, FaceObservation][], opts: { state?: FaceSignalsState; th?: Partial<FaceThresholds> } = {}) {
  let state = opts.state ?? initialFaceSignals();
  const th = { ...DEFAULT_FACE_THRESHOLDS, ...opts.th };
  const out: [number, string, Record<string, unknown>][] = [];
  const states: string[] = [];
  for (const [sec, check] of checks) {
    const step = stepFaceSignals(state, check, T0 + sec * S, th);
    state = step.state;
    for (const t of step.transitions) out.push([(t.at - T0) / S, t.signal, t.detail]);
    states.push(facePageState(state));
  }
  return { out, state, states, signals: out.map(([sec, signal]) => [sec, signal]) };
}

/** The same check every `every` seconds from `from` to `to` inclusive. */
const every = (from: number, to: number, step: number, check: FaceObservation): [number, FaceObservation][] =>
  Array.from({ length: Math.floor((to - from) / step) + 1 }, (_, i) => [from + i * step, check]);

describe('face signals: the summary state', () => {
  it('is "starting" before the first check and "ok" after a check that sees one face', () => {
    const s = initialFaceSignals();
    expect(facePageState(s)).toBe('starting');
    expect(run([[0, seen()]]).states).toEqual(['ok']);
  });

  it('shows the most telling condition in force: a second person over a phone, a phone over looking away', () => {
    const { states, signals } = run(
      [
        [0, seen({ yaw: 60 })],
        [3, seen({ faces: 2, yaw: 60 })],
        [6, seen({ faces: 2, yaw: 60, phone: true })],
        [9, seen({ faces: 1, yaw: 60, phone: true })],
        [12, seen({ faces: 1, yaw: 60, phone: true })],
        [15, seen({ faces: 1, yaw: 0, phone: true })],
      ],
      { th: { awaySeconds: 2 } },
    );
    expect(signals).toEqual([
      [3, 'looking_away'],
      [6, 'second_person'],
      [9, 'phone_visible'],
      [12, 'single_face'],
      [15, 'looking_back'],
    ]);
    expect(states).toEqual(['ok', 'away', 'several', 'several', 'phone', 'phone']);
  });

  it('nobody at the desk outranks everything, whose face it was next', () => {
    expect(facePageState(initialFaceSignals({ active: { face_missing: T0, second_person: T0, identity_mismatch: T0 } }))).toBe('none');
    expect(facePageState(initialFaceSignals({ active: { second_person: T0, identity_mismatch: T0, phone_visible: T0 } }))).toBe('several');
    expect(facePageState(initialFaceSignals({ active: { identity_mismatch: T0, phone_visible: T0, looking_away: T0 } }))).toBe('mismatch');
  });
});

describe('face signals: no face', () => {
  it('starts face_missing once no face has been seen for more than missingSeconds, timed from the first check without one', () => {
    const { out } = run(every(0, 14, 2, nobody));
    // 10 s exactly is not "more than 10 s".
    expect(out).toEqual([[12, 'face_missing', { faces: 0, seconds: 12 }]]);
  });

  it('ends with face_back at the first check that sees a face, saying how long it lasted', () => {
    const { out, states } = run([...every(0, 12, 3, nobody), [20, seen()]]);
    expect(out).toEqual([
      [12, 'face_missing', { faces: 0, seconds: 12 }],
      [20, 'face_back', { faces: 1, seconds: 8 }],
    ]);
    expect(states.at(-2)).toBe('none');
    expect(states.at(-1)).toBe('ok');
  });

  it('says nothing for an absence shorter than missingSeconds, nor for a single missed frame among faces', () => {
    expect(run([...every(0, 9, 3, nobody), [12, seen()], [15, nobody], [18, seen()], ...every(21, 30, 3, nobody)]).out).toEqual([]);
  });

  it('counts a pause in the checks as nothing: a face seen after a long gap ends the run', () => {
    expect(
      run([
        [0, nobody],
        [60, seen()],
        [61, nobody],
      ]).out,
    ).toEqual([]);
  });

  it('takes missingSeconds from the thresholds', () => {
    expect(run(every(0, 8, 2, nobody), { th: { missingSeconds: 5 } }).signals).toEqual([[6, 'face_missing']]);
  });

  it('a second person counts as a face: they end face_missing too', () => {
    expect(run([...every(0, 12, 3, nobody), [15, seen({ faces: 2 })]]).signals).toEqual([
      [12, 'face_missing'],
      [15, 'face_back'],
    ]);
  });
});

describe('face signals: a second person', () => {
  it('starts on two consecutive checks with two or more faces and ends on two consecutive checks with fewer', () => {
    const { out } = run([
      [0, seen()],
      [3, seen({ faces: 2 })],
      [6, seen({ faces: 3 })],
      [9, seen({ faces: 2 })],
      [12, seen({ faces: 1 })],
      [15, seen({ faces: 0 })],
    ]);
    expect(out).toEqual([
      [6, 'second_person', { faces: 3 }],
      [15, 'single_face', { faces: 0, seconds: 9 }],
    ]);
  });

  it('says nothing for a detector that flaps between one and two faces', () => {
    expect(run(every(0, 60, 3, seen()).map(([t, c], i) => [t, i % 2 ? seen({ faces: 2 }) : c])).out).toEqual([]);
  });

  it('takes the number of checks from the thresholds', () => {
    const checks = every(0, 6, 3, seen({ faces: 2 }));
    expect(run(checks, { th: { secondPersonChecks: 3 } }).signals).toEqual([[6, 'second_person']]);
  });
});

describe('face signals: identity', () => {
  const withMe = () => initialFaceSignals({ baseline: me });

  it('starts identity_mismatch on three consecutive lone faces unlike the server’s baseline, with the similarity', () => {
    const { out, states } = run(every(0, 6, 3, seen({ descriptor: other })).concat([[9, seen({ descriptor: other })]]), { state: withMe() });
    expect(out).toEqual([[6, 'identity_mismatch', { faces: 1, similarity: 0 }]]);
    expect(states).toEqual(['ok', 'ok', 'mismatch', 'mismatch']);
  });

  it('a face like the baseline breaks the run; checks it cannot compare (no face, two faces, no descriptor) do not', () => {
    const unlike = seen({ descriptor: other });
    expect(
      run(
        [
          [0, unlike],
          [3, unlike],
          [6, seen({ descriptor: alike })],
          [9, unlike],
          [12, nobody],
          [15, seen({ faces: 2, descriptor: null })],
          [18, seen({ descriptor: null })],
          [21, unlike],
          [24, unlike],
        ],
        { state: withMe() },
      ).signals,
    ).toEqual([[24, 'identity_mismatch']]);
  });

  it('ends with identity_restored after as many consecutive lone faces like the baseline', () => {
    const { out } = run([...every(0, 6, 3, seen({ descriptor: other })), ...every(9, 15, 3, seen({ descriptor: alike }))], { state: withMe() });
    expect(out).toEqual([
      [6, 'identity_mismatch', { faces: 1, similarity: 0 }],
      [15, 'identity_restored', { faces: 1, similarity: 0.96, seconds: 9 }],
    ]);
  });

  it('without a server baseline, takes the first lone face looking at the camera (not one turned away) and compares the next ones with it', () => {
    const { out, state } = run([
      [0, seen({ descriptor: other, yaw: 70 })],
      [3, seen({ descriptor: me })],
      [6, seen({ descriptor: other })],
      [9, seen({ descriptor: other })],
      [12, seen({ descriptor: other })],
    ]);
    expect(state.baseline).toEqual(me);
    expect(state.baselineFromServer).toBe(false);
    expect(out).toEqual([[12, 'identity_mismatch', { faces: 1, similarity: 0 }]]);
  });

  it('a baseline from the server replaces one taken from a check, and the comparisons start over', () => {
    const first = run([
      [0, seen({ descriptor: other })],
      [3, seen({ descriptor: me })],
      [6, seen({ descriptor: me })],
    ]);
    expect(first.state.unlike).toBe(2);
    const replaced = withBaseline(first.state, me);
    expect(replaced).toMatchObject({ baseline: me, baselineFromServer: true, unlike: 0 });
    expect(run([[9, seen({ descriptor: me })]], { state: replaced }).out).toEqual([]);
  });

  it('never compares descriptors of another length (another model): no mismatch', () => {
    expect(run(every(0, 30, 3, seen({ descriptor: [0, 1, 0] })), { state: withMe() }).out).toEqual([]);
  });

  it('takes the similarity threshold from the thresholds', () => {
    expect(run(every(0, 6, 3, seen({ descriptor: alike })), { state: withMe(), th: { similarity: 0.97 } }).signals).toEqual([[6, 'identity_mismatch']]);
  });

  it('cosine similarity: 1 for the same direction, -1 for the opposite or for descriptors that cannot be compared', () => {
    const a = [0.3, -1.2, 4, 0.01, 2.5];
    expect(
      similarity(
        a,
        a.map((x) => x * 3),
      ),
    ).toBeCloseTo(1, 12);
    expect(
      similarity(
        a,
        a.map((x) => -x),
      ),
    ).toBeCloseTo(-1, 12);
    expect(similarity([1, 0], [0, 1])).toBe(0);
    expect(similarity(a, [1, 2])).toBe(-1);
    expect(similarity([0, 0], [0, 0])).toBe(-1);
  });
});

describe('face signals: looking away', () => {
  it('starts when the head is turned beyond 35° of yaw for more than awaySeconds, with the angles', () => {
    expect(run(every(0, 12, 2, seen({ yaw: -48.6, pitch: 4.2 }))).out).toEqual([[10, 'looking_away', { yaw: -49, pitch: 4, seconds: 10 }]]);
  });

  it('or beyond 30° of pitch (looking down at the desk)', () => {
    expect(run(every(0, 10, 2, seen({ yaw: 5, pitch: 40 }))).signals).toEqual([[10, 'looking_away']]);
  });

  it('ends at the first check facing the camera again; a glance shorter than awaySeconds says nothing', () => {
    expect(run([...every(0, 6, 2, seen({ yaw: 50 })), [8, seen()], ...every(10, 20, 2, seen({ yaw: 50 })), [22, seen({ yaw: 10 })]]).out).toEqual([
      [20, 'looking_away', { yaw: 50, pitch: 0, seconds: 10 }],
      [22, 'looking_back', { yaw: 10, pitch: 0, seconds: 2 }],
    ]);
  });

  it('checks without a face neither break nor extend the run, and never start it', () => {
    expect(
      run([
        [0, seen({ yaw: 50 })],
        [4, nobody],
        [6, nobody],
        [9, seen({ yaw: 50 })],
      ]).signals,
    ).toEqual([[9, 'looking_away']]);
    expect(run([[0, seen({ yaw: 50 })], ...every(2, 9, 1, nobody)]).signals).toEqual([]);
  });

  it('checks without a measured pose count for nothing', () => {
    expect(run(every(0, 30, 3, seen({ yaw: null, pitch: null }))).out).toEqual([]);
  });

  it('takes the angles and awaySeconds from the thresholds', () => {
    expect(run(every(0, 6, 2, seen({ yaw: 25 })), { th: { yawDegrees: 20, awaySeconds: 3 } }).signals).toEqual([[4, 'looking_away']]);
  });
});

describe('face signals: a phone', () => {
  it('starts on two consecutive object checks with a phone; checks the object model did not run on are skipped', () => {
    expect(
      run([
        [0, seen({ phone: true })],
        [3, seen({ phone: null })],
        [6, seen({ phone: true })],
      ]).out,
    ).toEqual([[6, 'phone_visible', {}]]);
  });

  it('a check without a phone breaks the run; two in a row end it', () => {
    const { signals, states } = run([
      [0, seen({ phone: true })],
      [3, seen({ phone: false })],
      [6, seen({ phone: true })],
      [9, seen({ phone: true })],
      [12, seen({ phone: false })],
      [15, seen({ phone: null })],
      [18, seen({ phone: false })],
    ]);
    expect(signals).toEqual([
      [9, 'phone_visible'],
      [18, 'phone_gone'],
    ]);
    expect(states).toEqual(['ok', 'ok', 'ok', 'phone', 'phone', 'phone', 'ok']);
  });
});

describe('face signals: several at once and after a reload', () => {
  it('in one check, ends come before starts', () => {
    const before = run(every(0, 12, 3, nobody)).state;
    const { out } = run(
      [
        [15, seen({ faces: 2, phone: true })],
        [18, seen({ faces: 2, phone: true })],
      ],
      { state: before },
    );
    expect(out.map(([, s]) => s)).toEqual(['face_back', 'second_person', 'phone_visible']);
  });

  it('conditions carried over a reload show at once and end at the first check that says so', () => {
    const state = initialFaceSignals({ active: { face_missing: T0 - 30 * S, looking_away: T0 - 20 * S } });
    expect(facePageState(state)).toBe('none');
    const { out, states } = run([[0, seen()]], { state });
    expect(out).toEqual([
      [0, 'face_back', { faces: 1, seconds: 30 }],
      [0, 'looking_back', { yaw: 0, pitch: 0, seconds: 20 }],
    ]);
    expect(states).toEqual(['ok']);
  });

  it('a start already in force is not reported again', () => {
    const state = initialFaceSignals({ active: { second_person: T0 } });
    expect(run(every(0, 30, 3, seen({ faces: 2 })), { state }).out).toEqual([]);
  });

  it('the step does not change the state it was given', () => {
    const state = initialFaceSignals({ baseline: me });
    const copy = structuredClone(state);
    stepFaceSignals(state, nobody, T0);
    stepFaceSignals(state, seen({ faces: 2, descriptor: other, yaw: 80, phone: true }), T0 + 60 * S);
    expect(state).toEqual(copy);
  });
});
