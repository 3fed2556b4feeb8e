import { on, type EventEmitter } from 'node:events';

/**
 * The payloads emitted on one EventEmitter event, as an async iterator that ends quietly when
 * the signal aborts. `on` registers its listener here, synchronously, so nothing emitted after
 * this call is missed, even before the caller starts iterating (it buffers until then).
 */
export function iterateLocal<T>(emitter: EventEmitter, event: string, signal?: AbortSignal): AsyncGenerator<T> {
  if (signal?.aborted) return (async function* () {})();
  const it = on(emitter, event, { signal });
  return (async function* () {
    try {
      for await (const [payload] of it) yield payload as T;
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
}
