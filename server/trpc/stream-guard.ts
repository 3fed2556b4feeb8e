/**
 * Open streams re-check access while they run: a stream is authorised when it opens, but an
 * account can be archived, logged out, given a new password or unassigned from a room while its
 * page stays open for hours. Every `everyMs` the check runs again; when it throws, the stream
 * ends with that error (the client's reconnect then meets the same refusal).
 */
export const STREAM_RECHECK = { everyMs: 30_000 };

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> => v != null && typeof (v as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function';

export async function* whileAllowed<T>(source: AsyncIterable<T>, check: () => void, everyMs = STREAM_RECHECK.everyMs): AsyncGenerator<T> {
  const it = source[Symbol.asyncIterator]();
  let refuse: (err: unknown) => void = () => {};
  const refused = new Promise<never>((_, reject) => (refuse = reject));
  refused.catch(() => {});
  const timer = setInterval(() => {
    try {
      check();
    } catch (err) {
      refuse(err);
    }
  }, everyMs);
  timer.unref?.();
  try {
    for (;;) {
      const r = await Promise.race([it.next(), refused]);
      if (r.done) return;
      yield r.value;
    }
  } finally {
    clearInterval(timer);
    // Not awaited: the source may be parked on its own await; the request's abort ends it.
    void it.return?.(undefined)?.catch?.(() => {});
  }
}

/** Wraps a subscription's result, when it is a stream, in `whileAllowed`. */
export function guardStream<R extends { ok: boolean }>(result: R, check: () => void): R {
  if (!result.ok) return result;
  const data = (result as unknown as { data: unknown }).data;
  if (!isAsyncIterable(data)) return result;
  return { ...result, data: whileAllowed(data, check) };
}
