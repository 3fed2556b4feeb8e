import type { BusChannels, EventBus } from './bus';

/** One item of a live topic: tracked items carry the id a reconnect resumes after; the rest (typing, queue positions, counts) do not. */
export type LiveItem<T> = { id?: number; data: T };

type Row<K extends keyof BusChannels> = BusChannels[K] & { id: number };
type IdChannel = { [K in keyof BusChannels]: BusChannels[K] extends { id: number } ? K : never }[keyof BusChannels];

/**
 * The one resumable stream of stored rows. Every tracked topic (room events, a candidate's
 * commands, system messages, a candidate's help threads, the help desk) is this loop:
 *
 *  1. listen on the bus channel, and wait until events of other processes arrive too (`ready`);
 *  2. backfill from the database after the client's cursor (or as a page load, without one);
 *  3. pass live rows on, skipping ids at or below the cursor: a row seen by both the backfill
 *     and the listener goes out once. Where the bus may reorder (Redis), each arrival is
 *     replaced by the gap read from the database (`between`), so a row that arrives late is
 *     not skipped (`inIdOrder`).
 *
 * `backfill` returns the items to send first and the cursor they leave (it may be ahead of the
 * last item: rows the backfill decided to leave out are not looked at again). `accept` maps a
 * live row to what the client gets, or null to leave it out; the cursor moves past it either
 * way. Listening starts when this is called; nothing is missed between the call and the first
 * pull.
 */
export async function resumable<K extends IdChannel, Out>({
  bus,
  channel,
  signal,
  backfill,
  between,
  accept,
}: {
  bus: EventBus;
  channel: K;
  signal?: AbortSignal;
  backfill: () => { items: LiveItem<Out>[]; cursor: number };
  between: (after: number, upTo: number) => Row<K>[];
  accept: (row: Row<K>) => Out | null;
}): Promise<AsyncGenerator<LiveItem<Out>>> {
  const live = bus.listen(channel, signal) as AsyncIterable<Row<K>> & { ready: Promise<void> };
  await live.ready;
  const start = backfill();
  return (async function* () {
    let cursor = start.cursor;
    for (const item of start.items) yield item;
    // In one process rows arrive in id order: no gap reads, and one generator fewer per event and reader.
    const rows = bus.reorders ? inIdOrder(live, { bus, after: cursor, between }) : live;
    for await (const row of rows) {
      if (row.id <= cursor) continue;
      cursor = row.id;
      const data = accept(row);
      if (data != null) yield { id: row.id, data };
    }
  })();
}

/**
 * A live stream of stored rows without gaps: where the bus may reorder, each arrival is replaced
 * by the rows (after, id] read back from the database, so a row that arrives late is yielded
 * before the one that overtook it and none is skipped. `between` must return the rows the
 * stream may see, in id order (every row on the channel is one of them). Where the bus keeps
 * order, rows pass through as they come.
 */
export async function* inIdOrder<T extends { id: number }>(
  live: AsyncIterable<T>,
  { bus, after, between }: { bus: EventBus; after: number; between: (after: number, upTo: number) => T[] },
): AsyncGenerator<T> {
  let last = after;
  for await (const row of live) {
    if (!bus.reorders) {
      yield row;
      continue;
    }
    if (row.id <= last) continue;
    // The next id itself: nothing can be missing in between, no read needed. On a channel that
    // carries a whole table (the desk, broadcasts) this is nearly every row, and it spares each
    // of 400 desks a query per help message.
    if (row.id === last + 1) {
      last = row.id;
      yield row;
      continue;
    }
    const upTo = row.id;
    for (const r of between(last, upTo)) yield r;
    last = upTo;
  }
}

/**
 * What a row becomes for its readers, computed once per row and process: the bus hands the
 * same row object to every listener (Redis parses a message once per process), so 5,000
 * candidate streams share one mapped object, and with it one serialisation (see `frame`).
 */
export function perRow<R extends object, A extends unknown[], Out>(fn: (row: R, ...args: A) => Out): (row: R, ...args: A) => Out {
  const memo = new WeakMap<R, Out>();
  return (row, ...args) => {
    if (memo.has(row)) return memo.get(row)!;
    const out = fn(row, ...args);
    memo.set(row, out);
    return out;
  };
}

/** Merges two async iterators, yielding from whichever has a value first; ends when both have. */
export async function* merge<A, B>(a: AsyncIterator<A>, b: AsyncIterator<B>): AsyncGenerator<{ from: 'a'; value: A } | { from: 'b'; value: B }> {
  const pull = { a: a.next().then((r) => ({ from: 'a' as const, r })), b: b.next().then((r) => ({ from: 'b' as const, r })) };
  const pending = new Set<'a' | 'b'>(['a', 'b']);
  try {
    while (pending.size) {
      const next = await Promise.race([...pending].map((k) => pull[k]));
      if (next.r.done) {
        pending.delete(next.from);
        continue;
      }
      if (next.from === 'a') {
        pull.a = a.next().then((r) => ({ from: 'a' as const, r }));
        yield { from: 'a', value: next.r.value as A };
      } else {
        pull.b = b.next().then((r) => ({ from: 'b' as const, r }));
        yield { from: 'b', value: next.r.value as B };
      }
    }
  } finally {
    await Promise.allSettled([a.return?.(), b.return?.()]);
  }
}
