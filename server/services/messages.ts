import { and, asc, count, desc, eq, gt, inArray, isNotNull, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Statement } from 'better-sqlite3';
import type { Db, DbOrTx } from '@/db/client';
import { prepared } from '@/db/prepared';
import {
  auditLog,
  chiefInvigilators,
  events,
  examRooms,
  exams,
  invigilatorAssignments,
  messageReceipts,
  messages,
  registrations,
  users,
  type Message,
  type MESSAGE_AUDIENCES,
  type MESSAGE_PRIORITIES,
} from '@/db/schema';
import type { StaffArgs, StaffCaller } from '../auth/caller';
import { AppError } from '../errors';
import { byRoomName } from '../natural-order';
import type { EventBus, MessageStats } from '../events/bus';
import { perRow, resumable, type LiveItem } from '../events/resumable';
import { normaliseIdNumber } from './admin/id-number';
import { maskIdNumber } from './exams';
import { assertCandidateInRoom, assertChief, assertRoom, roomScope } from './access';
import { recordEvent } from './timeline';

export type Audience = (typeof MESSAGE_AUDIENCES)[number];
export type Priority = (typeof MESSAGE_PRIORITIES)[number];

/** A message as its recipient sees it: the message and their own receipt. */
export type CandidateMessage = {
  id: number;
  title: string;
  body: string;
  priority: Priority;
  mustAcknowledge: boolean;
  createdAt: Date;
  readAt: Date | null;
  acknowledgedAt: Date | null;
};

/** The sender, as the procedure builders vouched for them. */

type Reg = { examId: number; roomId: number };

const placedRegistrations = prepared((db) =>
  db
    .select({ examId: registrations.examId, roomId: registrations.roomId })
    .from(registrations)
    .where(and(eq(registrations.candidateId, sql.placeholder('candidateId')), isNotNull(registrations.roomId)))
    .orderBy(desc(registrations.id))
    .prepare(),
);
const registrationsOf = (db: DbOrTx, candidateId: number): Reg[] => placedRegistrations(db).all({ candidateId }) as Reg[];

const newestMessage = prepared((db) =>
  db
    .select({ id: sql<number>`coalesce(max(${messages.id}), 0)` })
    .from(messages)
    .prepare(),
);

/** Messages addressed to a candidate with these registrations: to everyone, to one of their exams or rooms, or to them. */
function audienceWhere(candidateId: number, regs: Reg[]) {
  const examIds = regs.map((r) => r.examId);
  const roomIds = regs.map((r) => r.roomId);
  return or(
    eq(messages.audience, 'all'),
    and(eq(messages.audience, 'candidate'), eq(messages.candidateId, candidateId)),
    examIds.length ? and(eq(messages.audience, 'exam'), inArray(messages.examId, examIds)) : undefined,
    roomIds.length ? and(eq(messages.audience, 'room'), inArray(messages.roomId, roomIds)) : undefined,
  );
}

function audienceOf({ db, candidateId }: { db: DbOrTx; candidateId: number }) {
  return audienceWhere(candidateId, registrationsOf(db, candidateId));
}

/** The same rule as `audienceWhere`, for a message in hand (the live stream tests each new one). */
function isAddressedTo(m: Pick<Message, 'audience' | 'examId' | 'roomId' | 'candidateId'>, candidateId: number, regs: Reg[]) {
  switch (m.audience) {
    case 'all':
      return true;
    case 'candidate':
      return m.candidateId === candidateId;
    case 'exam':
      return regs.some((r) => r.examId === m.examId);
    case 'room':
      return regs.some((r) => r.roomId === m.roomId);
  }
}

const candidateColumns = {
  id: messages.id,
  title: messages.title,
  body: messages.body,
  priority: messages.priority,
  mustAcknowledge: messages.mustAcknowledge,
  createdAt: messages.createdAt,
  readAt: messageReceipts.readAt,
  acknowledgedAt: messageReceipts.acknowledgedAt,
};

function candidateMessages(db: DbOrTx, candidateId: number, where: SQL | undefined, order: 'newest' | 'oldest') {
  return db
    .select(candidateColumns)
    .from(messages)
    .leftJoin(messageReceipts, and(eq(messageReceipts.messageId, messages.id), eq(messageReceipts.candidateId, candidateId)))
    .where(where)
    .orderBy(...(order === 'newest' ? [desc(messages.createdAt), desc(messages.id)] : [asc(messages.id)]))
    .all() satisfies CandidateMessage[];
}

