import { and, asc, desc, eq, inArray, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Db, DbOrTx } from '@/db/client';
import {
  cannedReplies,
  chiefInvigilators,
  examRooms,
  exams,
  helpEvents,
  helpMessages,
  helpReads,
  helpThreads,
  invigilatorAssignments,
  registrations,
  supportAgents,
  users,
  type CannedReply,
  type HelpCategory,
  type HelpEvent,
  type HelpEventType,
  type HelpMessageKind,
  type HelpStatus,
  type HelpThread,
} from '@/db/schema';
import { AppError } from '../errors';
import { audit } from './audit';
import { getBus, type EventBus, type HelpTyping } from '../events/bus';
import type { UserCaller } from '../auth/caller';
import { endsAt, maskIdNumber, SAVE_GRACE_MS } from './exams';
import { timelineItems, type TimelineItem } from './invigilate';
import { latestChecks } from './candidates';
import { assertRoom, inRoomScope, mayReadThread, roomScope, type RoomScope } from './access';
import { roomTiles, type TileState } from './rooms';

/* ------------------------------------------------------------------ shapes */

/** A thread as its candidate sees it (also computed for staff, with their own unread count). */
export type ThreadSummary = {
  id: number;
  category: HelpCategory;
  status: HelpStatus;
  agentName: string | null;
  /** 1 = next in line; null unless queued. */
  queuePosition: number | null;
  unread: number;
  lastMessageAt: Date;
  createdAt: Date;
};

export type HelpMessageView = { id: number; kind: HelpMessageKind; body: string; createdAt: Date; authorName: string | null };

/** A thread as staff see it in the queue. */
export type StaffThreadSummary = {
  id: number;
  candidate: { id: number; name: string; idNumberMasked: string };
  examId: number | null;
  examName: string | null;
  roomId: number | null;
  roomName: string | null;
  seat: number | null;
  category: HelpCategory;
  status: HelpStatus;
  agent: { id: number; name: string } | null;
  queuedAt: Date;
  firstResponseAt: Date | null;
  resolvedAt: Date | null;
  lastMessageAt: Date;
  /** The newest message of any kind (notes included), cut to PREVIEW_CHARS. */
  lastMessagePreview: string | null;
  /** Candidate messages this staff member has not read. */
  unread: number;
  createdAt: Date;
  /**
   * The thread's newest event when this summary was read: a desk keeps the summary of the newest
   * state, whichever arrives last (a mutation's answer can come after the stream's later events).
   */
  lastEventId: number;
};

export type MineUpdate = { event: HelpEvent; thread: ThreadSummary; message: HelpMessageView | null };
/** Untracked: the queue moved (a thread ahead was taken); not resumable, recomputed on reconnect. */
export type PositionUpdate = { kind: 'position'; threadId: number; queuePosition: number };
/** Staff unread counts of a thread: `by` a reader who has read some of it, else `none` (nothing read yet). */
export type DeskUnread = { none: number; by: Record<number, number> };
/** One desk event as every open desk receives it (the same bytes for all): `thread.unread` is 0, the reader's count is in `unread`. */
export type DeskUpdate = { event: HelpEvent; thread: StaffThreadSummary; message: HelpMessageView | null; unread: DeskUnread };

export type AgentView = { id: number; name: string; capacity: number; accepting: boolean; openThreads: number };

/** What a staff member may see: everything, or the threads of some rooms (invigilators). */

export type HelpContext = {
  candidate: { id: number; name: string; idNumberMasked: string; phone: string | null };
  exam: { id: number; name: string; kind: 'written' | 'interview'; startsAt: Date; endsAt: Date } | null;
  room: { id: number; name: string } | null;
  seat: number | null;
  lotNumber: number | null;
  registration: { acceptedAt: Date | null; enteredAt: Date | null; finishedAt: Date | null; finishReason: string | null } | null;
  /** The candidate's grid tile (connection status and feeds of pc and phone), folded from stored events. */
  live: TileState | null;
  deviceCheck: { passed: boolean; camera: string; microphone: string; peakLevel: number; recordedMs: number; createdAt: Date } | null;
  systemCheck: {
    clockOffsetMs: number;
    roundTripMs: number;
    displays: string;
    mediaSupported: boolean;
    appVersion: string;
    userAgent: string;
    createdAt: Date;
  } | null;
  /** The last 20 timeline items of the candidate in that room, newest first. */
  timeline: TimelineItem[];
};

const PREVIEW_CHARS = 80;
const DEFAULT_CAPACITY = 5;
const OPEN_STATUSES: HelpStatus[] = ['queued', 'assigned'];
/** Events after which queued threads may have moved up. */
export const QUEUE_MOVES: HelpEventType[] = ['claimed', 'assigned', 'resolved', 'transferred'];

