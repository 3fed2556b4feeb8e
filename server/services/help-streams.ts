import { EventEmitter } from 'node:events';
import { and, asc, eq, gt, inArray, lte, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { helpEvents, helpMessages, helpReads, helpThreads, type HelpEvent } from '@/db/schema';
import type { EventBus } from '../events/bus';
import { iterateLocal } from '../events/local';
import { merge, resumable, type LiveItem } from '../events/resumable';
import { inRoomScope, type RoomScope } from './access';
import { candidateSummary, messageViews, QUEUE_MOVES, staffSummary, type DeskUnread, type DeskUpdate, type MineUpdate, type PositionUpdate } from './help';

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

/**
 * A candidate's help stream: their threads' events after `afterId` (notes never), each with the
 * thread and message as they are now, then live ones; plus queue position updates (untracked)
 * while a thread of theirs waits. Listening starts when this is called.
 */
export async function mineStream({
  db,
  bus,
  candidateId,
  afterId,
  signal,
}: {
  db: Db;
  bus: EventBus;
  candidateId: number;
  afterId: number;
  signal?: AbortSignal;
}): Promise<AsyncGenerator<LiveItem<MineUpdate | PositionUpdate>>> {
  tapQueueMoves(bus);
  const moves = iterateLocal<number>(queueMoves, 'move', signal);
  /** Threads whose queue position the client was last told, by id (null: not told yet). */
  const shown = new Map<number, number | null>();
  const update = (event: HelpEvent): MineUpdate => {
    const thread = candidateSummary(db, event.threadId, candidateId);
    shown.set(thread.id, thread.queuePosition);
    return { event, thread, message: eventMessage(db, event) };
  };
  const mine = (after: number, upTo = Number.MAX_SAFE_INTEGER) =>
    db
      .select({ e: helpEvents })
      .from(helpEvents)
      .innerJoin(helpThreads, eq(helpThreads.id, helpEvents.threadId))
      .where(and(eq(helpThreads.candidateId, candidateId), gt(helpEvents.id, after), lte(helpEvents.id, upTo), eq(helpEvents.staffOnly, false)))
      .orderBy(asc(helpEvents.id))
      .all()
      .map(({ e }) => e);

  const events = await resumable({
    bus,
    channel: `help:candidate:${candidateId}`,
    signal,
    backfill: () => {
      const rows = mine(afterId);
      const items = rows.map((e) => ({ id: e.id, data: update(e) }));
      // Waiting threads the backlog did not show (the client has their position from its
      // query): the next queue move reports where they stand.
      for (const t of db
        .select({ id: helpThreads.id })
        .from(helpThreads)
        .where(and(eq(helpThreads.candidateId, candidateId), eq(helpThreads.status, 'queued')))
        .all()) {
        if (!shown.has(t.id)) shown.set(t.id, null);
      }
      return { items, cursor: rows.at(-1)?.id ?? afterId };
    },
    between: mine,
    accept: (event) => (event.staffOnly ? null : update(event)),
  });

  return (async function* () {
    try {
      for await (const item of merge(events, moves)) {
        if (item.from === 'a') {
          yield item.value;
          continue;
        }
        const waiting = [...shown.keys()];
        if (!waiting.length) continue;
        const positions = queuePositions(db, item.value);
        for (const threadId of waiting) {
          const position = positions.get(threadId) ?? null;
          if (position == null) {
            shown.delete(threadId);
          } else if (position !== shown.get(threadId)) {
            shown.set(threadId, position);
            yield { data: { kind: 'position', threadId, queuePosition: position } };
          }
        }
      }
    } catch (err) {
      if ((err as Error).name !== 'AbortError') throw err;
    }
  })();
}

/**
 * Staff unread counts of a thread: the count for anyone who has not read it yet, and the counts
 * of the few who have (one query per event, whatever the number of open desks).
 */
function unreadOf(db: Db, threadId: number): DeskUnread {
  const total = db
    .select({ n: sql<number>`count(*)` })
    .from(helpMessages)
    .where(and(eq(helpMessages.threadId, threadId), eq(helpMessages.kind, 'candidate')))
    .get()!.n;
  const readers = db
    .select({
      userId: helpReads.userId,
      n: sql<number>`(select count(*) from help_messages m where m.thread_id = ${helpReads.threadId} and m.kind = 'candidate' and m.id > ${helpReads.lastReadMessageId})`,
    })
    .from(helpReads)
    .where(eq(helpReads.threadId, threadId))
    .all();
  return { none: Number(total), by: Object.fromEntries(readers.map((r) => [r.userId, Number(r.n)])) };
}

/**
 * The desk update of an event, read once per event and process and shared by every open desk
 * (400 agents: one read, one serialisation). Per-reader unread counts travel inside it. Kept by
 * event id for the last few hundred events, so 400 desks resuming after a restart read each
 * missed event once between them, not once each.
 */
/** A value per key and database, computed once and kept for the last `size` keys (oldest dropped first). */
function recentPerDb<K, V>(size: number): (db: Db, key: K, compute: () => V) => V {
  const maps = new WeakMap<Db, Map<K, V>>();
  return (db, key, compute) => {
    let map = maps.get(db);
    if (!map) maps.set(db, (map = new Map()));
    if (map.has(key)) return map.get(key)!;
    const value = compute();
    map.set(key, value);
    if (map.size > size) map.delete(map.keys().next().value!);
    return value;
  };
}

const DESK_MEMO_SIZE = 512;
const deskMemo = recentPerDb<number, DeskUpdate | null>(DESK_MEMO_SIZE);

function deskUpdate(event: HelpEvent, db: Db): DeskUpdate | null {
  return deskMemo(db, event.id, () => {
    const thread = staffSummary(db, event.threadId, null);
    return thread ? { event, thread, message: eventMessage(db, event), unread: unreadOf(db, event.threadId) } : null;
  });
}

/**
 * Every help event in (after, upTo], for a desk whose bus may reorder (Redis): the gap read of
 * one arrival is the same for all desks that were at the same place, so 400 desks read it once
 * between them (events never change once stored). Scope is applied per desk afterwards.
 */
const deskGaps = recentPerDb<string, HelpEvent[]>(DESK_MEMO_SIZE);
const deskGap = (db: Db, after: number, upTo: number): HelpEvent[] =>
  deskGaps(db, `${after}:${upTo}`, () =>
    db
      .select()
      .from(helpEvents)
      .where(and(gt(helpEvents.id, after), lte(helpEvents.id, upTo)))
      .orderBy(asc(helpEvents.id))
      .all(),
  );

const lastEventId = (db: Db) =>
  db
    .select({ id: sql<number>`coalesce(max(${helpEvents.id}), 0)` })
    .from(helpEvents)
    .get()!.id;

/**
 * A staff member's desk stream: every event (notes included) of the threads they may see,
 * after `afterId` (or from now, without one: a fresh console loads the queue itself), each with
 * the thread as the queue shows it. `scope` may be changed in place while the stream runs.
 */
export function deskStream({
  db,
  bus,
  scope,
  afterId,
  signal,
}: {
  db: Db;
  bus: EventBus;
  scope: RoomScope;
  afterId: number | null;
  signal?: AbortSignal;
}): Promise<AsyncGenerator<LiveItem<DeskUpdate>>> {
  const visible = (event: HelpEvent) => {
    const u = deskUpdate(event, db);
    return u && inRoomScope(scope, u.thread.roomId) ? u : null;
  };
  return resumable({
    bus,
    channel: 'help:desk',
    signal,
    backfill: () => {
      if (afterId == null) return { items: [], cursor: lastEventId(db) };
      const rows = db
        .select({ e: helpEvents })
        .from(helpEvents)
        .innerJoin(helpThreads, eq(helpThreads.id, helpEvents.threadId))
        .where(and(gt(helpEvents.id, afterId), scope.all ? undefined : inArray(helpThreads.roomId, [...scope.roomIds])))
        .orderBy(asc(helpEvents.id))
        .all()
        .map(({ e }) => e);
      const items = rows.flatMap((e) => {
        const u = visible(e);
        return u ? [{ id: e.id, data: u }] : [];
      });
      return { items, cursor: rows.at(-1)?.id ?? afterId };
    },
    between: (after, upTo) => deskGap(db, after, upTo),
    accept: visible,
  });
}
