/**
 * How long a tab waits before reconnecting its live stream, after `failures` failed attempts in a
 * row (0: the stream just dropped). Full jitter: a random point of the window, so 5,000 tabs
 * whose server restarted spread their reconnects over seconds instead of arriving in the same
 * one. The first window is short (a blip costs little); later ones double up to a cap.
 */
export const BACKOFF = { firstMs: 3_000, baseMs: 1_000, capMs: 30_000 };

export function reconnectDelay(failures: number, random: () => number = Math.random): number {
  const window = failures === 0 ? BACKOFF.firstMs : Math.min(BACKOFF.capMs, BACKOFF.baseMs * 2 ** failures);
  return Math.round(random() * window);
}