const isStaff = (u: UserCaller) => u.role !== 'candidate';

/* ------------------------------------------------------------------ events */

type NewEvent = {
  threadId: number;
  type: HelpEventType;
  actorId: number | null;
  messageId?: number | null;
  staffOnly?: boolean;
  payload?: Record<string, unknown>;
};

function insertEvent(tx: DbOrTx, e: NewEvent, out: HelpEvent[]) {
  out.push(
    tx
      .insert(helpEvents)
      .values({
        threadId: e.threadId,
        type: e.type,
        actorId: e.actorId,
        messageId: e.messageId ?? null,
        staffOnly: e.staffOnly ?? false,
        payload: e.payload ?? {},
      })
      .returning()
      .get(),
  );
}

/**
 * Runs a write in one transaction, then (only once committed) announces the events it recorded
 * on the bus it was given (the request's; the process's by default).
 */
function write<T>(db: Db, bus: EventBus, fn: (tx: DbOrTx, events: HelpEvent[]) => T): T {
  const recorded: HelpEvent[] = [];
  const result = db.transaction((tx) => fn(tx, recorded), { behavior: 'immediate' });
  announce(bus, recorded);
  return result;
}

function announce(bus: EventBus, rows: HelpEvent[]) {
  if (!rows.length) return;
  for (const row of rows) {
    bus.emit('help:desk', row);
    // Every event's payload names the thread's candidate, so routing needs no lookup.
    const candidateId = row.payload.candidateId as number | undefined;
    if (!row.staffOnly && candidateId != null) bus.emit(`help:candidate:${candidateId}`, row);
  }
}

/* ------------------------------------------------------------------ access */

function threadById(db: DbOrTx, threadId: number) {
  return db.select().from(helpThreads).where(eq(helpThreads.id, threadId)).get();
}

/** The threads a staff member's desk shows: the threads of their rooms (all for support and admins). */
export function deskScope({ db, caller }: { db: Db; caller: UserCaller }): RoomScope {
  return caller.role === 'invigilator' ? roomScope(db, caller) : { all: true };
}

/**
 * The thread, if this caller may see it: its candidate, support and admins, invigilators of its
 * room. Anyone else is told it does not exist.
 */
function accessibleThread(db: Db, caller: UserCaller, threadId: number): HelpThread {
  const thread = threadById(db, threadId);
  const visible = !!thread && mayReadThread(db, caller, thread);
  if (!visible) throw new AppError('NOT_FOUND', 'help.notFound');
  return thread;
}

/* ------------------------------------------------------------------ summaries */

const agentUser = alias(users, 'help_agent');
const candidateUser = alias(users, 'help_candidate');

/** Messages that count as unread for a caller: the other side's. */
const OUTER_THREAD_ID = sql.raw('help_threads.id');

function unreadSql(userId: number, kinds: HelpMessageKind[]): SQL<number> {
  // The outer column is spelled out: drizzle writes a column of a single-table select without
  // its table, and a bare "id" inside this subquery would be help_messages' own id.
  return sql<number>`(select count(*) from help_messages m where m.thread_id = ${OUTER_THREAD_ID} and m.kind in ${kinds}
    and m.id > coalesce((select r.last_read_message_id from help_reads r where r.thread_id = ${OUTER_THREAD_ID} and r.user_id = ${userId}), 0))`;
}

/** Threads queued before this one (by queued_at, then id), plus one; null unless queued. */
const positionSql = sql<number | null>`case when help_threads.status = 'queued' then 1 + (select count(*) from help_threads q
  where q.status = 'queued' and (q.queued_at < help_threads.queued_at or (q.queued_at = help_threads.queued_at and q.id < help_threads.id))) end`;

const CANDIDATE_UNREAD: HelpMessageKind[] = ['agent', 'system'];
const STAFF_UNREAD: HelpMessageKind[] = ['candidate'];

function candidateSummaries(db: DbOrTx, where: SQL | undefined, readerId: number): ThreadSummary[] {
  return db
    .select({
      id: helpThreads.id,
      category: helpThreads.category,
      status: helpThreads.status,
      agentName: agentUser.name,
      queuePosition: positionSql,
      unread: unreadSql(readerId, CANDIDATE_UNREAD),
      lastMessageAt: helpThreads.lastMessageAt,
      createdAt: helpThreads.createdAt,
    })
    .from(helpThreads)
    .leftJoin(agentUser, eq(agentUser.id, helpThreads.agentId))
    .where(where)
    .orderBy(desc(helpThreads.id))
    .all();
}

export function candidateSummary(db: DbOrTx, threadId: number, readerId: number) {
  return candidateSummaries(db, eq(helpThreads.id, threadId), readerId)[0]!;
}

