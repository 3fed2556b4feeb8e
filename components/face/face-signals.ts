import { FACE_SIGNAL_PAIRS, faceStateOf, type FaceDetail, type FaceSignal, type FaceStartSignal, type FaceState } from '@/server/face/signals';
import { similarity } from '@/server/face/similarity';

/**
 * The face checks' verdicts, turned into signals. Pure: fed one check and its time at a time, it
 * returns the next state and the transitions to report, so every rule can be tested with
 * made-up sequences and no timers. One check proves nothing (a detector misses a face in a
 * blurred frame, sees a face in a poster), so each condition needs several checks or several
 * seconds to start, and as many to end: a flapping detector reports nothing.
 */

/** What the signals read of a check: the part of the detector's `FaceCheck` they judge. */
export type FaceObservation = {
  faces: number;
  /** The embedding of the face, when exactly one was described. */
  descriptor: ArrayLike<number> | null;
  /** Head pose in degrees (0 facing the camera), null when not measured. */
  yaw: number | null;
  pitch: number | null;
  /** null when the object model did not run on this check. */
  phone: boolean | null;
};

export type FaceThresholds = {
  /** No face for longer than this starts `face_missing`. */
  missingSeconds: number;
  /** Head turned beyond the angles below for longer than this starts `looking_away`. */
  awaySeconds: number;
  yawDegrees: number;
  pitchDegrees: number;
  /** Cosine similarity to the baseline below which a face counts as someone else's. */
  similarity: number;
  /** Consecutive checks with two or more faces to start `second_person` (and with fewer to end it). */
  secondPersonChecks: number;
  /** Consecutive comparable checks below the similarity to start `identity_mismatch` (and above it to end it). */
  mismatchChecks: number;
  /** Consecutive object checks with a phone to start `phone_visible` (and without to end it). */
  phoneChecks: number;
};

/**
 * The similarity default sits below a login's threshold: the login compares frames taken to be
 * compared, the exam compares whatever the camera sees while the candidate writes (other light,
 * other angle), and three misses in a row are asked for before anything is said.
 */
export const DEFAULT_FACE_THRESHOLDS: FaceThresholds = {
  missingSeconds: 10,
  awaySeconds: 8,
  yawDegrees: 35,
  pitchDegrees: 30,
  similarity: 0.4,
  secondPersonChecks: 2,
  mismatchChecks: 3,
  phoneChecks: 2,
};

/** What the page shows: `starting` until the first check, then the server's states. */
export type FacePageState = FaceState | 'starting';

export type FaceTransition = { signal: FaceSignal; at: number; detail: FaceDetail };

/** Conditions in force, each with its start (epoch ms): what a reload carries over. */
export type ActiveFaceConditions = Partial<Record<FaceStartSignal, number>>;

export type FaceSignalsState = {
  /** The descriptor faces are compared with: the server's (the login's), else the first good check's. */
  baseline: number[] | null;
  baselineFromServer: boolean;
  checked: boolean;
  active: ActiveFaceConditions;
  /** First check of the current run without a face / with the head turned away. */
  noFaceSince: number | null;
  awaySince: number | null;
  /** Lengths of the current runs of checks, toward a start or an end. */
  several: number;
  fewer: number;
  unlike: number;
  alike: number;
  phone: number;
  noPhone: number;
};

export function initialFaceSignals({
  baseline = null,
  active = {},
}: { baseline?: ArrayLike<number> | null; active?: ActiveFaceConditions } = {}): FaceSignalsState {
  return {
    baseline: baseline ? Array.from(baseline) : null,
    baselineFromServer: !!baseline,
    checked: false,
    active: { ...active },
    noFaceSince: null,
    awaySince: null,
    several: 0,
    fewer: 0,
    unlike: 0,
    alike: 0,
    phone: 0,
    noPhone: 0,
  };
}

/**
 * The server's baseline (the login's descriptor) replaces one taken from a check; the runs of
 * comparisons start over, as they were made against another face.
 */
export function withBaseline(s: FaceSignalsState, baseline: ArrayLike<number> | null): FaceSignalsState {
  if (!baseline) return s.baselineFromServer ? { ...s, baseline: null, baselineFromServer: false, unlike: 0, alike: 0 } : s;
  return { ...s, baseline: Array.from(baseline), baselineFromServer: true, unlike: 0, alike: 0 };
}

