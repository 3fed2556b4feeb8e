import superjson from 'superjson';

/*
 * Server-sent events, written once and sent as the same bytes to every reader of an event.
 */

const encoder = new TextEncoder();

/** The frames of recently sent objects: 5,000 candidates receiving one broadcast share one serialisation. */
const frames = new WeakMap<object, { event: string; id: number | undefined; bytes: Uint8Array }>();

/**
 * One SSE frame (`event`, optional `id`, superjson `data`) as bytes. The bytes are kept with the
 * data object, so every stream that sends the same object under the same event name sends the
 * same buffer (the topic streams hand the same object to all their readers: see `perRow`).
 */
export function frame(event: string, data: object, id?: number): Uint8Array {
  const known = frames.get(data);
  if (known && known.event === event && known.id === id) return known.bytes;
  const bytes = encoder.encode(`event: ${event}\n${id != null ? `id: ${id}\n` : ''}data: ${superjson.stringify(data)}\n\n`);
  frames.set(data, { event, id, bytes });
  return bytes;
}

/** A comment line: keeps proxies and the client's idle timer from closing a quiet stream. */
export const HEARTBEAT = encoder.encode(': keep-alive\n\n');

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache, no-store, no-transform',
  // nginx and similar proxies must not hold events back to fill a buffer.
  'x-accel-buffering': 'no',
} as const;

/**
 * The byte stream of one SSE response, bounded: a reader that falls more than `maxQueuedBytes`
 * behind, beyond the stream's own 16 KB buffer (a dead connection the OS has not noticed yet, a
 * stalled tab), is dropped, its queue freed, and it resumes from its last ids when it
 * reconnects. Nothing is ever buffered without limit for a reader that does not read.
 */
export class SseWriter {
  readonly stream: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private ended = false;
  private readonly onEnd: () => void;
  private readonly maxQueued: number;
  /** When bytes were last queued (ms since the epoch): a quiet stream needs a heartbeat. */
  lastSentAt = Date.now();

  /** `onEnd` runs once, however the stream ends: closed here, dropped as too slow, or cancelled by the reader going away. */
  constructor({ maxQueuedBytes, onEnd }: { maxQueuedBytes: number; onEnd: () => void }) {
    this.onEnd = onEnd;
    this.maxQueued = maxQueuedBytes;
    this.stream = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.controller = c;
        },
        cancel: () => {
          if (this.ended) return;
          this.ended = true;
          this.onEnd();
        },
      },
      { highWaterMark: 16 * 1024, size: (chunk) => chunk.byteLength },
    );
  }

  get closed() {
    return this.ended;
  }

  /** Queues bytes for the reader; drops the reader instead when it is too far behind. */
  send(bytes: Uint8Array) {
    if (this.ended) return;
    this.lastSentAt = Date.now();
    this.controller.enqueue(bytes);
    if ((this.controller.desiredSize ?? 0) < -this.maxQueued) {
      this.ended = true;
      // error() discards the queue at once (close() would keep it until read).
      this.controller.error(new Error('reader too slow'));
      this.onEnd();
    }
  }

  /** Ends the response after what is queued (the client reconnects and resumes). */
  close() {
    if (this.ended) return;
    this.ended = true;
    try {
      this.controller.close();
    } catch {
      // already errored or cancelled
    }
    this.onEnd();
  }
}