/** `readerId` null leaves `unread` at 0 (the desk stream counts it per reader, apart). */
function staffSummaries(db: DbOrTx, where: SQL | undefined, readerId: number | null, order: SQL[], limit?: number): StaffThreadSummary[] {
  const q = db
    .select({
      t: helpThreads,
      candidateName: candidateUser.name,
      candidateIdNumber: candidateUser.idNumber,
      examName: exams.title,
      roomName: examRooms.name,
      seat: registrations.seat,
      agentName: agentUser.name,
      lastMessagePreview: sql<
        string | null
      >`(select substr(m.body, 1, ${PREVIEW_CHARS}) from help_messages m where m.thread_id = ${helpThreads.id} order by m.id desc limit 1)`,
      unread: readerId == null ? sql<number>`0` : unreadSql(readerId, STAFF_UNREAD),
      lastEventId: sql<number>`(select coalesce(max(e.id), 0) from help_events e where e.thread_id = ${helpThreads.id})`,
    })
    .from(helpThreads)
    .innerJoin(candidateUser, eq(candidateUser.id, helpThreads.candidateId))
    .leftJoin(exams, eq(exams.id, helpThreads.examId))
    .leftJoin(examRooms, eq(examRooms.id, helpThreads.roomId))
    .leftJoin(registrations, and(eq(registrations.examId, helpThreads.examId), eq(registrations.candidateId, helpThreads.candidateId)))
    .leftJoin(agentUser, eq(agentUser.id, helpThreads.agentId))
    .where(where)
    .orderBy(...order);
  const rows = limit ? q.limit(limit).all() : q.all();
  return rows.map(({ t, ...r }) => ({
    id: t.id,
    candidate: { id: t.candidateId, name: r.candidateName, idNumberMasked: maskIdNumber(r.candidateIdNumber ?? '') },
    examId: t.examId,
    examName: r.examName,
    roomId: t.roomId,
    roomName: r.roomName,
    seat: r.seat,
    category: t.category,
    status: t.status,
    agent: t.agentId != null && r.agentName != null ? { id: t.agentId, name: r.agentName } : null,
    queuedAt: t.queuedAt,
    firstResponseAt: t.firstResponseAt,
    resolvedAt: t.resolvedAt,
    lastMessageAt: t.lastMessageAt,
    lastMessagePreview: r.lastMessagePreview,
    unread: Number(r.unread),
    createdAt: t.createdAt,
    lastEventId: Number(r.lastEventId),
  }));
}

export function staffSummary(db: DbOrTx, threadId: number, readerId: number | null) {
  return staffSummaries(db, eq(helpThreads.id, threadId), readerId, [])[0]!;
}

export function messageViews(db: DbOrTx, where: SQL | undefined): HelpMessageView[] {
  return db
    .select({ id: helpMessages.id, kind: helpMessages.kind, body: helpMessages.body, createdAt: helpMessages.createdAt, authorName: users.name })
    .from(helpMessages)
    .leftJoin(users, eq(users.id, helpMessages.authorId))
    .where(where)
    .orderBy(asc(helpMessages.id))
    .all();
}

/* ------------------------------------------------------------------ auto-assign */

/** Support agents with their open (assigned) thread counts; agents without a desk row take the defaults. */
function agentLoads(db: DbOrTx, where?: SQL) {
  return (
    db
      .select({
        id: users.id,
        name: users.name,
        capacity: sql<number>`coalesce(${supportAgents.capacity}, ${DEFAULT_CAPACITY})`,
        accepting: sql<number>`coalesce(${supportAgents.accepting}, 1)`,
        openThreads: sql<number>`(select count(*) from help_threads t where t.agent_id = ${users.id} and t.status = 'assigned')`,
      })
      .from(users)
      .leftJoin(supportAgents, eq(supportAgents.userId, users.id))
      // Archived agents are gone from the desk: nothing is assigned to them.
      .where(and(eq(users.role, 'support'), isNull(users.archivedAt), where))
      .orderBy(asc(users.id))
      .all()
      .map((a) => ({ ...a, accepting: !!a.accepting, openThreads: Number(a.openThreads) }))
  );
}

/**
 * Hands the oldest queued threads to accepting agents with free capacity, fewest open threads
 * first (ties: lowest id), until either runs out. Runs inside the caller's transaction.
 */
