import type { FaceDetail, FaceSignal } from '@/server/face/signals';
import { FACE_START_SIGNALS, isFaceStart } from '@/server/face/signals';
import type { KeyValueStorage } from '@/components/exam/answers-queue';
import { appCodeOf } from '@/components/exam/exam-errors';
import { IntegrityOutbox, integrityRetryable } from '@/components/exam/integrity-outbox';
import {
  DEFAULT_FACE_THRESHOLDS,
  facePageState,
  initialFaceSignals,
  stepFaceSignals,
  withBaseline,
  type ActiveFaceConditions,
  type FaceObservation,
  type FacePageState,
  type FaceSignalsState,
  type FaceThresholds,
} from './face-signals';

/** What goes to `exam.reportIntegrity` for one transition. */
export type FaceReport = { signal: FaceSignal; at: Date; face: FaceDetail; still?: string };

const STILL_REFUSED = new Set(['flags.stillTooLarge', 'flags.stillInvalid']);

function readActive(storage: KeyValueStorage | null, key: string): ActiveFaceConditions {
  try {
    const parsed: unknown = JSON.parse(storage?.getItem(key) ?? '{}');
    if (!parsed || typeof parsed !== 'object') return {};
    return Object.fromEntries(
      Object.entries(parsed).filter(([k, v]) => (FACE_START_SIGNALS as string[]).includes(k) && typeof v === 'number'),
    ) as ActiveFaceConditions;
  } catch {
    return {};
  }
}

/**
 * The page's side of the face signals, without React: runs the checks through the state machine
 * and sends its transitions through an integrity outbox of their own (so they survive a lost
 * connection or a reload), each start with a still of that moment. The conditions in force are
 * kept in storage too: a page reloaded while no face was seen still says "face back" when it
 * sees one, or the invigilator's tile would keep "no face" for good.
 */
export class FaceReporter {
  private machine: FaceSignalsState;
  private readonly outbox: IntegrityOutbox;
  // Pushes wait for their still in the order the checks came, so the outbox keeps that order.
  private queue: Promise<void> = Promise.resolve();
  private thresholds: FaceThresholds;

  constructor(
    private readonly opts: {
      /** Storage key prefix, one per exam and candidate. */
      key: string;
      storage: KeyValueStorage | null;
      send: (r: FaceReport) => Promise<unknown>;
      /** Server time, epoch ms. */
      now: () => number;
      baseline: ArrayLike<number> | null;
      thresholds?: Partial<FaceThresholds>;
    },
  ) {
    this.thresholds = { ...DEFAULT_FACE_THRESHOLDS, ...opts.thresholds };
    this.machine = initialFaceSignals({ baseline: opts.baseline, active: readActive(opts.storage, `${opts.key}.active`) });
    this.outbox = new IntegrityOutbox({
      key: `${opts.key}.outbox`,
      storage: opts.storage,
      send: async ({ signal, at, face = {}, still }) => {
        const report = { signal: signal as FaceSignal, at: new Date(at), face };
        try {
          return await opts.send(still ? { ...report, still } : report);
        } catch (err) {
          // A still the server will not take must not cost the signal itself.
          if (still && STILL_REFUSED.has(appCodeOf(err) ?? '')) return opts.send(report);
          throw err;
        }
      },
      retryable: integrityRetryable,
    });
  }

  get state(): FacePageState {
    return facePageState(this.machine);
  }

  setThresholds(thresholds: Partial<FaceThresholds> | undefined) {
    this.thresholds = { ...DEFAULT_FACE_THRESHOLDS, ...thresholds };
  }

  setBaseline(baseline: ArrayLike<number> | null) {
    this.machine = withBaseline(this.machine, baseline);
  }

  /** Reports left over from before a reload, or waiting for the network. */
  pump() {
    return this.outbox.pump();
  }

  online() {
    this.outbox.online();
  }

  /** Stops retrying (a page being torn down for good; tests). */
  dispose() {
    this.outbox.dispose();
  }

  /**
   * One check's result. `still` is asked for at most once, at once (the next check may see
   * another scene), and only when a condition starts: an end is the scene back to normal, no
   * evidence of anything. Resolves once the transitions are in the outbox.
   */
  onCheck(check: FaceObservation, still: () => Promise<string | null>): Promise<void> {
    const { state, transitions } = stepFaceSignals(this.machine, check, this.opts.now(), this.thresholds);
    this.machine = state;
    if (!transitions.length) return this.queue;
    try {
      this.opts.storage?.setItem(`${this.opts.key}.active`, JSON.stringify(state.active));
    } catch {
      // Storage blocked: a reload starts from nothing, as on a first visit.
    }
    const evidence = transitions.some((t) => isFaceStart(t.signal)) ? still().catch(() => null) : Promise.resolve(null);
    this.queue = this.queue.then(async () => {
      const image = await evidence;
      for (const t of transitions) {
        this.outbox.push({ signal: t.signal, at: t.at, face: t.detail, ...(image && isFaceStart(t.signal) ? { still: image } : {}) });
      }
    });
    return this.queue;
  }
}
