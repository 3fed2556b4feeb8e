import { setMaxListeners } from 'node:events';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HelpTyping, MessageStats } from '@/server/events/bus';
import { createInProcessBus, type EventBus } from '@/server/events/bus';
import { BusGapError, RedisBus } from '@/server/events/redis-bus';
import { freePort, startRedis, type RedisServer } from '../helpers/redis';

/**
 * One suite, run against both buses. `a` and `b` stand for two app processes: for the
 * in-process bus they are the same object (one process is all it serves); for Redis they are
 * two RedisBus instances with their own connections, as in two `next start` processes.
 */
type Pair = { a: EventBus; b: EventBus; close: () => Promise<void> };

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis?.stop();
});

const quiet = () => {};
const redisBus = () => new RedisBus({ url: redis.url, prefix: `t${Math.random().toString(36).slice(2)}:`, log: quiet });

const implementations: { name: string; make: () => Pair }[] = [
  {
    name: 'in-process',
    make: () => {
      const bus = createInProcessBus();
      return { a: bus, b: bus, close: async () => {} };
    },
  },
  {
    name: 'redis',
    make: () => {
      const prefix = `t${Math.random().toString(36).slice(2)}:`;
      const a = new RedisBus({ url: redis.url, prefix, log: quiet });
      const b = new RedisBus({ url: redis.url, prefix, log: quiet });
      return { a, b, close: async () => void (await Promise.all([a.close(), b.close()])) };
    },
  },
];

const typing = (userId: number): HelpTyping => ({ threadId: 7, side: 'agent', userId, name: `agent ${userId}` });

/** The next `n` payloads of an iterable (fewer if it ends), leaving it open for more. */
async function take<T>(iterable: AsyncIterable<T>, n: number): Promise<T[]> {
  const it = iterable[Symbol.asyncIterator]();
  const out: T[] = [];
  while (out.length < n) {
    const r = await it.next();
    if (r.done) break;
    out.push(r.value);
  }
  return out;
}

/** The next payload; fails if the iterable ended instead. */
async function one<T>(iterable: AsyncIterable<T>): Promise<T> {
  const [item] = await take(iterable, 1);
  if (item === undefined) throw new Error('the stream ended');
  return item;
}