export function listMessages({ db, candidateId }: { db: Db; candidateId: number }): CandidateMessage[] {
  return candidateMessages(db, candidateId, audienceOf({ db, candidateId }), 'newest');
}

export function unreadCount({ db, candidateId }: { db: Db; candidateId: number }) {
  return listMessages({ db, candidateId }).filter((m) => !m.readAt).length;
}

function assertAddressed({ db, candidateId, messageId }: { db: Db; candidateId: number; messageId: number }) {
  const found = db
    .select({ id: messages.id })
    .from(messages)
    .where(and(eq(messages.id, messageId), audienceOf({ db, candidateId })))
    .get();
  if (!found) throw new AppError('NOT_FOUND', 'messages.notFound');
}

/** Reading implies delivery: a message read in the message centre list counts as delivered too. */
export function markRead({
  db,
  candidateId,
  messageId,
  now = new Date(),
  bus,
}: {
  db: Db;
  candidateId: number;
  messageId: number;
  now?: Date;
  bus?: EventBus;
}) {
  assertAddressed({ db, candidateId, messageId });
  db.insert(messageReceipts)
    .values({ messageId, candidateId, deliveredAt: now, readAt: now })
    .onConflictDoUpdate({
      target: [messageReceipts.messageId, messageReceipts.candidateId],
      set: {
        deliveredAt: sql`coalesce(${messageReceipts.deliveredAt}, excluded.delivered_at)`,
        readAt: sql`coalesce(${messageReceipts.readAt}, excluded.read_at)`,
      },
    })
    .run();
  if (bus) statsEmitter(db, bus).touch(messageId);
  return { ok: true };
}

/**
 * Records the candidate's acknowledgement (the first one counts) and, the first time, a
 * `message_acknowledged` event in each room the message concerns, so invigilators see it live.
 */
export function acknowledge({
  db,
  candidateId,
  messageId,
  now = new Date(),
  bus,
}: {
  db: Db;
  candidateId: number;
  messageId: number;
  now?: Date;
  bus?: EventBus;
}) {
  assertAddressed({ db, candidateId, messageId });
  const result = db.transaction((tx) => {
    const before = tx
      .select({ acknowledgedAt: messageReceipts.acknowledgedAt })
      .from(messageReceipts)
      .where(and(eq(messageReceipts.messageId, messageId), eq(messageReceipts.candidateId, candidateId)))
      .get();
    tx.insert(messageReceipts)
      .values({ messageId, candidateId, deliveredAt: now, readAt: now, acknowledgedAt: now })
      .onConflictDoUpdate({
        target: [messageReceipts.messageId, messageReceipts.candidateId],
        set: {
          deliveredAt: sql`coalesce(${messageReceipts.deliveredAt}, excluded.delivered_at)`,
          readAt: sql`coalesce(${messageReceipts.readAt}, excluded.read_at)`,
          acknowledgedAt: sql`coalesce(${messageReceipts.acknowledgedAt}, excluded.acknowledged_at)`,
        },
      })
      .run();
    if (!before?.acknowledgedAt) {
      for (const roomId of roomsOf({ db: tx, candidateId, messageId })) {
        recordEvent({ db: tx, roomId, candidateId, type: 'message_acknowledged', device: null, occurredAt: now, payload: { messageId } });
      }
    }
    return { ok: true };
  });
  if (bus) statsEmitter(db, bus).touch(messageId);
  return result;
}

/** The candidate's rooms a message concerns: its room, its exam's room, or all of theirs. */
function roomsOf({ db, candidateId, messageId }: { db: DbOrTx; candidateId: number; messageId: number }) {
  const m = db.select({ roomId: messages.roomId, examId: messages.examId }).from(messages).where(eq(messages.id, messageId)).get()!;
  const regs = registrationsOf(db, candidateId);
  return regs.filter((r) => (m.roomId != null ? r.roomId === m.roomId : m.examId != null ? r.examId === m.examId : true)).map((r) => r.roomId);
}

