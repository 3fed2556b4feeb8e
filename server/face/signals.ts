/**
 * The face signals the candidate's page reports during the exam, shared by the page's state
 * machine (components/face/face-signals.ts) and the server (integrity signals, flags, tiles), so
 * both name and rank them alike. Types and constants only: the browser imports it.
 */

/** Each condition's start signal and the signal that ends it. A start raises the flag of the same name. */
export const FACE_SIGNAL_PAIRS = {
  face_missing: 'face_back',
  second_person: 'single_face',
  identity_mismatch: 'identity_restored',
  looking_away: 'looking_back',
  phone_visible: 'phone_gone',
} as const;

export type FaceStartSignal = keyof typeof FACE_SIGNAL_PAIRS;
export type FaceEndSignal = (typeof FACE_SIGNAL_PAIRS)[FaceStartSignal];
export type FaceSignal = FaceStartSignal | FaceEndSignal;

export const FACE_START_SIGNALS = Object.keys(FACE_SIGNAL_PAIRS) as FaceStartSignal[];
export const FACE_SIGNALS = [
  'face_missing',
  'face_back',
  'second_person',
  'single_face',
  'identity_mismatch',
  'identity_restored',
  'looking_away',
  'looking_back',
  'phone_visible',
  'phone_gone',
] as const satisfies readonly FaceSignal[];

export const isFaceStart = (s: string): s is FaceStartSignal => Object.hasOwn(FACE_SIGNAL_PAIRS, s);
const START_OF = new Map<string, FaceStartSignal>(FACE_START_SIGNALS.map((s) => [FACE_SIGNAL_PAIRS[s], s]));
/** The condition an end signal ends, or undefined for anything else. */
export const faceStartOf = (end: string): FaceStartSignal | undefined => START_OF.get(end);

/** What a tile or the page shows for a condition in force; `ok` when none is. */
export type FaceAlert = 'none' | 'several' | 'mismatch' | 'phone' | 'away';
export type FaceState = 'ok' | FaceAlert;

export const FACE_ALERT_OF: Record<FaceStartSignal, FaceAlert> = {
  face_missing: 'none',
  second_person: 'several',
  identity_mismatch: 'mismatch',
  phone_visible: 'phone',
  looking_away: 'away',
};

/**
 * When several conditions hold, the one shown, most telling first: nobody at the desk says
 * more than whose face it is, and a second person more than where the candidate looks.
 */
const PRIORITY: FaceStartSignal[] = ['face_missing', 'second_person', 'identity_mismatch', 'phone_visible', 'looking_away'];

/** The condition shown among those in force, or null when none is. */
export function shownCondition(active: Iterable<FaceStartSignal>): FaceStartSignal | null {
  const set = new Set(active);
  return PRIORITY.find((s) => set.has(s)) ?? null;
}

export function faceStateOf(active: Iterable<FaceStartSignal>): FaceState {
  const shown = shownCondition(active);
  return shown ? FACE_ALERT_OF[shown] : 'ok';
}

/**
 * What a face signal may carry as evidence beside its still (bounded on the server by zod):
 * faces counted, similarity to the baseline descriptor, head pose in degrees, seconds the
 * condition had lasted when it was reported.
 */
export type FaceDetail = { faces?: number; similarity?: number; yaw?: number; pitch?: number; seconds?: number };
