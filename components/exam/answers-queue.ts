/**
 * The written exam's answers, kept so that none is ever lost: every edit is written to local
 * storage at once as a pending item, then sent to the server in the background. Plain module, no
 * React, so the rules below can be read (and tested) on their own:
 *
 * - Each question has a revision counter that only goes up, across reloads too: it starts from
 *   the higher of the server's stored revision and the one remembered locally.
 * - A pending item leaves the queue only when the server reports a stored revision at or above
 *   the item's; an edit made while a save was in flight stays pending and goes next.
 * - The server ignores a save whose revision is not above the stored one, so an older save that
 *   arrives late (a retry after a timeout) can never overwrite a newer answer.
 * - One request at a time: saves reach the server in the order they were made.
 * - A page numbers its edits from the floor its claim of the exam gave it (`setFloor`), above
 *   anything an older page of the same exam typed (server/services/exam-page.ts); once a newer
 *   page holds the exam, this one takes no more edits and sends what it has at once (`handOver`).
 */

export type AnswerValue = string | string[];
export type AnswerItem = { questionId: string; value: AnswerValue; revision: number };
export type StoredRevision = { questionId: string; revision: number };

/** What the caller says about a failed save: no connection, a server hiccup, or final. */
export type FailureKind = 'offline' | 'retry' | 'fatal';

export type SaveStatus = 'saved' | 'saving' | 'queued' | 'error';

export type QueueState = {
  values: Readonly<Record<string, AnswerValue>>;
  pendingCount: number;
  status: SaveStatus;
  lastSavedAt: Date | null;
  /** Set while the last failure was final (e.g. the exam is already over). */
  fatal: boolean;
  /** A newer page holds the exam: this one takes no more edits. */
  handedOver: boolean;
};

export type KeyValueStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

type Persisted = { v: 1; revisions: Record<string, number>; pending: Record<string, { value: AnswerValue; revision: number }> };

export type AnswersQueueOptions = {
  /** Local storage key, one per exam and candidate. */
  key: string;
  storage: KeyValueStorage | null;
  /** Sends items; `epoch` is this page's claim of the exam, once it has one. */
  save: (items: AnswerItem[], epoch: number | undefined) => Promise<{ saved: StoredRevision[]; savedAt?: Date; superseded?: boolean }>;
  classify: (err: unknown) => FailureKind;
  debounceMs?: number;
  maxBackoffMs?: number;
  /** Items per request (the server takes at most 200). */
  batchSize?: number;
  timers?: { set: (fn: () => void, ms: number) => unknown; clear: (handle: unknown) => void };
  now?: () => Date;
};

const sameValue = (a: AnswerValue | undefined, b: AnswerValue) =>
  Array.isArray(a) && Array.isArray(b) ? a.length === b.length && a.every((x, i) => x === b[i]) : a === b;

export class AnswersQueue {
  private values: Record<string, AnswerValue> = {};
  private revisions: Record<string, number> = {};
  private pending: Persisted['pending'] = {};
  private inFlight: Promise<boolean> | null = null;
  private timer: unknown = null;
  private attempt = 0;
  private status: SaveStatus = 'saved';
  private lastSavedAt: Date | null = null;
  private fatal = false;
  private disposed = false;
  private epoch: number | undefined = undefined;
  private floor = 0;
  private handedOver = false;
  private listeners = new Set<() => void>();
  private snapshot: QueueState;
  private readonly opts: Required<Omit<AnswersQueueOptions, 'storage'>> & { storage: KeyValueStorage | null };

