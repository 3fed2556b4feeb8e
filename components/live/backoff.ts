/**
 * How long a tab waits before reconnecting its live stream, after `failures` failed attempts in a
 * row (0: the stream just dropped). Full jitter: a random point of the window, so 5,000 tabs
 * whose server restarted spread their reconnects over seconds instead of arriving in the same
 * one. The first window is short (a blip costs little); later ones double up to a cap. The cap
 * is low (8 s): an app restart takes a few seconds, and a tab that failed three times during it
 * must not then sit out half a minute of an exam; 5,000 tabs at one try per 4 s on average is
 * still only ~1,250 attempts a second against a server that is down (each refused at once).
 */
export const BACKOFF = { firstMs: 3_000, baseMs: 1_000, capMs: 8_000 };

export function reconnectDelay(failures: number, random: () => number = Math.random): number {
  const window = failures === 0 ? BACKOFF.firstMs : Math.min(BACKOFF.capMs, BACKOFF.baseMs * 2 ** failures);
  return Math.round(random() * window);
}
