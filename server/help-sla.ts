/**
 * The help desk's first-response rule, shared by the server (the support lead's breach count)
 * and the browser (the queue's colours): one threshold, one reading of it. No imports.
 */

/** First-response SLA: a thread waiting this long for an agent's first reply turns amber… */
export const SLA_AMBER_MS = 2 * 60_000;
/** …and this long, red: the first response is late (a breach). */
export const SLA_RED_MS = 5 * 60_000;

export type SlaLevel = 'ok' | 'amber' | 'red' | 'met';

type SlaThread = { status: string; queuedAt: Date; firstResponseAt: Date | null; resolvedAt?: Date | null };

/**
 * Where a thread stands against the first-response SLA. The clock starts when the thread last
 * entered the queue (opening or reopening); a reply given before a reopening does not count.
 */
export function slaState(thread: SlaThread, now: number): { level: SlaLevel; ms: number } | null {
  const queued = thread.queuedAt.getTime();
  if (thread.firstResponseAt && thread.firstResponseAt.getTime() >= queued) {
    return { level: 'met', ms: thread.firstResponseAt.getTime() - queued };
  }
  if (thread.status === 'resolved') return null;
  const ms = Math.max(0, now - queued);
  return { level: ms >= SLA_RED_MS ? 'red' : ms >= SLA_AMBER_MS ? 'amber' : 'ok', ms };
}

/**
 * Whether the thread's first response was (or is now) later than the red mark: answered late,
 * still waiting past it, or closed without a reply after waiting past it.
 */
export function firstResponseBreached(thread: SlaThread, now: number): boolean {
  const s = slaState(thread, now);
  if (s) return s.ms >= SLA_RED_MS;
  const closed = thread.resolvedAt?.getTime();
  return closed != null && closed - thread.queuedAt.getTime() >= SLA_RED_MS;
}