describe.each(implementations)('event bus ($name)', ({ make }) => {
  it("delivers another process's events to a listener, in the order they were emitted", async () => {
    const { a, b, close } = make();
    try {
      const stop = new AbortController();
      const live = b.listen('help:typing:7', stop.signal);
      await live.ready;
      const got = take(live, 50);
      for (let i = 1; i <= 50; i++) a.emit('help:typing:7', typing(i));
      expect((await got).map((t) => t.userId)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      stop.abort();
    } finally {
      await close();
    }
  });

  it('delivers a process its own events exactly once, from the moment listen returns', async () => {
    const { a, close } = make();
    try {
      const stop = new AbortController();
      const live = a.listen('help:typing:7', stop.signal);
      // No await of `ready`: own events must not depend on the Redis subscription.
      a.emit('help:typing:7', typing(1));
      a.emit('help:typing:7', typing(2));
      expect((await take(live, 2)).map((t) => t.userId)).toEqual([1, 2]);
      // A later event arrives next, so no echo of 1 or 2 came in between.
      await live.ready;
      a.emit('help:typing:7', typing(3));
      expect((await one(live)).userId).toBe(3);
      stop.abort();
    } finally {
      await close();
    }
  });

  it('keeps Dates as Dates', async () => {
    const { a, b, close } = make();
    try {
      const stop = new AbortController();
      const live = b.listen('help:desk', stop.signal);
      await live.ready;
      const createdAt = new Date('2026-03-01T08:30:00.123Z');
      a.emit('help:desk', { id: 1, threadId: 2, candidateId: 3, type: 'message', createdAt } as never);
      const event = await one(live);
      expect(event.createdAt).toBeInstanceOf(Date);
      expect((event.createdAt as Date).toISOString()).toBe('2026-03-01T08:30:00.123Z');
      stop.abort();
    } finally {
      await close();
    }
  });

  it('gives every listener of a channel one copy of each event', async () => {
    const { a, b, close } = make();
    try {
      const stop = new AbortController();
      setMaxListeners(0, stop.signal);
      const listeners = Array.from({ length: 20 }, () => b.listen('messages:stats:5', stop.signal));
      await Promise.all(listeners.map((l) => l.ready));
      const got = Promise.all(listeners.map((l) => take(l, 3)));
      const stats = (delivered: number): MessageStats => ({ messageId: 5, recipients: 10, delivered, read: 0, acknowledged: 0 });
      for (const d of [1, 2, 3]) a.emit('messages:stats:5', stats(d));
      for (const copies of await got) expect(copies.map((s) => s.delivered)).toEqual([1, 2, 3]);
      stop.abort();
    } finally {
      await close();
    }
  });

  it('does not cross channels', async () => {
    const { a, b, close } = make();
    try {
      const stop = new AbortController();
      const seven = b.listen('help:typing:7', stop.signal);
      const eight = b.listen('help:typing:8', stop.signal);
      await Promise.all([seven.ready, eight.ready]);
      a.emit('help:typing:8', { ...typing(80), threadId: 8 });
      a.emit('help:typing:7', typing(70));
      expect((await one(seven)).userId).toBe(70);
      expect((await one(eight)).userId).toBe(80);
      stop.abort();
    } finally {
      await close();
    }
  });

  it('ends a listener when its signal aborts, leaving the others listening', async () => {
    const { a, b, close } = make();
    try {
      const gone = new AbortController();
      const stays = new AbortController();
      const leaving = b.listen('help:typing:7', gone.signal)[Symbol.asyncIterator]();
      const staying = b.listen('help:typing:7', stays.signal);
      await b.listen('help:typing:7', stays.signal).ready;
      gone.abort();
      expect(await leaving.next()).toEqual({ done: true, value: undefined });
      a.emit('help:typing:7', typing(9));
      expect((await one(staying)).userId).toBe(9);
      stays.abort();
      // A listener started with an aborted signal is over at once.
      expect(await take(b.listen('help:typing:7', gone.signal), 1)).toEqual([]);
    } finally {
      await close();
    }
  });
});

/** Subscriber counts Redis itself reports for the channels. */
async function numsub(url: string, channels: string[]) {
  const admin = createClient({ url });
  await admin.connect();
  try {
    return (await admin.sendCommand(['PUBSUB', 'NUMSUB', ...channels])) as (string | number)[];
  } finally {
    await admin.close();
  }
}

async function until(check: () => Promise<boolean>) {
  while (!(await check())) await new Promise((r) => setTimeout(r, 20));
}

describe('Redis bus specifics', () => {
  it('holds one Redis subscription per channel however many listeners, and UNSUBSCRIBEs when the last one leaves', async () => {
    const bus = redisBus();
    try {
      const first = new AbortController();
      const second = new AbortController();
      await Promise.all([bus.listen('help:desk', first.signal).ready, bus.listen('help:desk', second.signal).ready]);
      expect(bus.subscribedChannels()).toEqual({ 'help:desk': 2 });
      const channel = `${(bus as unknown as { prefix: string }).prefix}help:desk`;
      expect(await numsub(redis.url, [channel])).toEqual([channel, 1]);

      first.abort();
      expect(bus.subscribedChannels()).toEqual({ 'help:desk': 1 });
      second.abort();
      expect(bus.subscribedChannels()).toEqual({});
      await until(async () => (await numsub(redis.url, [channel]))[1] === 0);
    } finally {
      await bus.close();
    }
  });

  it('releases the subscription when the consumer stops iterating (no signal)', async () => {
    const bus = redisBus();
    try {
      const live = bus.listen('help:typing:1');
      await live.ready;
      bus.emit('help:typing:1', typing(1));
      for await (const t of live) {
        expect(t.userId).toBe(1);
        break;
      }
      expect(bus.subscribedChannels()).toEqual({});
    } finally {
      await bus.close();
    }
  });

  it('after the subscriber connection drops, request streams end with BusGapError, taps carry on, and new listeners get events again', async () => {
    const prefix = `gap${Math.random().toString(36).slice(2)}:`;
    const a = new RedisBus({ url: redis.url, prefix, log: quiet });
    const b = new RedisBus({ url: redis.url, prefix, log: quiet });
    try {
      const subscription = b.listen('help:desk', new AbortController().signal);
      const tap = b.listen('help:desk');
      await subscription.ready;
      const next = subscription[Symbol.asyncIterator]().next();

      // Kill every pub/sub connection: b's subscriber reconnects and re-subscribes on its own.
      const admin = createClient({ url: redis.url });
      await admin.connect();
      await admin.sendCommand(['CLIENT', 'KILL', 'TYPE', 'pubsub']);
      await admin.close();
      await expect(next).rejects.toBeInstanceOf(BusGapError);

      // The client reconnects (as tRPC's SSE client would) and events flow again.
      const again = b.listen('help:desk');
      await again.ready;
      a.emit('help:desk', { id: 42 } as never);
      expect((await one(again)).id).toBe(42);
      // A process-wide tap (no signal: nobody could resume it) keeps listening through the gap.
      expect((await one(tap)).id).toBe(42);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('a process that starts before Redis is reachable serves its own listeners meanwhile and joins the others once Redis is up', async () => {
    const port = await freePort();
    const url = `redis://127.0.0.1:${port}`;
    const logged: string[] = [];
    const a = new RedisBus({ url, log: (m) => logged.push(m) });
    const b = new RedisBus({ url, log: quiet });
    let late: RedisServer | null = null;
    try {
      const own = a.listen('help:typing:3');
      a.emit('help:typing:3', typing(1));
      expect((await one(own)).userId).toBe(1);

      const remote = b.listen('help:typing:3');
      late = await startRedis({ port });
      await remote.ready;
      a.emit('help:typing:3', typing(2));
      // The event emitted while Redis was down is published once it is up: b may see it too.
      const seen: number[] = [];
      while (seen.at(-1) !== 2) seen.push((await one(remote)).userId);
      expect([[2], [1, 2]]).toContainEqual(seen);
      expect((await one(own)).userId).toBe(2);
      // Refused connections are reported, once per kind of failure rather than once per retry.
      expect(logged.filter((m) => m.includes('ECONNREFUSED')).length).toBeLessThanOrEqual(2);
    } finally {
      await Promise.all([a.close(), b.close()]);
      await late?.stop();
    }
  });

  it('close() returns while Redis is still unreachable', async () => {
    const bus = new RedisBus({ url: `redis://127.0.0.1:${await freePort()}`, log: quiet });
    const live = bus.listen('help:desk');
    bus.emit('help:desk', { id: 1 } as never);
    await bus.close();
    // Its own event had been delivered locally; after close the stream just ends.
    expect((await take(live, 5)).map((e) => e.id)).toEqual([1]);
  });

  it('close() ends live streams quietly and later emits are dropped', async () => {
    const bus = redisBus();
    const live = bus.listen('messages:new');
    await live.ready;
    const done = take(live, 1);
    await bus.close();
    expect(await done).toEqual([]);
    bus.emit('messages:new', { id: 1 } as never);
    expect(await take(bus.listen('messages:new'), 1)).toEqual([]);
  });
});