/* ------------------------------------------------------------------ sending */

export type SendInput = {
  audience: Audience;
  examId?: number;
  roomId?: number;
  candidateId?: number;
  title: string;
  body: string;
  priority: Priority;
  mustAcknowledge: boolean;
};

/** Where a message goes, as stored: only the ids its audience needs, plus the room or exam it concerns. */
type Target = { examId: number | null; roomId: number | null; candidateId: number | null };

function examOrThrow(db: Db, examId: number) {
  const exam = db.select({ id: exams.id }).from(exams).where(eq(exams.id, examId)).get();
  if (!exam) throw new AppError('NOT_FOUND', 'messages.examNotFound');
  return exam;
}

function candidateOrThrow(db: Db, candidateId: number) {
  const user = db.select({ id: users.id, role: users.role }).from(users).where(eq(users.id, candidateId)).get();
  if (!user || user.role !== 'candidate') throw new AppError('NOT_FOUND', 'messages.candidateNotFound');
  return user;
}

/** An invigilator's rooms, as ids. */
function roomIdsOf(db: Db, caller: StaffCaller) {
  const scope = roomScope(db, caller);
  return scope.all ? new Set<number>() : scope.roomIds;
}

/**
 * Least privilege, and a clear refusal for each case: admins address anyone; an invigilator a
 * room of theirs or one of its candidates, and a whole exam only as its chief; support one
 * candidate at a time.
 */
function resolveTarget({ db, caller }: StaffArgs, input: Pick<SendInput, 'audience' | 'examId' | 'roomId' | 'candidateId'>): Target {
  const admin = caller.role === 'admin';
  switch (input.audience) {
    case 'all':
      if (!admin) throw new AppError('FORBIDDEN', 'messages.allForbidden');
      return { examId: null, roomId: null, candidateId: null };
    case 'exam': {
      if (input.examId == null) throw new AppError('BAD_REQUEST', 'messages.examRequired');
      if (caller.role === 'support') throw new AppError('FORBIDDEN', 'messages.supportCandidateOnly');
      examOrThrow(db, input.examId);
      assertChief(db, caller, input.examId, 'messages.examForbidden');
      return { examId: input.examId, roomId: null, candidateId: null };
    }
    case 'room': {
      if (input.roomId == null) throw new AppError('BAD_REQUEST', 'messages.roomRequired');
      if (caller.role === 'support') throw new AppError('FORBIDDEN', 'messages.supportCandidateOnly');
      const { exam } = assertRoom(db, caller, input.roomId);
      return { examId: exam.id, roomId: input.roomId, candidateId: null };
    }
    case 'candidate': {
      if (input.candidateId == null) throw new AppError('BAD_REQUEST', 'messages.candidateRequired');
      candidateOrThrow(db, input.candidateId);
      if (caller.role === 'invigilator') {
        // Through a room of theirs, for that room's exam only: holding another exam the candidate
        // also sits (tomorrow's, as its chief) gives no say over today's.
        if (input.roomId == null) throw new AppError('BAD_REQUEST', 'messages.roomRequired');
        const { reg } = assertCandidateInRoom(db, caller, { roomId: input.roomId, candidateId: input.candidateId });
        return { examId: reg.examId, roomId: reg.roomId, candidateId: input.candidateId };
      }
      if (input.roomId != null) {
        const reg = registrationsOf(db, input.candidateId).find((r) => r.roomId === input.roomId);
        if (!reg) throw new AppError('NOT_FOUND', 'invigilate.candidateNotInRoom');
        return { examId: reg.examId, roomId: reg.roomId, candidateId: input.candidateId };
      }
      return { examId: null, roomId: null, candidateId: input.candidateId };
    }
  }
}

/** How many candidates a message addresses now (registrations for an exam or room; every candidate for 'all'). */
function recipientCount(db: DbOrTx, m: Pick<Message, 'audience' | 'examId' | 'roomId'>) {
  switch (m.audience) {
    case 'all':
      return db.select({ n: count() }).from(users).where(eq(users.role, 'candidate')).get()!.n;
    case 'exam':
      return db.select({ n: count() }).from(registrations).where(eq(registrations.examId, m.examId!)).get()!.n;
    case 'room':
      return db.select({ n: count() }).from(registrations).where(eq(registrations.roomId, m.roomId!)).get()!.n;
    case 'candidate':
      return 1;
  }
}

