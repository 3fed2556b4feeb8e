import { AppError } from '../errors';
import { frame, HEARTBEAT, SseWriter } from '../events/sse';
import { liveStreamOpened } from '../metrics';
import { openTopic, type LiveContext } from './topics';
import type { LiveKind, LiveOpen, LiveRefused, LiveTopic } from './types';

export type TopicRequest = { topic: LiveTopic; kind: LiveKind; id: number; after: number | null };

/**
 * Open streams re-check access while they run: a stream is authorised when it opens, but an
 * account can be archived, logged out, given a new password or unassigned from a room while its
 * page stays open for hours. Every `everyMs` the session and each topic's access are checked
 * again (tests shorten it).
 */
export const STREAM_RECHECK = { everyMs: 30_000 };

/** How long a quiet stream waits before a heartbeat comment, and how far a reader may fall behind. */
export const LIVE_LIMITS = { heartbeatMs: 15_000, maxQueuedBytes: 1024 * 1024 };

/**
 * One tab's live connection: every topic its page needs, multiplexed as SSE frames named by
 * topic. Each topic is opened with its own access check (a refused topic gets a `refused`
 * frame; the others run), resumes after the client's cursor for it, and is checked again every
 * 30 s with the session itself. The connection ends cleanly when the client goes away, when
 * the session ends, when a reader falls too far behind, or when the event bus lost events
 * (the client reconnects and resumes by its cursors either way).
 */
export function openLiveConnection({
  ctx,
  topics,
  signal,
  stillSignedIn,
  describe,
  log = (m) => console.error(m),
}: {
  ctx: LiveContext;
  topics: TopicRequest[];
  /** The request's signal: aborted when the client disconnects. */
  signal: AbortSignal;
  stillSignedIn: () => boolean;
  /** A refusal in the reader's language. */
  describe: (topic: LiveTopic, err: AppError) => LiveRefused;
  log?: (message: string) => void;
}): ReadableStream<Uint8Array> {
  const stops = new Map<LiveTopic, AbortController>();
  const timers = new Set<ReturnType<typeof setTimeout>>();
  /**
   * Runs `fn` about every `ms`, each time after a random 75-125% of it: connections opened in
   * the same second (after a restart, thousands) must not all re-check and send heartbeats in
   * the same second forever after.
   */
  const every = (ms: number, fn: () => void) => {
    const tick = () => {
      timers.delete(timer);
      if (writer.closed) return;
      fn();
      schedule();
    };
    let timer: ReturnType<typeof setTimeout>;
    const schedule = () => {
      timer = setTimeout(tick, ms * (0.75 + Math.random() / 2));
      timer.unref?.();
      timers.add(timer);
    };
    schedule();
  };
  const closed = liveStreamOpened();
  const end = () => {
    closed();
    for (const t of timers) clearTimeout(t);
    for (const c of stops.values()) c.abort();
    signal.removeEventListener('abort', onAbort);
  };
  const writer = new SseWriter({ maxQueuedBytes: LIVE_LIMITS.maxQueuedBytes, onEnd: end });
  const onAbort = () => writer.close();
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) writer.close();

  const refuse = (topic: LiveTopic, err: unknown) => {
    if (err instanceof AppError) return writer.send(frame('refused', describe(topic, err)));
    // Not a refusal but a failure: the topic stops all the same, said with the server's own code.
    log(`live: ${topic} failed: ${(err as Error)?.stack ?? String(err)}`);
    writer.send(frame('refused', { ...describe(topic, new AppError('BAD_REQUEST', 'internal')), code: 'INTERNAL' }));
  };

  void (async () => {
    const opened: { topic: LiveTopic; items: AsyncIterable<{ id?: number; data: object }>; recheck: () => void }[] = [];
    // Opened one after another: each listens, then backfills; a backfill is a few ms.
    for (const t of topics) {
      if (writer.closed) return;
      const stop = new AbortController();
      stops.set(t.topic, stop);
      try {
        const { items, recheck } = await openTopic(ctx, t.kind, t.id, t.after, stop.signal);
        opened.push({ topic: t.topic, items: items as AsyncIterable<{ id?: number; data: object }>, recheck });
      } catch (err) {
        stops.delete(t.topic);
        stop.abort();
        refuse(t.topic, err);
      }
    }
    if (writer.closed) {
      for (const c of stops.values()) c.abort();
      return;
    }
    writer.send(frame('open', { topics: opened.map((o) => o.topic) } satisfies LiveOpen));

    for (const o of opened) {
      void (async () => {
        try {
          for await (const item of o.items) writer.send(frame(o.topic, item.data, item.id));
        } catch (err) {
          // A lost bus subscription (Redis) or a failed read: the client resumes from its cursors.
          if (!writer.closed) log(`live: ${o.topic} ended: ${(err as Error)?.message ?? String(err)}`);
          writer.close();
        }
      })();
    }

    const heartbeat = () => {
      // Only a stream that has been quiet needs one.
      if (Date.now() - writer.lastSentAt >= LIVE_LIMITS.heartbeatMs / 2) writer.send(HEARTBEAT);
    };
    const recheck = () => {
      try {
        if (!stillSignedIn()) return writer.close();
      } catch (err) {
        // The database could not say (busy, closed): end the connection; the client comes back and is checked afresh.
        log(`live: session re-check failed: ${(err as Error)?.message ?? String(err)}`);
        return writer.close();
      }
      for (const o of opened) {
        const stop = stops.get(o.topic);
        if (!stop || stop.signal.aborted) continue;
        try {
          o.recheck();
        } catch (err) {
          stop.abort();
          refuse(o.topic, err);
        }
      }
    };
    every(LIVE_LIMITS.heartbeatMs, heartbeat);
    every(STREAM_RECHECK.everyMs, recheck);
  })().catch((err) => {
    log(`live: connection failed: ${(err as Error)?.stack ?? String(err)}`);
    writer.close();
  });

  return writer.stream;
}
