import { and, desc, eq, inArray, or, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { messageReceipts, messages, registrations } from '@/db/schema';
import { AppError } from '../errors';
import { recordEvent } from './timeline';

/** Messages addressed to this candidate: to everyone, to one of their exams or rooms, or to them. */
function audienceOf({ db, candidateId }: { db: Db; candidateId: number }) {
  const regs = db.select({ examId: registrations.examId, roomId: registrations.roomId }).from(registrations).where(eq(registrations.candidateId, candidateId)).all();
  const examIds = regs.map((r) => r.examId);
  const roomIds = regs.map((r) => r.roomId);
  return or(
    eq(messages.audience, 'all'),
    and(eq(messages.audience, 'candidate'), eq(messages.candidateId, candidateId)),
    examIds.length ? and(eq(messages.audience, 'exam'), inArray(messages.examId, examIds)) : undefined,
    roomIds.length ? and(eq(messages.audience, 'room'), inArray(messages.roomId, roomIds)) : undefined,
  );
}

export function listMessages({ db, candidateId }: { db: Db; candidateId: number }) {
  return db
    .select({
      id: messages.id,
      title: messages.title,
      body: messages.body,
      priority: messages.priority,
      mustAcknowledge: messages.mustAcknowledge,
      createdAt: messages.createdAt,
      readAt: messageReceipts.readAt,
      acknowledgedAt: messageReceipts.acknowledgedAt,
    })
    .from(messages)
    .leftJoin(messageReceipts, and(eq(messageReceipts.messageId, messages.id), eq(messageReceipts.candidateId, candidateId)))
    .where(audienceOf({ db, candidateId }))
    .orderBy(desc(messages.createdAt), desc(messages.id))
    .all();
}

export function unreadCount({ db, candidateId }: { db: Db; candidateId: number }) {
  return listMessages({ db, candidateId }).filter((m) => !m.readAt).length;
}

function assertAddressed({ db, candidateId, messageId }: { db: Db; candidateId: number; messageId: number }) {
  const found = db.select({ id: messages.id }).from(messages).where(and(eq(messages.id, messageId), audienceOf({ db, candidateId }))).get();
  if (!found) throw new AppError('NOT_FOUND', 'messages.notFound');
}

export function markRead({ db, candidateId, messageId, now = new Date() }: { db: Db; candidateId: number; messageId: number; now?: Date }) {
  assertAddressed({ db, candidateId, messageId });
  db.insert(messageReceipts)
    .values({ messageId, candidateId, readAt: now })
    .onConflictDoUpdate({ target: [messageReceipts.messageId, messageReceipts.candidateId], set: { readAt: sql`coalesce(${messageReceipts.readAt}, excluded.read_at)` } })
    .run();
  return { ok: true };
}

/**
 * Records the candidate's acknowledgement (the first one counts) and, the first time, a
 * `message_acknowledged` event in each room the message concerns, so invigilators see it live.
 */
export function acknowledge({ db, candidateId, messageId, now = new Date() }: { db: Db; candidateId: number; messageId: number; now?: Date }) {
  assertAddressed({ db, candidateId, messageId });
  return db.transaction((tx) => {
    const before = tx
      .select({ acknowledgedAt: messageReceipts.acknowledgedAt })
      .from(messageReceipts)
      .where(and(eq(messageReceipts.messageId, messageId), eq(messageReceipts.candidateId, candidateId)))
      .get();
    tx.insert(messageReceipts)
      .values({ messageId, candidateId, readAt: now, acknowledgedAt: now })
      .onConflictDoUpdate({
        target: [messageReceipts.messageId, messageReceipts.candidateId],
        set: { readAt: sql`coalesce(${messageReceipts.readAt}, excluded.read_at)`, acknowledgedAt: sql`coalesce(${messageReceipts.acknowledgedAt}, excluded.acknowledged_at)` },
      })
      .run();
    if (!before?.acknowledgedAt) {
      for (const roomId of roomsOf({ db: tx, candidateId, messageId })) {
        recordEvent({ db: tx, roomId, candidateId, type: 'message_acknowledged', device: null, occurredAt: now, payload: { messageId } });
      }
    }
    return { ok: true };
  });
}

/** The candidate's rooms a message concerns: its room, its exam's room, or all of theirs. */
function roomsOf({ db, candidateId, messageId }: { db: DbOrTx; candidateId: number; messageId: number }) {
  const m = db.select({ roomId: messages.roomId, examId: messages.examId }).from(messages).where(eq(messages.id, messageId)).get()!;
  const regs = db.select({ examId: registrations.examId, roomId: registrations.roomId }).from(registrations).where(eq(registrations.candidateId, candidateId)).all();
  return regs.filter((r) => (m.roomId != null ? r.roomId === m.roomId : m.examId != null ? r.examId === m.examId : true)).map((r) => r.roomId);
}