export function facePageState(s: FaceSignalsState): FacePageState {
  const active = Object.keys(s.active) as FaceStartSignal[];
  if (!s.checked && !active.length) return 'starting';
  return faceStateOf(active);
}

const round = (n: number, digits = 0) => Math.round(n * 10 ** digits) / 10 ** digits;
const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));

/** One check at `at` (epoch ms, server time): the next state and the transitions it causes, ends before starts. */
export function stepFaceSignals(
  prev: FaceSignalsState,
  check: FaceObservation,
  at: number,
  th: FaceThresholds = DEFAULT_FACE_THRESHOLDS,
): { state: FaceSignalsState; transitions: FaceTransition[] } {
  const s: FaceSignalsState = { ...prev, active: { ...prev.active }, checked: true };
  const ends: FaceTransition[] = [];
  const starts: FaceTransition[] = [];
  const start = (signal: FaceStartSignal, detail: FaceDetail) => {
    if (s.active[signal] != null) return;
    s.active[signal] = at;
    starts.push({ signal, at, detail });
  };
  const end = (signal: FaceStartSignal, detail: FaceDetail = {}) => {
    const since = s.active[signal];
    if (since == null) return;
    delete s.active[signal];
    ends.push({ signal: FACE_SIGNAL_PAIRS[signal], at, detail: { ...detail, seconds: seconds(at - since) } });
  };

  // Nobody there: timed from the first check that saw no face, so a pause in the checks (a
  // hidden page, a busy machine) never counts as absence.
  if (check.faces === 0) {
    s.noFaceSince ??= at;
    if (at - s.noFaceSince > th.missingSeconds * 1000) start('face_missing', { faces: 0, seconds: seconds(at - s.noFaceSince) });
  } else {
    s.noFaceSince = null;
    end('face_missing', { faces: check.faces });
  }

  if (check.faces >= 2) {
    s.several += 1;
    s.fewer = 0;
    if (s.several >= th.secondPersonChecks) start('second_person', { faces: check.faces });
  } else {
    s.fewer += 1;
    s.several = 0;
    if (s.fewer >= th.secondPersonChecks) end('second_person', { faces: check.faces });
  }

  // Head pose: only a check that measured it counts either way. A check without a face
  // neither ends nor prolongs looking away (turning far away often loses the face: that is
  // `face_missing`'s to say).
  const measured = check.faces > 0 && (check.yaw != null || check.pitch != null);
  const turned = measured && (Math.abs(check.yaw ?? 0) > th.yawDegrees || Math.abs(check.pitch ?? 0) > th.pitchDegrees);
  if (turned) {
    s.awaySince ??= at;
    if (at - s.awaySince > th.awaySeconds * 1000) {
      start('looking_away', { yaw: round(check.yaw ?? 0), pitch: round(check.pitch ?? 0), seconds: seconds(at - s.awaySince) });
    }
  } else if (measured) {
    s.awaySince = null;
    end('looking_away', { yaw: round(check.yaw ?? 0), pitch: round(check.pitch ?? 0) });
  }

  // Whose face: only a lone described face is compared (with two, which is the candidate?).
  // Other checks neither break nor extend a run. With no baseline from the server, the first
  // lone face looking at the camera becomes it.
  const lone = check.faces === 1 && check.descriptor && check.descriptor.length > 0 ? check.descriptor : null;
  if (lone && !s.baseline) {
    if (!turned) s.baseline = Array.from(lone);
  } else if (lone && s.baseline && lone.length === s.baseline.length) {
    const alike = similarity(lone, s.baseline);
    if (alike < th.similarity) {
      s.unlike += 1;
      s.alike = 0;
      if (s.unlike >= th.mismatchChecks) start('identity_mismatch', { faces: 1, similarity: round(alike, 3) });
    } else {
      s.alike += 1;
      s.unlike = 0;
      if (s.alike >= th.mismatchChecks) end('identity_mismatch', { faces: 1, similarity: round(alike, 3) });
    }
  }

  // Only checks the object model ran on count; the others neither break nor extend a run.
  if (check.phone === true) {
    s.phone += 1;
    s.noPhone = 0;
    if (s.phone >= th.phoneChecks) start('phone_visible', {});
  } else if (check.phone === false) {
    s.noPhone += 1;
    s.phone = 0;
    if (s.noPhone >= th.phoneChecks) end('phone_visible');
  }

  return { state: s, transitions: [...ends, ...starts] };
}