/**
 * Stores a system message and its audit row in one transaction, then announces it on
 * 'messages:new' once committed; each candidate's stream keeps the ones addressed to them.
 */
export function sendSystemMessage({ db, caller, bus, input, now = new Date() }: StaffArgs & { bus: EventBus; input: SendInput; now?: Date }) {
  const target = resolveTarget({ db, caller }, input);
  const { message, recipients } = db.transaction((tx) => {
    const message = tx
      .insert(messages)
      .values({
        audience: input.audience,
        ...target,
        title: input.title,
        body: input.body,
        priority: input.priority,
        mustAcknowledge: input.mustAcknowledge,
        sentBy: caller.id,
        createdAt: now,
      })
      .returning()
      .get();
    const recipients = recipientCount(tx, message);
    tx.insert(auditLog)
      .values({
        actorId: caller.id,
        action: 'message.sent',
        roomId: target.roomId,
        candidateId: target.candidateId,
        detail: {
          messageId: message.id,
          audience: input.audience,
          examId: target.examId,
          title: input.title,
          priority: input.priority,
          mustAcknowledge: input.mustAcknowledge,
          recipients,
        },
        at: now,
      })
      .run();
    return { message, recipients };
  });
  bus.emit('messages:new', message);
  return { messageId: message.id, recipients };
}

/* ------------------------------------------------------------------ the candidate's stream */

/**
 * What a candidate's first connection (no cursor) replays: messages never delivered to them (sent
 * while they were offline), and those still demanding attention, so a reload cannot escape a
 * must-acknowledge dialog or an urgent banner. Exam-page commands from the invigilator
 * (`staff_message` events) are left out: the exam page shows those through its `commands:<examId>` topic.
 */
function pendingFor(db: DbOrTx, candidateId: number, regs: Reg[]) {
  return candidateMessages(
    db,
    candidateId,
    and(
      audienceWhere(candidateId, regs),
      or(
        sql`${messageReceipts.deliveredAt} is null`,
        and(eq(messages.mustAcknowledge, true), sql`${messageReceipts.acknowledgedAt} is null`),
        and(eq(messages.priority, 'urgent'), sql`${messageReceipts.readAt} is null`),
      ),
    ),
    'oldest',
  );
}

/** Messages after a cursor (a resumed stream): every one addressed to the candidate, oldest first. */
function after(db: DbOrTx, candidateId: number, regs: Reg[], afterId: number, newest: number) {
  // A tab coming back after a short drop is a few messages behind: read those few (prepared) and
  // keep the candidate's own, rather than run the audience join; 5,000 tabs do this at once
  // after a restart. A cursor far behind takes the join.
  if (newest - afterId > FEW_MESSAGES) return candidateMessages(db, candidateId, and(audienceWhere(candidateId, regs), gt(messages.id, afterId)), 'oldest');
  return messagesAfter(db)
    .all({ afterId })
    .filter((m) => isAddressedTo(m, candidateId, regs))
    .map((m): CandidateMessage => {
      const receipt = receiptOf(db).get({ messageId: m.id, candidateId });
      return { ...unreadView(m), readAt: receipt?.readAt ?? null, acknowledgedAt: receipt?.acknowledgedAt ?? null };
    });
}

const FEW_MESSAGES = 50;
const messagesAfter = prepared((db) =>
  db
    .select()
    .from(messages)
    .where(gt(messages.id, sql.placeholder('afterId')))
    .orderBy(asc(messages.id))
    .prepare(),
);
const receiptOf = prepared((db) =>
  db
    .select({ readAt: messageReceipts.readAt, acknowledgedAt: messageReceipts.acknowledgedAt })
    .from(messageReceipts)
    .where(and(eq(messageReceipts.messageId, sql.placeholder('messageId')), eq(messageReceipts.candidateId, sql.placeholder('candidateId'))))
    .prepare(),
);

/** Ids of messages this candidate receives as exam-page commands (see `pendingFor`). */
function examCommandIds(db: DbOrTx, candidateId: number) {
  return new Set(
    db
      .select({ messageId: sql<number>`json_extract(${events.payload}, '$.messageId')` })
      .from(events)
      .where(and(eq(events.candidateId, candidateId), eq(events.type, 'staff_message')))
      .all()
      .map((r) => Number(r.messageId)),
  );
}