function autoAssign(tx: DbOrTx, out: HelpEvent[], now: Date) {
  const free = agentLoads(tx).filter((a) => a.accepting && a.openThreads < a.capacity);
  if (!free.length) return;
  for (;;) {
    const agent = free.filter((a) => a.openThreads < a.capacity).sort((x, y) => x.openThreads - y.openThreads || x.id - y.id)[0];
    if (!agent) return;
    const next = tx
      .select({ id: helpThreads.id, candidateId: helpThreads.candidateId })
      .from(helpThreads)
      .where(eq(helpThreads.status, 'queued'))
      .orderBy(asc(helpThreads.queuedAt), asc(helpThreads.id))
      .limit(1)
      .get();
    if (!next) return;
    tx.update(helpThreads).set({ status: 'assigned', agentId: agent.id }).where(eq(helpThreads.id, next.id)).run();
    insertEvent(
      tx,
      {
        threadId: next.id,
        type: 'assigned',
        actorId: null,
        payload: { candidateId: next.candidateId, agentId: agent.id, agentName: agent.name, at: now.getTime() },
      },
      out,
    );
    agent.openThreads++;
  }
}

/* ------------------------------------------------------------------ candidate */

export function myThreads({ db, candidateId }: { db: Db; candidateId: number }): ThreadSummary[] {
  return candidateSummaries(db, eq(helpThreads.candidateId, candidateId), candidateId);
}

const DAY_MS = 24 * 60 * 60_000;

/**
 * The exam and room a candidate is in now: an exam between entry opening and its end (plus
 * grace), else the nearest one within a day. Null when none.
 */
function currentSitting(db: DbOrTx, candidateId: number, now: Date) {
  const rows = db
    .select({ reg: registrations, exam: exams })
    .from(registrations)
    .innerJoin(exams, eq(exams.id, registrations.examId))
    .where(and(eq(registrations.candidateId, candidateId), isNotNull(registrations.roomId)))
    .all();
  const t = now.getTime();
  let best: { examId: number; roomId: number; distance: number } | null = null;
  for (const { reg, exam } of rows) {
    const from = exam.entryOpensAt.getTime();
    const to = endsAt(exam, reg).getTime() + SAVE_GRACE_MS;
    const distance = t < from ? from - t : t > to ? t - to : 0;
    if (distance <= DAY_MS && (!best || distance < best.distance)) best = { examId: exam.id, roomId: reg.roomId!, distance };
  }
  return best;
}

export function openThread({
  db,
  candidateId,
  category,
  body,
  now = new Date(),
  bus = getBus(),
}: {
  db: Db;
  candidateId: number;
  category: HelpCategory;
  body: string;
  now?: Date;
  bus?: EventBus;
}): ThreadSummary {
  const threadId = write(db, bus, (tx, out) => {
    const open = tx
      .select({ id: helpThreads.id })
      .from(helpThreads)
      .where(and(eq(helpThreads.candidateId, candidateId), inArray(helpThreads.status, OPEN_STATUSES)))
      .get();
    if (open) throw new AppError('CONFLICT', 'help.alreadyOpen');
    const sitting = currentSitting(tx, candidateId, now);
    const thread = tx
      .insert(helpThreads)
      .values({
        candidateId,
        examId: sitting?.examId ?? null,
        roomId: sitting?.roomId ?? null,
        category,
        status: 'queued',
        createdAt: now,
        queuedAt: now,
        lastMessageAt: now,
      })
      .returning()
      .get();
    const message = tx.insert(helpMessages).values({ threadId: thread.id, kind: 'candidate', authorId: candidateId, body, createdAt: now }).returning().get();
    markReadTx(tx, thread.id, candidateId, message.id);
    insertEvent(tx, { threadId: thread.id, type: 'opened', actorId: candidateId, messageId: message.id, payload: { candidateId, category } }, out);
    autoAssign(tx, out, now);
    return thread.id;
  });
  return candidateSummary(db, threadId, candidateId);
}

/* ------------------------------------------------------------------ both sides */

/** The thread and its messages: staff get the staff summary and notes, its candidate neither. */
export function threadView({ db, caller, threadId }: { db: Db; caller: UserCaller; threadId: number }): {
  thread: ThreadSummary | StaffThreadSummary;
  messages: HelpMessageView[];
} {
  accessibleThread(db, caller, threadId);
  const staff = isStaff(caller);
  return {
    thread: staff ? staffSummary(db, threadId, caller.id) : candidateSummary(db, threadId, caller.id),
    messages: messageViews(
      db,
      staff ? eq(helpMessages.threadId, threadId) : and(eq(helpMessages.threadId, threadId), inArray(helpMessages.kind, ['candidate', 'agent', 'system'])),
    ),
  };
}

/** Puts a resolved thread back in the queue, its SLA clock restarted. */
function requeue(tx: DbOrTx, thread: HelpThread, actorId: number, now: Date, out: HelpEvent[]) {
  tx.update(helpThreads)
    .set({ status: 'queued', agentId: null, queuedAt: now, resolvedAt: null, firstResponseAt: null })
    .where(eq(helpThreads.id, thread.id))
    .run();
  insertEvent(tx, { threadId: thread.id, type: 'reopened', actorId, payload: { candidateId: thread.candidateId } }, out);
}

