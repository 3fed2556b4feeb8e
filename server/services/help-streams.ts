import { EventEmitter, on } from 'node:events';
import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { helpEvents, helpMessages, helpThreads, type HelpEvent } from '@/db/schema';
import type { UserCaller } from '../auth/caller';
import { inIdOrder, type EventBus } from '../events/bus';
import { inRoomScope, type RoomScope } from './access';
import {
  candidateSummary,
  messageViews,
  QUEUE_MOVES,
  reviveEvent,
  staffSummary,
  staffUnread,
  type DeskUpdate,
  type HelpMessageView,
  type MineUpdate,
  type PositionUpdate,
  type StaffThreadSummary,
} from './help';

/*
 * The help desk's realtime streams (persist, emit after commit, listen first then backfill,
 * tracked by event id): a candidate's own threads with live queue positions, and the staff desk.
 */
function eventMessage(db: Db, event: HelpEvent) {
  return event.messageId != null ? (messageViews(db, eq(helpMessages.id, event.messageId))[0] ?? null) : null;
}

/**
 * Queue positions by thread id, computed once per queue change and shared by every candidate
 * stream in the process (1,000 waiting candidates cost one query per change, not 1,000).
 */
const positionCache = new WeakMap<Db, { version: number; positions: Map<number, number> }>();

function queuePositions(db: Db, version: number) {
  const cached = positionCache.get(db);
  if (cached && cached.version === version) return cached.positions;
  const ids = db
    .select({ id: helpThreads.id })
    .from(helpThreads)
    .where(eq(helpThreads.status, 'queued'))
    .orderBy(asc(helpThreads.queuedAt), asc(helpThreads.id))
    .all();
  const positions = new Map(ids.map((r, i) => [r.id, i + 1]));
  positionCache.set(db, { version, positions });
  return positions;
}

/**
 * One tap per bus on the desk channel, re-emitting only the events that move the queue, so
 * waiting candidates' streams wake for those and not for every chat message.
 */
const queueMoves = new EventEmitter().setMaxListeners(0);
/** Numbers each move in this process; the first stream to handle a move reads the queue for all. */
let moveSeq = 0;
const tappedBuses = new WeakSet<EventBus>();

function tapQueueMoves(bus: EventBus) {
  if (tappedBuses.has(bus)) return;
  tappedBuses.add(bus);
  void (async () => {
    for await (const e of bus.listen('help:desk')) if (QUEUE_MOVES.includes(e.type)) queueMoves.emit('move', ++moveSeq);
  })();
}

