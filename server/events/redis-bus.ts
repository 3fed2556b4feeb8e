import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { createClient } from 'redis';
import superjson from 'superjson';
import type { BusChannels, BusSubscription, EventBus } from './bus';
import { iterateLocal } from './local';

/**
 * Raised in every live subscription when the Redis subscriber connection was lost and has come
 * back: Redis pub/sub does not replay what was published meanwhile. Ending the stream with an
 * error makes tRPC's SSE client reconnect with its last event id, so the router's backfill
 * delivers whatever the gap swallowed (INTERNAL_SERVER_ERROR is one of tRPC's retryable codes).
 */
export class BusGapError extends Error {
  override name = 'BusGapError';
  constructor() {
    super('The event bus lost its Redis subscription; resume from the last event id');
  }
}

export type RedisBusOptions = {
  url: string;
  /** Prefixed to every Redis channel, so several deployments can share one Redis. */
  prefix?: string;
  /** Where connection trouble is reported; the client library retries on its own. */
  log?: (message: string) => void;
};

type ChannelState = {
  listeners: number;
  /** Settles when Redis acknowledged the SUBSCRIBE. */
  ready: Promise<void>;
  onMessage: (message: string) => void;
};

/**
 * The event bus across processes: every process publishes what it emits to Redis and
 * subscribes to the channels its open subscriptions listen to.
 *
 * - One publisher and one subscriber connection per process, however many listeners there are:
 *   Redis SUBSCRIBEs a channel when its first local listener arrives and UNSUBSCRIBEs when the
 *   last one leaves; local listeners are fanned out from an EventEmitter.
 * - A process's own events reach its own listeners synchronously, exactly like the in-process
 *   bus, and the copy Redis echoes back is dropped by its origin tag: one copy per listener, and
 *   a process alone behaves as it did without Redis. Other processes' events arrive in the
 *   order each of them published.
 * - Payloads travel as superjson, so Dates (and undefined, Maps...) survive.
 */
export class RedisBus implements EventBus {
  /** Another process's rows can overtake this one's: see `inIdOrder`. */
  readonly reorders = true;
  private readonly local = new EventEmitter();
  private readonly pub: ReturnType<typeof createClient>;
  private readonly sub: ReturnType<typeof createClient>;
  private readonly channels = new Map<string, ChannelState>();
  /** Tags this process's messages so the echo from Redis can be skipped without parsing. */
  private readonly origin = `${randomUUID()}|`;
  private readonly prefix: string;
  private readonly log: (message: string) => void;
  /** Every Redis command is chained on this, so they go out in call order once connected. */
  private readonly connected: Promise<unknown>;
  /** 'gap' ends live subscriptions with BusGapError when the subscriber reconnects; 'close' ends them quietly. */
  private readonly control = new EventEmitter();
  private subWasReady = false;
  private subLost = false;
  private closed = false;

  constructor({ url, prefix = 'exam:', log = (m) => console.error(m) }: RedisBusOptions) {
    this.prefix = prefix;
    this.log = log;
    this.local.setMaxListeners(0);
    this.control.setMaxListeners(0);
    this.pub = createClient({ url });
    this.sub = this.pub.duplicate();
    for (const [name, client] of [
      ['publisher', this.pub],
      ['subscriber', this.sub],
    ] as const) {
      // Without an 'error' listener a dropped connection would crash the process; the client
      // reconnects by itself (and re-sends the SUBSCRIBEs it holds before it is ready again).
      // While Redis is down the client retries every few hundred ms: say so once per kind of failure.
      let last = '';
      client.on('error', (err: Error) => {
        if (err.message !== last) this.log(`event bus: Redis ${name}: ${err.message}`);
        last = err.message;
      });
      client.on('ready', () => (last = ''));
    }
    this.sub.on('reconnecting', () => {
      // Only a connection that was up can have dropped messages; the first connect cannot.
      if (this.subWasReady) this.subLost = true;
    });
    this.sub.on('ready', () => {
      this.subWasReady = true;
      if (!this.subLost) return;
      this.subLost = false;
      this.log('event bus: Redis subscriber is back; live subscriptions restart from their last event id');
      this.control.emit('gap', new BusGapError());
    });
    this.connected = Promise.all([this.pub.connect(), this.sub.connect()]);
    this.connected.catch((err: Error) => this.log(`event bus: cannot connect to Redis: ${err.message}`));
  }