export function send({
  db,
  caller,
  threadId,
  body,
  kind,
  now = new Date(),
  bus = getBus(),
}: {
  db: Db;
  caller: UserCaller;
  threadId: number;
  body: string;
  kind?: 'agent' | 'note';
  now?: Date;
  bus?: EventBus;
}): HelpMessageView {
  accessibleThread(db, caller, threadId);
  const messageKind: HelpMessageKind = isStaff(caller) ? (kind ?? 'agent') : 'candidate';
  const messageId = write(db, bus, (tx, out) => {
    // Read again inside the write lock: another request may have changed it since.
    const thread = threadById(tx, threadId)!;
    const candidateId = thread.candidateId;
    if (messageKind === 'candidate' && thread.status === 'resolved') requeue(tx, thread, caller.id, now, out);
    if (messageKind === 'agent') {
      if (thread.status === 'resolved') throw new AppError('BAD_REQUEST', 'help.resolved');
      if (thread.status === 'queued') {
        tx.update(helpThreads).set({ status: 'assigned', agentId: caller.id }).where(eq(helpThreads.id, threadId)).run();
        insertEvent(tx, { threadId, type: 'claimed', actorId: caller.id, payload: { candidateId, agentId: caller.id, agentName: caller.name } }, out);
      }
    }
    const message = tx.insert(helpMessages).values({ threadId, kind: messageKind, authorId: caller.id, body, createdAt: now }).returning().get();
    // Notes do not move the candidate's "last message" time: they would show through it.
    if (messageKind !== 'note') tx.update(helpThreads).set({ lastMessageAt: now }).where(eq(helpThreads.id, threadId)).run();
    if (messageKind === 'agent' && !thread.firstResponseAt) {
      tx.update(helpThreads).set({ firstResponseAt: now }).where(eq(helpThreads.id, threadId)).run();
    }
    // Writing implies having read everything before.
    markReadTx(tx, threadId, caller.id, message.id);
    insertEvent(
      tx,
      { threadId, type: 'message', actorId: caller.id, messageId: message.id, staffOnly: messageKind === 'note', payload: { candidateId, kind: messageKind } },
      out,
    );
    if (messageKind === 'candidate' && thread.status === 'resolved') autoAssign(tx, out, now);
    return message.id;
  });
  return messageViews(db, eq(helpMessages.id, messageId))[0]!;
}

/** Which side of the thread this caller is on (and that they may see it). */
export function assertTypingAccess({ db, caller, threadId }: { db: Db; caller: UserCaller; threadId: number }): HelpTyping['side'] {
  accessibleThread(db, caller, threadId);
  return isStaff(caller) ? 'agent' : 'candidate';
}

export function typing({ db, bus, caller, threadId }: { db: Db; bus: EventBus; caller: UserCaller; threadId: number }): { ok: true } {
  const side = assertTypingAccess({ db, caller, threadId });
  bus.emit(`help:typing:${threadId}`, { threadId, side, userId: caller.id, name: caller.name });
  return { ok: true };
}

function markReadTx(tx: DbOrTx, threadId: number, userId: number, messageId: number) {
  tx.insert(helpReads)
    .values({ threadId, userId, lastReadMessageId: messageId })
    .onConflictDoUpdate({
      target: [helpReads.threadId, helpReads.userId],
      // Monotonic: a late "read up to 3" after "read up to 5" changes nothing.
      set: { lastReadMessageId: sql`max(${helpReads.lastReadMessageId}, excluded.last_read_message_id)` },
    })
    .run();
}

export function markRead({ db, caller, threadId, messageId }: { db: Db; caller: UserCaller; threadId: number; messageId: number }): {
  lastReadMessageId: number;
} {
  accessibleThread(db, caller, threadId);
  const message = db
    .select({ id: helpMessages.id })
    .from(helpMessages)
    .where(and(eq(helpMessages.id, messageId), eq(helpMessages.threadId, threadId)))
    .get();
  if (!message) throw new AppError('NOT_FOUND', 'help.messageNotFound');
  markReadTx(db, threadId, caller.id, messageId);
  const row = db
    .select({ id: helpReads.lastReadMessageId })
    .from(helpReads)
    .where(and(eq(helpReads.threadId, threadId), eq(helpReads.userId, caller.id)))
    .get()!;
  return { lastReadMessageId: row.id };
}

/* ------------------------------------------------------------------ staff */