export type DeliveredReceipt = { messageId: number; candidateId: number };

/**
 * The candidate's message stream: listens first, then backfills, and skips ids at or below the
 * cursor, so every message reaches each stream exactly once.
 *
 * Without a cursor (a page load) it backfills `pendingFor`; with one (tRPC resuming after a
 * dropped connection) everything addressed to them after it. The cursor then becomes the newest
 * message id seen by the backfill, whether yielded or not: a live message at or below it was
 * committed before the backfill read, so the backfill already decided about it.
 *
 * Every message handed to the stream is queued for its delivered receipt (`recordDelivery`).
 */
export async function candidateStream({
  db,
  bus,
  candidateId,
  lastEventId,
  signal,
}: {
  db: Db;
  bus: EventBus;
  candidateId: number;
  lastEventId: number | null | undefined;
  signal?: AbortSignal;
}): Promise<AsyncGenerator<LiveItem<CandidateMessage>>> {
  let regs = registrationsOf(db, candidateId);
  const recorder = deliveryRecorder(db, bus);
  return resumable({
    bus,
    channel: 'messages:new',
    signal,
    backfill: () => {
      regs = registrationsOf(db, candidateId);
      return db.transaction((tx) => {
        const newest = newestMessage(tx).get()!.id;
        // A tab coming back with nothing new (most of them, after a restart): no backfill query.
        const rows = lastEventId != null ? (newest > lastEventId ? after(tx, candidateId, regs, lastEventId, newest) : []) : pendingFor(tx, candidateId, regs);
        const commands = rows.length ? examCommandIds(tx, candidateId) : new Set<number>();
        const items = rows.filter((m) => !commands.has(m.id)).map((message) => ({ id: message.id, data: message }));
        for (const { id } of items) recorder.add(id, candidateId);
        return { items, cursor: Math.max(newest, lastEventId ?? 0) };
      });
    },
    // Read back from the database only where the bus may reorder (Redis): all messages of the gap,
    // less those the exam page receives as commands (they never go out on 'messages:new').
    between: (afterId, upTo) => {
      const commands = examCommandIds(db, candidateId);
      return db
        .select()
        .from(messages)
        .where(and(gt(messages.id, afterId), lte(messages.id, upTo)))
        .orderBy(asc(messages.id))
        .all()
        .filter((m) => !commands.has(m.id));
    },
    accept: (m) => {
      if (!isAddressedTo(m, candidateId, regs)) {
        // A registration made since the stream opened: look again before leaving it out.
        if (m.audience !== 'exam' && m.audience !== 'room') return null;
        regs = registrationsOf(db, candidateId);
        if (!isAddressedTo(m, candidateId, regs)) return null;
      }
      recorder.add(m.id, candidateId);
      return asReceived(m);
    },
  });
}

/** A message as a recipient who has neither read nor acknowledged it sees it. */
const unreadView = (m: Message): CandidateMessage => ({
  id: m.id,
  title: m.title,
  body: m.body,
  priority: m.priority,
  mustAcknowledge: m.mustAcknowledge,
  createdAt: m.createdAt,
  readAt: null,
  acknowledgedAt: null,
});

/** A new message as every recipient first sees it: one object per message and process, so one serialisation for all. */
const asReceived = perRow(unreadView);

/* ------------------------------------------------------------------ delivery receipts and live counts */

export const DELIVERY_FLUSH_MS = 200;
export const STATS_INTERVAL_MS = 500;

/**
 * Delivered receipts, batched: a broadcast reaches thousands of streams at once, and one
 * transaction per flush (every DELIVERY_FLUSH_MS) costs far less than a write per stream. The
 * first delivery time is kept (coalesce), so a second tab or a resumed stream changes nothing.
 */
class DeliveryRecorder {
  private pending = new Map<number, Set<number>>();
  private timer: ReturnType<typeof setTimeout> | null = null;
  private upsert: Statement | null = null;

  constructor(
    private readonly db: Db,
    public bus: EventBus,
  ) {}