  /** Settles once both connections are up (the client keeps retrying while Redis is unreachable). */
  whenConnected(): Promise<void> {
    return this.connected.then(() => undefined);
  }

  /**
   * Resolves when Redis answers a PING on the publisher within `timeoutMs` and the subscriber
   * is connected too (events from other processes arrive on it); rejects otherwise. A connection
   * that is down fails at once rather than queueing the PING for when it is back.
   */
  async ping(timeoutMs: number): Promise<void> {
    if (this.closed) throw new Error('closed');
    if (!this.pub.isReady || !this.sub.isReady) throw new Error('not connected');
    const signal = AbortSignal.timeout(timeoutMs);
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        // The signal drops the PING if it has not been written yet; the timer bounds the wait for a written one.
        this.pub.withAbortSignal(signal).ping(),
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), timeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  emit<K extends keyof BusChannels>(channel: K, payload: BusChannels[K]) {
    if (this.closed) return;
    const message = this.origin + superjson.stringify(payload);
    this.local.emit(channel, payload);
    this.connected
      .then(() => this.pub.publish(this.prefix + channel, message))
      .catch((err: Error) => this.log(`event bus: publish on ${channel} failed: ${err.message}`));
  }

  listen<K extends keyof BusChannels>(channel: K, signal?: AbortSignal): BusSubscription<BusChannels[K]> {
    if (this.closed || signal?.aborted) return Object.assign((async function* () {})(), { ready: Promise.resolve() });

    const ready = this.retain(channel);
    // A gap ends a request's stream (one with a signal) with BusGapError, so its client resumes
    // from its last event id. A process-wide tap (no signal, nobody to resume it) keeps
    // listening instead: it misses what Redis dropped, but an error would only kill it.
    const stop = new AbortController();
    const onStop = (reason?: BusGapError) => stop.abort(reason ?? null);
    this.control.on('close', onStop);
    if (signal) this.control.on('gap', onStop);
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.control.off('gap', onStop).off('close', onStop);
      signal?.removeEventListener('abort', release);
      this.release(channel);
    };
    signal?.addEventListener('abort', release, { once: true });

    const combined = signal ? AbortSignal.any([signal, stop.signal]) : stop.signal;
    const local = iterateLocal<BusChannels[K]>(this.local, channel, combined);
    const iterable = (async function* () {
      try {
        yield* local;
        if (stop.signal.reason instanceof BusGapError && !signal?.aborted) throw stop.signal.reason;
      } finally {
        release();
      }
    })();
    return Object.assign(iterable, { ready });
  }

  /** Closes both connections; live subscriptions end. Safe to call twice. */
  async close() {
    if (this.closed) return;
    this.closed = true;
    this.control.emit('close');
    // Up: flush what is queued and say goodbye. Still trying to connect: stop trying.
    await Promise.allSettled([this.sub, this.pub].map((c) => (c.isReady ? c.close() : c.destroy())));
  }

  private retain(channel: string): Promise<void> {
    const known = this.channels.get(channel);
    if (known) {
      known.listeners++;
      return known.ready;
    }
    const onMessage = (message: string) => {
      if (message.startsWith(this.origin)) return;
      const at = message.indexOf('|');
      let payload: unknown;
      try {
        payload = superjson.parse(message.slice(at + 1));
      } catch (err) {
        this.log(`event bus: unreadable message on ${channel}: ${(err as Error).message}`);
        return;
      }
      this.local.emit(channel, payload);
    };
    const ready = this.connected.then(() => this.sub.subscribe(this.prefix + channel, onMessage));
    // A failed SUBSCRIBE is logged here; `ready` still rejects for a caller that awaits it.
    ready.catch((err: Error) => this.log(`event bus: subscribe ${channel} failed: ${err.message}`));
    this.channels.set(channel, { listeners: 1, ready, onMessage });
    return ready;
  }

  private release(channel: string) {
    const state = this.channels.get(channel);
    if (!state) return;
    if (--state.listeners > 0) return;
    this.channels.delete(channel);
    if (this.closed) return;
    this.connected
      .then(() => this.sub.unsubscribe(this.prefix + channel, state.onMessage))
      .catch((err: Error) => this.log(`event bus: unsubscribe ${channel} failed: ${err.message}`));
  }

  /** For tests: the channels this process holds a Redis subscription for, with listener counts. */
  subscribedChannels(): Record<string, number> {
    return Object.fromEntries([...this.channels].map(([name, s]) => [name, s.listeners]));
  }
}
