/**
 * Who has the help desk open now, for the support lead's view: a count of open `desk` live
 * topics per account, kept in this process's memory. A desk tab holds its topic open for as long
 * as it is shown (and reconnects within seconds when the network drops), so "has a desk topic
 * open" is "at the desk". One process serves the desk today; with several, each knows only its
 * own connections, and this would move to the shared bus (Redis) with the rest of the desk.
 */
const openDesks = new Map<number, number>();

/** Counts one open desk of the user until `signal` aborts (the topic or the connection ended). */
export function deskOpened(userId: number, signal: AbortSignal) {
  if (signal.aborted) return;
  openDesks.set(userId, (openDesks.get(userId) ?? 0) + 1);
  signal.addEventListener(
    'abort',
    () => {
      const n = (openDesks.get(userId) ?? 1) - 1;
      if (n > 0) openDesks.set(userId, n);
      else openDesks.delete(userId);
    },
    { once: true },
  );
}

export function deskOnline(userId: number): boolean {
  return openDesks.has(userId);
}