  add(messageId: number, candidateId: number) {
    let set = this.pending.get(messageId);
    if (!set) this.pending.set(messageId, (set = new Set()));
    set.add(candidateId);
    if (!this.timer) {
      this.timer = setTimeout(() => this.flush(), DELIVERY_FLUSH_MS);
      this.timer.unref?.();
    }
  }

  flush(now = new Date()): DeliveredReceipt[] {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const batch = this.pending;
    this.pending = new Map();
    const rows = [...batch].flatMap(([messageId, ids]) => [...ids].map((candidateId) => ({ messageId, candidateId })));
    if (!rows.length || !this.db.$client.open) return [];
    try {
      // A prepared statement per row inside one transaction: for a broadcast's thousands of rows
      // this is an order of magnitude cheaper than building multi-row inserts.
      this.upsert ??= this.db.$client.prepare(
        'insert into message_receipts (message_id, candidate_id, delivered_at) values (?, ?, ?) ' +
          'on conflict (message_id, candidate_id) do update set delivered_at = coalesce(delivered_at, excluded.delivered_at)',
      );
      const upsert = this.upsert;
      const at = now.getTime();
      this.db.$client.transaction(() => {
        for (const r of rows) {
          try {
            upsert.run(r.messageId, r.candidateId, at);
          } catch (err) {
            // A message deleted meanwhile (foreign key): only that row is lost, and receipts are
            // best effort anyway, the stream itself already delivered.
            console.error('message delivery receipt not recorded', r, err);
          }
        }
      })();
    } catch (err) {
      console.error('message delivery receipts not recorded', err);
      return [];
    }
    const stats = statsEmitter(this.db, this.bus);
    for (const messageId of batch.keys()) stats.touch(messageId);
    return rows;
  }
}

/**
 * Live counts for senders, at most one emit per message every STATS_INTERVAL_MS: the first change
 * goes out at once (after the current turn, so after the commit), later ones within the interval
 * are folded into one emit at its end.
 */
class StatsEmitter {
  private cooling = new Map<number, { dirty: boolean }>();

  constructor(
    private readonly db: Db,
    public bus: EventBus,
  ) {}

  touch(messageId: number) {
    const state = this.cooling.get(messageId);
    if (state) {
      state.dirty = true;
      return;
    }
    this.cooling.set(messageId, { dirty: false });
    setImmediate(() => this.emit(messageId));
  }

  private emit(messageId: number) {
    // A database closed meanwhile (a test ending, a shutdown): nothing left to count.
    if (!this.db.$client.open) return void this.cooling.delete(messageId);
    try {
      const stats = messageStats(this.db, messageId);
      if (stats) this.bus.emit(`messages:stats:${messageId}`, stats);
    } catch (err) {
      console.error('message stats not emitted', err);
    }
    const timer = setTimeout(() => {
      const state = this.cooling.get(messageId);
      this.cooling.delete(messageId);
      if (state?.dirty) this.touch(messageId);
    }, STATS_INTERVAL_MS);
    timer.unref?.();
  }
}

// One of each per database (tests open a fresh one per test), kept on globalThis like the bus so
// every route bundle shares them.
const g = globalThis as unknown as { __messageDelivery?: WeakMap<Db, { recorder: DeliveryRecorder; stats: StatsEmitter }> };

function deliveryFor(db: Db, bus: EventBus) {
  g.__messageDelivery ??= new WeakMap();
  let d = g.__messageDelivery.get(db);
  if (!d) g.__messageDelivery.set(db, (d = { recorder: new DeliveryRecorder(db, bus), stats: new StatsEmitter(db, bus) }));
  d.recorder.bus = bus;
  d.stats.bus = bus;
  return d;
}

export const deliveryRecorder = (db: Db, bus: EventBus) => deliveryFor(db, bus).recorder;
const statsEmitter = (db: Db, bus: EventBus) => deliveryFor(db, bus).stats;

/** Writes the queued delivered receipts now (tests; the timer does it otherwise). */
export function flushDeliveries({ db, bus, now }: { db: Db; bus: EventBus; now?: Date }) {
  return deliveryRecorder(db, bus).flush(now);
}