export function queue({ db, caller, scope }: { db: Db; caller: UserCaller; scope: 'open' | 'mine' | 'resolved' }): StaffThreadSummary[] {
  const desk = deskScope({ db, caller });
  if (!desk.all && !desk.roomIds.size) return [];
  const rooms = desk.all ? undefined : inArray(helpThreads.roomId, [...desk.roomIds]);
  switch (scope) {
    case 'open':
      return staffSummaries(db, and(inArray(helpThreads.status, OPEN_STATUSES), rooms), caller.id, [
        sql`case when ${helpThreads.status} = 'queued' then 0 else 1 end`,
        asc(helpThreads.queuedAt),
        asc(helpThreads.id),
      ]);
    case 'mine':
      return staffSummaries(db, and(eq(helpThreads.status, 'assigned'), eq(helpThreads.agentId, caller.id), rooms), caller.id, [
        asc(helpThreads.queuedAt),
        asc(helpThreads.id),
      ]);
    case 'resolved':
      return staffSummaries(db, and(eq(helpThreads.status, 'resolved'), rooms), caller.id, [desc(helpThreads.resolvedAt), desc(helpThreads.id)], 100);
  }
}

export function claim({
  db,
  caller,
  threadId,
  now = new Date(),
  bus = getBus(),
}: {
  db: Db;
  caller: UserCaller;
  threadId: number;
  now?: Date;
  bus?: EventBus;
}): StaffThreadSummary {
  accessibleThread(db, caller, threadId);
  write(db, bus, (tx, out) => {
    const thread = threadById(tx, threadId)!;
    if (thread.status === 'resolved') throw new AppError('BAD_REQUEST', 'help.resolved');
    if (thread.status === 'assigned') {
      if (thread.agentId === caller.id) return;
      throw new AppError('CONFLICT', 'help.alreadyClaimed');
    }
    tx.update(helpThreads).set({ status: 'assigned', agentId: caller.id }).where(eq(helpThreads.id, threadId)).run();
    insertEvent(
      tx,
      {
        threadId,
        type: 'claimed',
        actorId: caller.id,
        payload: { candidateId: thread.candidateId, agentId: caller.id, agentName: caller.name, at: now.getTime() },
      },
      out,
    );
  });
  return staffSummary(db, threadId, caller.id);
}

export function transfer({
  db,
  caller,
  threadId,
  toAgentId,
  now = new Date(),
  bus = getBus(),
}: {
  db: Db;
  caller: UserCaller;
  threadId: number;
  toAgentId: number;
  now?: Date;
  bus?: EventBus;
}): StaffThreadSummary {
  accessibleThread(db, caller, threadId);
  const target = db.select({ id: users.id, name: users.name, role: users.role }).from(users).where(eq(users.id, toAgentId)).get();
  if (!target || (target.role !== 'support' && target.role !== 'admin')) throw new AppError('NOT_FOUND', 'help.agentNotFound');
  write(db, bus, (tx, out) => {
    const thread = threadById(tx, threadId)!;
    if (thread.status === 'resolved') throw new AppError('BAD_REQUEST', 'help.resolved');
    if (thread.agentId === target.id) return;
    handOver(tx, out, thread, target, caller.id, now);
  });
  return staffSummary(db, threadId, caller.id);
}

/** Gives the thread to the agent and announces it as a transfer, so both agents' desks update live. */
function handOver(tx: DbOrTx, out: HelpEvent[], thread: HelpThread, target: { id: number; name: string }, actorId: number, now: Date) {
  tx.update(helpThreads).set({ status: 'assigned', agentId: target.id }).where(eq(helpThreads.id, thread.id)).run();
  insertEvent(
    tx,
    {
      threadId: thread.id,
      type: 'transferred',
      actorId,
      payload: { candidateId: thread.candidateId, fromAgentId: thread.agentId, agentId: target.id, agentName: target.name },
    },
    out,
  );
  // The previous agent has a free slot now.
  autoAssign(tx, out, now);
}

/**
 * The support lead moves a conversation to another agent, or hands a waiting one to an agent:
 * only to an active support agent; audited in the same transaction.
 */
export function reassign({
  db,
  caller,
  threadId,
  toAgentId,
  now = new Date(),
  bus = getBus(),
}: {
  db: Db;
  caller: UserCaller;
  threadId: number;
  toAgentId: number;
  now?: Date;
  bus?: EventBus;
}): StaffThreadSummary {
  accessibleThread(db, caller, threadId);
  const target = db.select({ id: users.id, name: users.name, role: users.role, archivedAt: users.archivedAt }).from(users).where(eq(users.id, toAgentId)).get();
  if (!target || target.role !== 'support') throw new AppError('BAD_REQUEST', 'deskLead.notAgent');
  if (target.archivedAt) throw new AppError('CONFLICT', 'deskLead.agentArchived', { name: target.name });
  write(db, bus, (tx, out) => {
    const thread = threadById(tx, threadId)!;
    if (thread.status === 'resolved') throw new AppError('BAD_REQUEST', 'help.alreadyResolved');
    if (thread.agentId === target.id) return;
    handOver(tx, out, thread, target, caller.id, now);
    audit(tx, {
      actorId: caller.id,
      action: 'help.reassigned',
      examId: thread.examId,
      roomId: thread.roomId,
      candidateId: thread.candidateId,
      detail: { threadId, fromAgentId: thread.agentId, toAgentId: target.id },
      at: now,
    });
  });
  return staffSummary(db, threadId, caller.id);
}

