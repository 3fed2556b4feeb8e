/**
 * Reads until `ok` holds or `ms` have passed, every `everyMs`: the last reading either way, or,
 * with an `error`, a throw at the deadline. Benchmarks poll for a condition, never sleep for it.
 */
export async function waitUntil<T>(read: () => Promise<T>, ok: (x: T) => boolean, ms: number, error: string | null = null, everyMs = 100): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const x = await read();
    if (ok(x)) return x;
    if (Date.now() > deadline) {
      if (error) throw new Error(error);
      return x;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