/** Merges async iterators, yielding from whichever has a value first. */
async function* merge<A, B>(a: AsyncIterator<A>, b: AsyncIterator<B>): AsyncGenerator<{ from: 'a'; value: A } | { from: 'b'; value: B }> {
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

/**
 * A candidate's help stream: their threads' events after `afterId` (notes never), each with the
 * thread and message as they are now, then live ones; plus queue position updates while a
 * thread of theirs waits. `live` must be listening before this is called.
 */
export function mineStream({
  db,
  bus,
  candidateId,
  afterId,
  live,
  signal,
}: {
  db: Db;
  bus: EventBus;
  candidateId: number;
  afterId: number;
  live: AsyncIterable<HelpEvent>;
  signal?: AbortSignal;
}): AsyncGenerator<{ eventId: number; update: MineUpdate } | PositionUpdate> {
  // Listening starts here, at subscription time, not at the first pull.
  tapQueueMoves(bus);
  const moves = on(queueMoves, 'move', { signal })[Symbol.asyncIterator]() as AsyncIterator<unknown[]>;
  return mineEvents({ db, bus, candidateId, afterId, live, moves });
}

async function* mineEvents({
  db,
  bus,
  candidateId,
  afterId,
  live,
  moves,
}: {
  db: Db;
  bus: EventBus;
  candidateId: number;
  afterId: number;
  live: AsyncIterable<HelpEvent>;
  moves: AsyncIterator<unknown[]>;
}): AsyncGenerator<{ eventId: number; update: MineUpdate } | PositionUpdate> {
  const shown = new Map<number, number | null>();
  const update = (event: HelpEvent): { eventId: number; update: MineUpdate } => {
    const thread = candidateSummary(db, event.threadId, candidateId);
    shown.set(thread.id, thread.queuePosition);
    return { eventId: event.id, update: { event, thread, message: eventMessage(db, event) } };
  };

  let cursor = afterId;
  const mine = (after: number, upTo = Number.MAX_SAFE_INTEGER) =>
    db
      .select({ e: helpEvents })
      .from(helpEvents)
      .innerJoin(helpThreads, eq(helpThreads.id, helpEvents.threadId))
      .where(and(eq(helpThreads.candidateId, candidateId), gt(helpEvents.id, after), lte(helpEvents.id, upTo), eq(helpEvents.staffOnly, false)))
      .orderBy(asc(helpEvents.id))
      .all()
      .map(({ e }) => e);
  for (const e of mine(afterId)) {
    cursor = e.id;
    yield update(e);
  }
  // Waiting threads the backlog did not show (the client has their position from its query):
  // the next queue move reports where they stand.
  for (const t of db
    .select({ id: helpThreads.id })
    .from(helpThreads)
    .where(and(eq(helpThreads.candidateId, candidateId), eq(helpThreads.status, 'queued')))
    .all()) {
    if (!shown.has(t.id)) shown.set(t.id, null);
  }

  try {
    const ordered = inIdOrder(live, { bus, after: cursor, between: mine });
    for await (const item of merge(ordered[Symbol.asyncIterator](), moves)) {
      if (item.from === 'a') {
        const event = reviveEvent(item.value);
        if (event.id <= cursor || event.staffOnly) continue;
        cursor = event.id;
        yield update(event);
        continue;
      }
      const waiting = [...shown.keys()];
      if (!waiting.length) continue;
      const positions = queuePositions(db, item.value[0] as number);
      for (const threadId of waiting) {
        const position = positions.get(threadId) ?? null;
        if (position == null) {
          shown.delete(threadId);
        } else if (position !== shown.get(threadId)) {
          shown.set(threadId, position);
          yield { kind: 'position', threadId, queuePosition: position };
        }
      }
    }
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
  }
}

/**
 * The part of a desk update every staff stream shares (the thread as the queue shows it, the
 * message), read once per event and process rather than once per open console. Only the
 * reader's unread count is read per stream. Kept for the last few hundred events.
 */
const deskMemo = new WeakMap<Db, Map<number, { thread: StaffThreadSummary | undefined; message: HelpMessageView | null }>>();
const DESK_MEMO_SIZE = 256;

function deskShared(db: Db, event: HelpEvent) {
  let memo = deskMemo.get(db);
  if (!memo) deskMemo.set(db, (memo = new Map()));
  let hit = memo.get(event.id);
  if (!hit) {
    hit = { thread: staffSummary(db, event.threadId, null), message: eventMessage(db, event) };
    memo.set(event.id, hit);
    if (memo.size > DESK_MEMO_SIZE) memo.delete(memo.keys().next().value!);
  }
  return hit;
}

/**
 * A staff member's desk stream: every event (notes included) of the threads they may see,
 * after `afterId` (or from now, without one), each with the thread as the queue shows it.
 */
export function deskStream(opts: {
  db: Db;
  bus: EventBus;
  caller: UserCaller;
  scope: RoomScope;
  afterId: number | null;
  live: AsyncIterable<HelpEvent>;
}): AsyncGenerator<{ eventId: number; update: DeskUpdate }> {
  // A fresh console loads the queue itself; the stream carries what happens from here on. The
  // tail is read now, at subscription time (after `live` started listening), not at the first pull.
  const tail = opts.afterId == null ? lastEventId(opts.db) : null;
  return deskEvents({ ...opts, tail });
}

const lastEventId = (db: Db) =>
  db
    .select({ id: sql<number>`coalesce(max(${helpEvents.id}), 0)` })
    .from(helpEvents)
    .get()!.id;

async function* deskEvents({
  db,
  bus,
  caller,
  scope,
  afterId,
  tail,
  live,
}: {
  db: Db;
  bus: EventBus;
  caller: UserCaller;
  scope: RoomScope;
  afterId: number | null;
  tail: number | null;
  live: AsyncIterable<HelpEvent>;
}): AsyncGenerator<{ eventId: number; update: DeskUpdate }> {
  const update = (event: HelpEvent) => {
    const shared = deskShared(db, event);
    if (!shared.thread || !inRoomScope(scope, shared.thread.roomId)) return null;
    const thread = { ...shared.thread, unread: staffUnread(db, event.threadId, caller.id) };
    return { eventId: event.id, update: { event, thread, message: shared.message } };
  };
  let cursor: number;
  if (afterId == null) {
    cursor = tail ?? 0;
  } else {
    cursor = afterId;
    const backlog = db
      .select({ e: helpEvents })
      .from(helpEvents)
      .innerJoin(helpThreads, eq(helpThreads.id, helpEvents.threadId))
      .where(and(gt(helpEvents.id, afterId), scope.all ? undefined : inArray(helpThreads.roomId, [...scope.roomIds])))
      .orderBy(asc(helpEvents.id))
      .all();
    for (const { e } of backlog) {
      cursor = e.id;
      const u = update(e);
      if (u) yield u;
    }
  }
  // Scope is applied by `update`; the gap read only has to return every event in order.
  const between = (after: number, upTo: number) =>
    db
      .select()
      .from(helpEvents)
      .where(and(gt(helpEvents.id, after), lte(helpEvents.id, upTo)))
      .orderBy(asc(helpEvents.id))
      .all();
  for await (const raw of inIdOrder(live, { bus, after: cursor, between })) {
    const event = reviveEvent(raw);
    if (event.id <= cursor) continue;
    cursor = event.id;
    const u = update(event);
    if (u) yield u;
  }
}
