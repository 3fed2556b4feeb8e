/**
 * The help desk's timing rules, in one place so the queue colours, the typing indicator and the
 * context refresh agree everywhere they are shown.
 */

/** First-response SLA: a thread waiting this long for an agent's first reply turns amber… */
export const SLA_AMBER_MS = 2 * 60_000;
/** …and this long, red. */
export const SLA_RED_MS = 5 * 60_000;

/** At most one "typing" signal per this interval while someone keeps typing. */
export const TYPING_SEND_EVERY_MS = 2_000;
/** The indicator stays this long after the last signal (a bit more than the send interval). */
export const TYPING_SHOW_MS = 4_000;

/** The agent's candidate context is re-read this often, besides on every event of the thread. */
export const CONTEXT_REFRESH_MS = 10_000;

/** A message or thread body, as the server accepts it. */
export const BODY_MAX = 2000;
export const CANNED_TITLE_MAX = 60;

export type SlaLevel = 'ok' | 'amber' | 'red' | 'met';

/**
 * Where a thread stands against the first-response SLA. The clock starts when the thread last
 * entered the queue (opening or reopening); a reply given before a reopening does not count.
 */
export function slaState(thread: { status: string; queuedAt: Date; firstResponseAt: Date | null }, now: number): { level: SlaLevel; ms: number } | null {
  const queued = thread.queuedAt.getTime();
  if (thread.firstResponseAt && thread.firstResponseAt.getTime() >= queued) {
    return { level: 'met', ms: thread.firstResponseAt.getTime() - queued };
  }
  if (thread.status === 'resolved') return null;
  const ms = Math.max(0, now - queued);
  return { level: ms >= SLA_RED_MS ? 'red' : ms >= SLA_AMBER_MS ? 'amber' : 'ok', ms };
}

/** 0:42, 12:05, 1:02:05 — a waiting time at a glance. */
export function formatElapsed(ms: number) {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