  constructor(opts: AnswersQueueOptions) {
    this.opts = {
      debounceMs: 800,
      maxBackoffMs: 30_000,
      batchSize: 200,
      timers: { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) },
      now: () => new Date(),
      ...opts,
    };
    const local = this.read();
    this.revisions = { ...local.revisions };
    this.pending = { ...local.pending };
    for (const [id, p] of Object.entries(this.pending)) this.values[id] = p.value;
    this.snapshot = this.makeSnapshot();
  }

  /**
   * Starts from the server's saved answers, then re-applies local edits the server has not
   * stored yet (a higher revision), and sends those at once.
   */
  init(server: AnswerItem[]) {
    this.merge(server);
    this.status = this.pendingCount() ? 'queued' : 'saved';
    this.emit();
    if (this.pendingCount()) void this.flush();
  }

  /**
   * Takes the server's answers where they are newer than what this page shows (an older page's
   * flush stored them after this page loaded): a read that started before this page's own last
   * save landed is older and changes nothing; a local edit not yet stored stays.
   */
  refresh(server: AnswerItem[]) {
    this.merge(server);
    this.emit();
  }

  /** This page's claim of the exam: its next edit of any question counts on from the floor. */
  claimed({ epoch, floor }: { epoch: number; floor: number }) {
    this.epoch = epoch;
    this.floor = Math.max(this.floor, floor);
  }

  /**
   * A newer page holds the exam: no more edits here, and what is pending goes now rather than
   * after the debounce. Local storage is left to the newer page from here on (in the same
   * browser both pages share the key, and this page's copy would overwrite the newer one's).
   */
  handOver() {
    if (this.handedOver) return;
    this.handedOver = true;
    this.emit();
    void this.flush();
  }

  private merge(server: AnswerItem[]) {
    for (const s of server) {
      const known = this.revisions[s.questionId] ?? 0;
      this.revisions[s.questionId] = Math.max(known, s.revision);
      const mine = this.pending[s.questionId];
      if (mine && mine.revision > s.revision) continue;
      if (s.questionId in this.values && !mine && s.revision < known) continue;
      delete this.pending[s.questionId];
      this.values[s.questionId] = s.value;
    }
    for (const [id, p] of Object.entries(this.pending)) {
      this.values[id] = p.value;
      this.revisions[id] = Math.max(this.revisions[id] ?? 0, p.revision);
    }
    this.write();
  }

  edit(questionId: string, value: AnswerValue) {
    if (this.disposed || this.handedOver || sameValue(this.values[questionId], value)) return;
    const revision = Math.max(this.revisions[questionId] ?? 0, this.floor) + 1;
    this.revisions[questionId] = revision;
    this.values[questionId] = value;
    this.pending[questionId] = { value, revision };
    this.write();
    if (this.status === 'saved') this.status = 'saving';
    this.emit();
    this.schedule(this.opts.debounceMs);
  }

  /**
   * Sends what is pending now (or joins the send under way). Follow-ups are scheduled by the
   * send itself: edits made meanwhile go next, failures are retried with backoff.
   */
  flush(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    if (this.inFlight) return this.inFlight.then(() => undefined);
    if (!this.pendingCount()) return Promise.resolve();
    return this.start().then(() => undefined);
  }

  /** Sends until nothing is pending; rejects with the failure if a send fails. For submit. */
  async drain(): Promise<void> {
    for (let i = 0; i < 100 && this.pendingCount(); i++) {
      if (this.inFlight) {
        await this.inFlight;
        continue;
      }
      if (!(await this.start())) throw this.lastError ?? new Error('answers not saved');
    }
    if (this.pendingCount()) throw new Error('answers not saved');
  }

  /** The browser says the network is back: retry now instead of waiting out the backoff. */
  online() {
    if (this.pendingCount() && !this.fatal) {
      this.attempt = 0;
      void this.flush();
    }
  }

  subscribe(listener: () => void) {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  getState = (): QueueState => this.snapshot;

  pendingCount() {
    return Object.keys(this.pending).length;
  }

  /** Forget the local copy: only once the exam is over and nothing is pending. */
  clear() {
    if (!this.pendingCount() && !this.handedOver) this.opts.storage?.removeItem(this.opts.key);
  }

  dispose() {
    this.disposed = true;
    if (this.timer != null) this.opts.timers.clear(this.timer);
    this.timer = null;
    this.listeners.clear();
  }

  private lastError: unknown = null;

  private start(): Promise<boolean> {
    if (this.timer != null) {
      this.opts.timers.clear(this.timer);
      this.timer = null;
    }
    const run = this.send().finally(() => {
      this.inFlight = null;
    });
    this.inFlight = run;
    return run;
  }

  private async send(): Promise<boolean> {
    const items = Object.entries(this.pending)
      .slice(0, this.opts.batchSize)
      .map(([questionId, p]) => ({ questionId, value: p.value, revision: p.revision }));
    this.status = 'saving';
    this.emit();
    try {
      const res = await this.opts.save(items, this.epoch);
      // The live stream may have missed the newer page's claim; the server's reply does not.
      if (res.superseded) this.handedOver = true;
      for (const s of res.saved) {
        // Another tab or device may have saved a higher revision: count on from there.
        this.revisions[s.questionId] = Math.max(this.revisions[s.questionId] ?? 0, s.revision);
        const p = this.pending[s.questionId];
        if (p && s.revision >= p.revision) delete this.pending[s.questionId];
      }
      this.write();
      this.attempt = 0;
      this.fatal = false;
      this.lastError = null;
      this.lastSavedAt = res.savedAt ?? this.opts.now();
      this.status = this.pendingCount() ? 'saving' : 'saved';
      this.emit();
      if (this.pendingCount()) this.schedule(0);
      return true;
    } catch (err) {
      this.lastError = err;
      const kind = this.opts.classify(err);
      this.fatal = kind === 'fatal';
      this.status = kind === 'offline' ? 'queued' : 'error';
      this.emit();
      if (kind !== 'fatal') {
        const delay = Math.min(1000 * 2 ** this.attempt, this.opts.maxBackoffMs);
        this.attempt++;
        this.schedule(delay);
      }
      return false;
    }
  }

  private schedule(ms: number) {
    if (this.disposed) return;
    if (this.timer != null) this.opts.timers.clear(this.timer);
    this.timer = this.opts.timers.set(() => {
      this.timer = null;
      void this.flush();
    }, ms);
  }

  private read(): Persisted {
    const empty: Persisted = { v: 1, revisions: {}, pending: {} };
    try {
      const raw = this.opts.storage?.getItem(this.opts.key);
      if (!raw) return empty;
      const parsed = JSON.parse(raw) as Partial<Persisted>;
      return parsed.v === 1 ? { v: 1, revisions: parsed.revisions ?? {}, pending: parsed.pending ?? {} } : empty;
    } catch {
      return empty;
    }
  }

  private write() {
    if (this.handedOver) return;
    try {
      this.opts.storage?.setItem(this.opts.key, JSON.stringify({ v: 1, revisions: this.revisions, pending: this.pending } satisfies Persisted));
    } catch {
      // Storage full or blocked: the answer is still in memory and in the outgoing queue.
    }
  }

  private makeSnapshot(): QueueState {
    return {
      values: { ...this.values },
      pendingCount: this.pendingCount(),
      status: this.status,
      lastSavedAt: this.lastSavedAt,
      fatal: this.fatal,
      handedOver: this.handedOver,
    };
  }

  private emit() {
    this.snapshot = this.makeSnapshot();
    for (const l of this.listeners) l();
  }
}