export function resolve({
  db,
  caller,
  threadId,
  now = new Date(),
  bus = getBus(),
}: {
  db: Db;
  caller: UserCaller;
  threadId: number;
  now?: Date;
  bus?: EventBus;
}): StaffThreadSummary {
  accessibleThread(db, caller, threadId);
  write(db, bus, (tx, out) => {
    const thread = threadById(tx, threadId)!;
    if (thread.status === 'resolved') throw new AppError('BAD_REQUEST', 'help.alreadyResolved');
    tx.update(helpThreads).set({ status: 'resolved', resolvedAt: now }).where(eq(helpThreads.id, threadId)).run();
    insertEvent(tx, { threadId, type: 'resolved', actorId: caller.id, payload: { candidateId: thread.candidateId, agentId: thread.agentId } }, out);
    autoAssign(tx, out, now);
  });
  return staffSummary(db, threadId, caller.id);
}

export function reopen({
  db,
  caller,
  threadId,
  now = new Date(),
  bus = getBus(),
}: {
  db: Db;
  caller: UserCaller;
  threadId: number;
  now?: Date;
  bus?: EventBus;
}): StaffThreadSummary {
  accessibleThread(db, caller, threadId);
  write(db, bus, (tx, out) => {
    const thread = threadById(tx, threadId)!;
    if (thread.status !== 'resolved') throw new AppError('BAD_REQUEST', 'help.notResolved');
    const open = tx
      .select({ id: helpThreads.id })
      .from(helpThreads)
      .where(and(eq(helpThreads.candidateId, thread.candidateId), inArray(helpThreads.status, OPEN_STATUSES)))
      .get();
    // One open thread per candidate: they asked again meanwhile; carry on there.
    if (open) throw new AppError('CONFLICT', 'help.otherOpen');
    requeue(tx, thread, caller.id, now, out);
    autoAssign(tx, out, now);
  });
  return staffSummary(db, threadId, caller.id);
}

export function agents({ db }: { db: Db }): AgentView[] {
  return agentLoads(db).map((a) => ({ id: a.id, name: a.name, capacity: Number(a.capacity), accepting: a.accepting, openThreads: a.openThreads }));
}

function agentView(db: Db, id: number): AgentView {
  const a = agents({ db }).find((x) => x.id === id);
  if (a) return a;
  // An admin working the desk has no support row in the list; report their desk as stored.
  const u = db
    .select({ name: users.name, sa: supportAgents })
    .from(users)
    .leftJoin(supportAgents, eq(supportAgents.userId, users.id))
    .where(eq(users.id, id))
    .get()!;
  const openThreads = db
    .select({ n: sql<number>`count(*)` })
    .from(helpThreads)
    .where(and(eq(helpThreads.agentId, id), eq(helpThreads.status, 'assigned')))
    .get()!.n;
  return { id, name: u.name, capacity: u.sa?.capacity ?? DEFAULT_CAPACITY, accepting: u.sa?.accepting ?? true, openThreads: Number(openThreads) };
}

/** Creates or changes an agent's desk row (seed and settings); does not assign anything. */
export function upsertDesk(tx: DbOrTx, userId: number, set: { accepting?: boolean; capacity?: number; lead?: boolean }) {
  tx.insert(supportAgents)
    .values({ userId, ...set })
    .onConflictDoUpdate({ target: supportAgents.userId, set })
    .run();
}

export function setAccepting({
  db,
  caller,
  accepting,
  now = new Date(),
  bus = getBus(),
}: {
  db: Db;
  caller: UserCaller;
  accepting: boolean;
  now?: Date;
  bus?: EventBus;
}): AgentView {
  write(db, bus, (tx, out) => {
    upsertDesk(tx, caller.id, { accepting });
    if (accepting) autoAssign(tx, out, now);
  });
  return agentView(db, caller.id);
}

export function setCapacity({
  db,
  agentId,
  capacity,
  now = new Date(),
  bus = getBus(),
}: {
  db: Db;
  agentId: number;
  capacity: number;
  now?: Date;
  bus?: EventBus;
}): AgentView {
  const agent = db.select({ role: users.role }).from(users).where(eq(users.id, agentId)).get();
  if (agent?.role !== 'support') throw new AppError('NOT_FOUND', 'help.agentNotFound');
  write(db, bus, (tx, out) => {
    upsertDesk(tx, agentId, { capacity });
    autoAssign(tx, out, now);
  });
  return agentView(db, agentId);
}

