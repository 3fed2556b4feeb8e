import type { FaceDetail, FaceSignal } from '@/server/face/signals';
import type { KeyValueStorage } from './answers-queue';
import { appCodeOf, failureKind } from './exam-errors';

/** Mirrors the server's INTEGRITY_SIGNALS (components may not import server code); the face signals are shared. */
export type IntegritySignal =
  | 'page_hidden'
  | 'page_visible'
  | 'window_blurred'
  | 'window_focused'
  | 'fullscreen_left'
  | 'fullscreen_entered'
  | 'screen_share_stopped'
  | 'screen_share_restored'
  | 'camera_lost'
  | 'camera_restored'
  | 'microphone_lost'
  | 'microphone_restored'
  | 'extended_display'
  | 'single_display'
  | 'offline'
  | 'online'
  | FaceSignal;

export type IntegrityReport = {
  signal: IntegritySignal;
  at: number;
  detail?: string;
  face?: FaceDetail;
  /** A JPEG data URL: evidence for the flag a face condition's start raises. */
  still?: string;
};

/**
 * Whether a refused report may go through later: the network or the server failing, or the
 * server's per-minute cap on reports (the report waits its turn instead of being lost).
 */
export const integrityRetryable = (err: unknown) => failureKind(err) !== 'fatal' || appCodeOf(err) === 'exam.integrityThrottled';

/**
 * Integrity signals waiting to reach the server, oldest first. Like answers, they are kept in
 * local storage while offline and sent when the connection is back; each keeps the server-time
 * moment it was seen, so a late delivery still lands at the right place on the timeline.
 */
export class IntegrityOutbox {
  private items: IntegrityReport[];
  private sending = false;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private disposed = false;

  constructor(
    private readonly opts: {
      key: string;
      storage: KeyValueStorage | null;
      send: (r: IntegrityReport) => Promise<unknown>;
      /** True when the failure may pass (no connection, server error); false drops the report. */
      retryable: (err: unknown) => boolean;
    },
  ) {
    this.items = this.read();
  }

  push(report: IntegrityReport) {
    this.items.push(report);
    // A page left open offline for hours must not fill the storage: the oldest go first.
    if (this.items.length > 500) this.items.splice(0, this.items.length - 500);
    this.write();
    void this.pump();
  }

  online() {
    this.attempt = 0;
    void this.pump();
  }

  get size() {
    return this.items.length;
  }

  dispose() {
    this.disposed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  async pump(): Promise<void> {
    if (this.sending || this.disposed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.sending = true;
    try {
      while (this.items.length && !this.disposed) {
        const next = this.items[0]!;
        try {
          await this.opts.send(next);
        } catch (err) {
          if (this.opts.retryable(err)) {
            const delay = Math.min(1000 * 2 ** this.attempt++, 30_000);
            this.timer = setTimeout(() => void this.pump(), delay);
            return;
          }
        }
        this.attempt = 0;
        this.items.shift();
        this.write();
      }
    } finally {
      this.sending = false;
    }
  }

  private read(): IntegrityReport[] {
    try {
      const raw = this.opts.storage?.getItem(this.opts.key);
      const parsed: unknown = raw ? JSON.parse(raw) : [];
      return Array.isArray(parsed) ? (parsed as IntegrityReport[]) : [];
    } catch {
      return [];
    }
  }

  private write() {
    try {
      if (this.items.length) this.opts.storage?.setItem(this.opts.key, JSON.stringify(this.items));
      else this.opts.storage?.removeItem(this.opts.key);
    } catch {
      // Storage full (stills take room) or blocked: a reload keeps at least the signals, without
      // their stills; this page still sends them all from memory.
      try {
        this.opts.storage?.setItem(this.opts.key, JSON.stringify(this.items.map(({ still: _still, ...r }) => r)));
      } catch {
        // Blocked altogether: memory only.
      }
    }
  }
}