/** Recipients and how many of them the message reached, read and acknowledged (aggregates on the receipts' primary key). */
export function messageStats(db: DbOrTx, messageId: number): MessageStats | null {
  const m = db.select({ audience: messages.audience, examId: messages.examId, roomId: messages.roomId }).from(messages).where(eq(messages.id, messageId)).get();
  if (!m) return null;
  const counts = db
    .select({
      delivered: sql<number>`count(${messageReceipts.deliveredAt})`,
      read: sql<number>`count(${messageReceipts.readAt})`,
      acknowledged: sql<number>`count(${messageReceipts.acknowledgedAt})`,
    })
    .from(messageReceipts)
    .where(eq(messageReceipts.messageId, messageId))
    .get()!;
  return { messageId, recipients: recipientCount(db, m), ...counts };
}

/* ------------------------------------------------------------------ the sender's side */

/** A message's sender may follow it; admins follow every message. */
export function assertMayFollow({ db, caller, messageId }: StaffArgs & { messageId: number }) {
  const m = db.select({ sentBy: messages.sentBy }).from(messages).where(eq(messages.id, messageId)).get();
  if (!m) throw new AppError('NOT_FOUND', 'messages.notFound');
  if (caller.role !== 'admin' && m.sentBy !== caller.id) throw new AppError('FORBIDDEN', 'messages.notSender');
}

export type SentMessage = {
  id: number;
  audience: Audience;
  /** The exam, room or candidate it went to, by name (null for everyone). */
  targetName: string | null;
  title: string;
  body: string;
  priority: Priority;
  mustAcknowledge: boolean;
  createdAt: Date;
  senderName: string | null;
  stats: MessageStats;
};

/** The messages the caller may follow (their own; every one for an admin), newest first, with counts. */
export function sentMessages({ db, caller, limit = 50 }: StaffArgs & { limit?: number }): SentMessage[] {
  const sender = sql<string | null>`(select ${users.name} from ${users} where ${users.id} = ${messages.sentBy})`;
  const rows = db
    .select({
      id: messages.id,
      audience: messages.audience,
      examId: messages.examId,
      roomId: messages.roomId,
      candidateId: messages.candidateId,
      title: messages.title,
      body: messages.body,
      priority: messages.priority,
      mustAcknowledge: messages.mustAcknowledge,
      createdAt: messages.createdAt,
      senderName: sender,
      examTitle: sql<string | null>`(select ${exams.title} from ${exams} where ${exams.id} = ${messages.examId})`,
      roomName: sql<string | null>`(select ${examRooms.name} from ${examRooms} where ${examRooms.id} = ${messages.roomId})`,
      candidateName: sql<string | null>`(select ${users.name} from ${users} where ${users.id} = ${messages.candidateId})`,
    })
    .from(messages)
    .where(caller.role === 'admin' ? undefined : eq(messages.sentBy, caller.id))
    .orderBy(desc(messages.id))
    .limit(limit)
    .all();
  if (!rows.length) return [];
  const counts = new Map(
    db
      .select({
        messageId: messageReceipts.messageId,
        delivered: sql<number>`count(${messageReceipts.deliveredAt})`,
        read: sql<number>`count(${messageReceipts.readAt})`,
        acknowledged: sql<number>`count(${messageReceipts.acknowledgedAt})`,
      })
      .from(messageReceipts)
      .where(
        inArray(
          messageReceipts.messageId,
          rows.map((r) => r.id),
        ),
      )
      .groupBy(messageReceipts.messageId)
      .all()
      .map(({ messageId, ...c }) => [messageId, c]),
  );
  let everyone: number | undefined;
  return rows.map((r) => {
    const recipients = r.audience === 'all' ? (everyone ??= recipientCount(db, r)) : recipientCount(db, r);
    const targetName =
      r.audience === 'candidate'
        ? r.candidateName
        : r.audience === 'room'
          ? [r.examTitle, r.roomName].filter(Boolean).join(' · ')
          : r.audience === 'exam'
            ? r.examTitle
            : null;
    return {
      id: r.id,
      audience: r.audience,
      targetName,
      title: r.title,
      body: r.body,
      priority: r.priority,
      mustAcknowledge: r.mustAcknowledge,
      createdAt: r.createdAt,
      senderName: r.senderName,
      stats: { messageId: r.id, recipients, delivered: 0, read: 0, acknowledged: 0, ...counts.get(r.id) },
    };
  });
}

