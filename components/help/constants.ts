/**
 * The help desk's timing rules, in one place so the queue colours, the typing indicator and the
 * context refresh agree everywhere they are shown.
 */

export { SLA_AMBER_MS, SLA_RED_MS, slaState, type SlaLevel } from '@/server/help-sla';

/** At most one "typing" signal per this interval while someone keeps typing. */
export const TYPING_SEND_EVERY_MS = 2_000;
/** The indicator stays this long after the last signal (a bit more than the send interval). */
export const TYPING_SHOW_MS = 4_000;

/** The agent's candidate context is re-read this often, besides on every event of the thread. */
export const CONTEXT_REFRESH_MS = 10_000;

/** A message or thread body, as the server accepts it. */
export const BODY_MAX = 2000;
export const CANNED_TITLE_MAX = 60;

/** 0:42, 12:05, 1:02:05 — a waiting time at a glance. */
export function formatElapsed(ms: number) {
  const s = Math.floor(ms / 1000);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}
