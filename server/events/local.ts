import type { EventEmitter } from 'node:events';

/**
 * The payloads emitted on one EventEmitter event, as an async iterator that ends quietly when
 * the signal aborts. The listener is registered here, synchronously, so nothing emitted after
 * this call is missed, even before the caller starts iterating (it is queued until then).
 *
 * Not `events.on()`: that preallocates a 2,048-slot queue (16 KB) per iterator, and a server
 * with 5,000 tabs open holds some 20,000 of these listeners. This queue is a plain array that
 * is as long as what is waiting in it, usually nothing.
 */
export function iterateLocal<T>(emitter: EventEmitter, event: string, signal?: AbortSignal): AsyncGenerator<T> {
  if (signal?.aborted) return (async function* () {})();
  let queue: T[] = [];
  let head = 0;
  let wake: (() => void) | null = null;
  let stopped = false;
  const listener = (payload: T) => {
    queue.push(payload);
    const w = wake;
    wake = null;
    w?.();
  };
  const stop = () => {
    if (stopped) return;
    stopped = true;
    emitter.off(event, listener);
    signal?.removeEventListener('abort', stop);
    const w = wake;
    wake = null;
    w?.();
  };
  emitter.on(event, listener);
  signal?.addEventListener('abort', stop, { once: true });
  return (async function* () {
    try {
      for (;;) {
        // What arrived before the end is still handed over (as `events.on` does).
        while (head < queue.length) {
          const payload = queue[head]!;
          queue[head++] = undefined as T;
          yield payload;
        }
        queue = [];
        head = 0;
        if (stopped) return;
        await new Promise<void>((resolve) => (wake = resolve));
      }
    } finally {
      stop();
    }
  })();
}
