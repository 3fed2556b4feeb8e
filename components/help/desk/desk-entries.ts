/** A desk row and the newest thread event its summary reflects. */
export type DeskEntry<T> = { thread: T; eventId: number };

/**
 * Puts a thread summary into the desk's rows unless the row already reflects a newer event.
 * Summaries come from the stream (each with its event id) and from mutations' answers; the
 * summary's own `lastEventId` says how new it is, so a late answer (resolve) cannot step back a
 * row that the stream has already moved on (reopened by the candidate a moment later).
 */
export function putNewest<T extends { id: number; lastEventId: number }>(
  rows: ReadonlyMap<number, DeskEntry<T>>,
  thread: T,
  eventId = 0,
): ReadonlyMap<number, DeskEntry<T>> {
  const at = Math.max(eventId, thread.lastEventId);
  const old = rows.get(thread.id);
  if (old && old.eventId > at) return rows;
  const next = new Map(rows);
  next.set(thread.id, { thread, eventId: at });
  return next;
}