/** Rooms for the audience picker: newest exam first, its rooms in natural order. */
function pickerRooms(db: Db, where?: SQL) {
  return db
    .select({ id: examRooms.id, name: examRooms.name, examId: exams.id, examTitle: exams.title, startsAt: exams.startsAt })
    .from(examRooms)
    .innerJoin(exams, eq(exams.id, examRooms.examId))
    .where(where)
    .all()
    .sort((a, b) => b.startsAt.getTime() - a.startsAt.getTime() || b.examId - a.examId || byRoomName(a, b))
    .map(({ startsAt: _, ...room }) => room);
}

/** What the compose form offers the caller: the audiences they may use, and the exams and rooms within them. */
export function composeOptions({ db, caller }: StaffArgs) {
  if (caller.role === 'support') return { audiences: ['candidate'] as Audience[], exams: [], rooms: [] };
  if (caller.role === 'admin') {
    return {
      audiences: ['all', 'exam', 'room', 'candidate'] as Audience[],
      exams: db.select({ id: exams.id, title: exams.title }).from(exams).orderBy(desc(exams.startsAt), desc(exams.id)).all(),
      rooms: pickerRooms(db),
    };
  }
  const chiefOf = db
    .select({ id: exams.id, title: exams.title })
    .from(chiefInvigilators)
    .innerJoin(exams, eq(exams.id, chiefInvigilators.examId))
    .where(eq(chiefInvigilators.userId, caller.id))
    .orderBy(desc(exams.startsAt))
    .all();
  const roomIds = [...roomIdsOf(db, caller)];
  const rooms = roomIds.length ? pickerRooms(db, inArray(examRooms.id, roomIds)) : [];
  return { audiences: (chiefOf.length ? ['exam', 'room', 'candidate'] : ['room', 'candidate']) as Audience[], exams: chiefOf, rooms };
}

/**
 * Candidates the caller may address one by one: in a room (seat order), or found by name or
 * ID number. Invigilators only see candidates of their rooms.
 *
 * Callers here see ID numbers masked, so an ID number matches only whole: a prefix match would
 * answer "does any ID start with 1101051990?" and give the hidden digits away one at a time.
 */
export function findCandidates({ db, caller, roomId, search, limit = 30 }: StaffArgs & { roomId?: number; search?: string; limit?: number }) {
  let roomIds: number[] | null = null;
  if (roomId != null) {
    if (caller.role === 'invigilator') assertRoom(db, caller, roomId);
    else if (!db.select({ id: examRooms.id }).from(examRooms).where(eq(examRooms.id, roomId)).get()) throw new AppError('NOT_FOUND', 'room.notFound');
    roomIds = [roomId];
  } else if (caller.role === 'invigilator') {
    roomIds = [...roomIdsOf(db, caller)];
    if (!roomIds.length) return [];
  }
  const term = search?.trim();
  // Typed text is matched literally: % and _ are not wildcards here.
  const literal = term?.replace(/[\\%_]/g, (c) => `\\${c}`);
  const matches = term ? or(sql`${users.name} like ${`%${literal}%`} escape '\\'`, eq(users.idNumber, normaliseIdNumber(term))) : undefined;
  if (roomIds) {
    return db
      .select({ id: users.id, name: users.name, idNumber: users.idNumber, roomId: registrations.roomId, seat: registrations.seat })
      .from(registrations)
      .innerJoin(users, eq(users.id, registrations.candidateId))
      .where(and(inArray(registrations.roomId, roomIds), matches))
      .orderBy(asc(registrations.roomId), asc(registrations.seat))
      .limit(limit)
      .all()
      .map(({ idNumber, ...c }) => ({ ...c, idNumberMasked: maskIdNumber(idNumber ?? '') }));
  }
  if (!term) return [];
  return db
    .select({ id: users.id, name: users.name, idNumber: users.idNumber })
    .from(users)
    .where(and(eq(users.role, 'candidate'), matches))
    .orderBy(asc(users.name))
    .limit(limit)
    .all()
    .map(({ idNumber, ...c }) => ({ ...c, roomId: null, seat: null, idNumberMasked: maskIdNumber(idNumber ?? '') }));
}