/* ------------------------------------------------------------------ canned replies */

export function listCanned({ db }: { db: Db }): CannedReply[] {
  return db.select().from(cannedReplies).orderBy(asc(cannedReplies.title), asc(cannedReplies.id)).all();
}

export function createCanned({ db, userId, title, body }: { db: DbOrTx; userId: number | null; title: string; body: string }): CannedReply {
  return db.insert(cannedReplies).values({ title, body, createdBy: userId }).returning().get();
}

export function updateCanned({ db, id, title, body }: { db: Db; id: number; title: string; body: string }): CannedReply {
  const row = db.update(cannedReplies).set({ title, body }).where(eq(cannedReplies.id, id)).returning().get();
  if (!row) throw new AppError('NOT_FOUND', 'help.cannedNotFound');
  return row;
}

export function removeCanned({ db, id }: { db: Db; id: number }): { ok: true } {
  const gone = db.delete(cannedReplies).where(eq(cannedReplies.id, id)).run();
  if (!gone.changes) throw new AppError('NOT_FOUND', 'help.cannedNotFound');
  return { ok: true };
}

/* ------------------------------------------------------------------ context */

export function context({ db, caller, threadId }: { db: Db; caller: UserCaller; threadId: number }): HelpContext {
  const thread = accessibleThread(db, caller, threadId);
  const candidate = db.select().from(users).where(eq(users.id, thread.candidateId)).get()!;
  const sitting =
    thread.examId != null
      ? db
          .select({ exam: exams, reg: registrations, roomName: examRooms.name })
          .from(registrations)
          .innerJoin(exams, eq(exams.id, registrations.examId))
          .innerJoin(examRooms, eq(examRooms.id, registrations.roomId))
          .where(and(eq(registrations.examId, thread.examId), eq(registrations.candidateId, thread.candidateId)))
          .get()
      : undefined;
  const checks = latestChecks({ db, candidateId: candidate.id });
  const roomId = sitting?.reg.roomId ?? null;
  return {
    candidate: { id: candidate.id, name: candidate.name, idNumberMasked: maskIdNumber(candidate.idNumber ?? ''), phone: candidate.phone },
    exam: sitting
      ? { id: sitting.exam.id, name: sitting.exam.title, kind: sitting.exam.kind, startsAt: sitting.exam.startsAt, endsAt: endsAt(sitting.exam, sitting.reg) }
      : null,
    room: sitting && roomId != null ? { id: roomId, name: sitting.roomName } : null,
    seat: sitting?.reg.seat ?? null,
    lotNumber: sitting?.reg.lotNumber ?? null,
    registration: sitting
      ? { acceptedAt: sitting.reg.acceptedAt, enteredAt: sitting.reg.enteredAt, finishedAt: sitting.reg.finishedAt, finishReason: sitting.reg.finishReason }
      : null,
    live: roomId != null ? (roomTiles({ db, roomId, candidateIds: [candidate.id] })[0] ?? null) : null,
    deviceCheck: checks.device
      ? {
          passed: checks.device.passed,
          camera: checks.device.camera,
          microphone: checks.device.microphone,
          peakLevel: checks.device.peakLevel,
          recordedMs: checks.device.recordedMs,
          createdAt: checks.device.createdAt,
        }
      : null,
    systemCheck: checks.system
      ? {
          clockOffsetMs: checks.system.clockOffsetMs,
          roundTripMs: checks.system.roundTripMs,
          displays: checks.system.displays,
          mediaSupported: checks.system.mediaSupported,
          appVersion: checks.system.appVersion,
          userAgent: checks.system.userAgent,
          createdAt: checks.system.createdAt,
        }
      : null,
    // Access was checked above (by thread); the timeline reader's own room check is for invigilators.
    timeline: roomId != null ? timelineItems({ db, roomId, candidateId: candidate.id, limit: 20 }) : [],
  };
}

export function roomThreads({
  db,
  caller,
  roomId,
}: {
  db: Db;
  caller: UserCaller;
  roomId: number;
}): { threadId: number; candidateId: number; status: HelpStatus }[] {
  if (caller.role === 'invigilator') assertRoom(db, caller, roomId);
  return db
    .select({ threadId: helpThreads.id, candidateId: helpThreads.candidateId, status: helpThreads.status })
    .from(helpThreads)
    .where(and(eq(helpThreads.roomId, roomId), inArray(helpThreads.status, OPEN_STATUSES)))
    .orderBy(asc(helpThreads.id))
    .all();
}
