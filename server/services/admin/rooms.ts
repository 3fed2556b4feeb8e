import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { chiefInvigilators, events, examRooms, flags, helpThreads, invigilatorAssignments, lastViewed, messages, registrations, users } from '@/db/schema';
import { AppError } from '../../errors';
import { dropLostRooms, type RemoveStaff } from '../../livekit/room-service';
import { byRoomName } from '../../natural-order';
import { watchableLivekitRooms } from '../access';
import { audit } from '../audit';
import { appointChiefInvigilator } from '../invigilate';
import { assignInvigilator as insertAssignment, createRoom as insertRoom } from '../setup';
import { countsByRoom, unplacedCount } from './distribute';
import { editableExam, examOrThrow, examUnderWay, roomOrThrow, type Actor } from './common';

/**
 * Rooms of an exam in the back office.
 *
 * What may change once the exam is under way (its entry window has opened: candidates may be
 * inside), decided here in one place:
 *   - allowed: adding a room, renaming, raising a capacity, archiving (stops new placements, the
 *     room's candidates stay), assigning invigilators and the chief, placing unplaced candidates
 *     ('unplaced' distribution and placing by hand anyone who has not entered);
 *   - refused: deleting a room, lowering a capacity, a 'rebalance' (it moves people around).
 * Nobody who has entered or has history in a room is ever moved (see distribute.ts).
 */
export const ROOM_CAPACITY_MAX = 500;

function assertNameFree(db: DbOrTx, examId: number, name: string, exceptRoomId?: number) {
  const clash = db
    .select({ id: examRooms.id })
    .from(examRooms)
    .where(and(eq(examRooms.examId, examId), eq(examRooms.name, name), exceptRoomId != null ? sql`${examRooms.id} <> ${exceptRoomId}` : undefined))
    .get();
  if (clash) throw new AppError('CONFLICT', 'adminRooms.nameTaken', { name });
}

function editableRoom(db: DbOrTx, roomId: number) {
  const { room, exam } = roomOrThrow(db, roomId);
  editableExam(db, exam.id);
  return { room, exam };
}

/** An active invigilator account, or a clear refusal. */
function activeInvigilator(db: DbOrTx, userId: number) {
  const user = db.select().from(users).where(eq(users.id, userId)).get();
  if (!user) throw new AppError('NOT_FOUND', 'admin.userNotFound');
  if (user.role !== 'invigilator') throw new AppError('CONFLICT', 'adminRooms.notInvigilator', { name: user.name });
  if (user.archivedAt) throw new AppError('CONFLICT', 'adminRooms.userArchived', { name: user.name });
  return user;
}

export type AdminRoom = {
  id: number;
  name: string;
  capacity: number;
  count: number;
  livekitRoom: string;
  archivedAt: Date | null;
  invigilators: { id: number; name: string; username: string | null; archived: boolean }[];
};

export function listRooms({ db, examId, now = new Date() }: { db: Db; examId: number; now?: Date }) {
  const exam = examOrThrow(db, examId);
  const rooms = db.select().from(examRooms).where(eq(examRooms.examId, examId)).all().sort(byRoomName);
  const ids = rooms.map((r) => r.id);
  const counts = countsByRoom(db, ids);
  const staff = ids.length
    ? db
        .select({ roomId: invigilatorAssignments.roomId, id: users.id, name: users.name, username: users.username, archivedAt: users.archivedAt })
        .from(invigilatorAssignments)
        .innerJoin(users, eq(users.id, invigilatorAssignments.userId))
        .where(inArray(invigilatorAssignments.roomId, ids))
        .orderBy(asc(invigilatorAssignments.createdAt), asc(users.id))
        .all()
    : [];
  const chief =
    db
      .select({ id: users.id, name: users.name, username: users.username })
      .from(chiefInvigilators)
      .innerJoin(users, eq(users.id, chiefInvigilators.userId))
      .where(eq(chiefInvigilators.examId, examId))
      .get() ?? null;
  return {
    underWay: examUnderWay(exam, now),
    archived: exam.archivedAt != null,
    unplaced: unplacedCount(db, examId),
    chief,
    rooms: rooms.map((r): AdminRoom => ({
      id: r.id,
      name: r.name,
      capacity: r.capacity,
      count: counts.get(r.id) ?? 0,
      livekitRoom: r.livekitRoom,
      archivedAt: r.archivedAt,
      invigilators: staff.filter((s) => s.roomId === r.id).map((s) => ({ id: s.id, name: s.name, username: s.username, archived: s.archivedAt != null })),
    })),
  };
}

export function createRoom({ db, actorId, examId, name, capacity, now = new Date() }: Actor & { examId: number; name: string; capacity: number }) {
  return db.transaction((tx) => {
    editableExam(tx, examId);
    assertNameFree(tx, examId, name);
    const room = insertRoom({ db: tx, examId, name, capacity });
    audit(tx, { actorId, action: 'room.created', examId, roomId: room.id, detail: { name, capacity }, at: now });
    return room;
  });
}

export function updateRoom({ db, actorId, roomId, name, capacity, now = new Date() }: Actor & { roomId: number; name?: string; capacity?: number }) {
  return db.transaction((tx) => {
    const { room, exam } = editableRoom(tx, roomId);
    const set: { name?: string; capacity?: number } = {};
    if (name != null && name !== room.name) {
      assertNameFree(tx, exam.id, name, roomId);
      set.name = name;
    }
    if (capacity != null && capacity !== room.capacity) {
      if (capacity < room.capacity && examUnderWay(exam, now)) throw new AppError('CONFLICT', 'adminRooms.underWayCapacity');
      const count = countsByRoom(tx, [roomId]).get(roomId) ?? 0;
      if (capacity < count) throw new AppError('CONFLICT', 'adminRooms.capacityBelowCount', { count });
      // A capacity above the count can still leave seat numbers above it (placed by hand):
      // refuse rather than leave seats outside the room.
      const maxSeat =
        tx
          .select({ m: sql<number | null>`max(${registrations.seat})` })
          .from(registrations)
          .where(eq(registrations.roomId, roomId))
          .get()?.m ?? 0;
      if (capacity < maxSeat) throw new AppError('CONFLICT', 'adminRooms.capacityBelowSeat', { seat: maxSeat });
      set.capacity = capacity;
    }
    if (!Object.keys(set).length) return room;
    const updated = tx.update(examRooms).set(set).where(eq(examRooms.id, roomId)).returning().get();
    audit(tx, {
      actorId,
      action: 'room.updated',
      examId: exam.id,
      roomId,
      detail: { before: { name: room.name, capacity: room.capacity }, after: set },
      at: now,
    });
    return updated;
  });
}

export function setRoomArchived({ db, actorId, roomId, archived, now = new Date() }: Actor & { roomId: number; archived: boolean }) {
  return db.transaction((tx) => {
    const { room, exam } = editableRoom(tx, roomId);
    if ((room.archivedAt != null) === archived) return room;
    const updated = tx
      .update(examRooms)
      .set({ archivedAt: archived ? now : null })
      .where(eq(examRooms.id, roomId))
      .returning()
      .get();
    audit(tx, { actorId, action: archived ? 'room.archived' : 'room.unarchived', examId: exam.id, roomId, detail: { name: room.name }, at: now });
    return updated;
  });
}

/** Whether anything happened in the room that the record must keep. */
function roomHasHistory(db: DbOrTx, roomId: number) {
  const tables = [
    db
      .select({ x: sql`1` })
      .from(events)
      .where(eq(events.roomId, roomId)),
    db
      .select({ x: sql`1` })
      .from(flags)
      .where(eq(flags.roomId, roomId)),
    db
      .select({ x: sql`1` })
      .from(messages)
      .where(eq(messages.roomId, roomId)),
    db
      .select({ x: sql`1` })
      .from(helpThreads)
      .where(eq(helpThreads.roomId, roomId)),
    db
      .select({ x: sql`1` })
      .from(lastViewed)
      .where(eq(lastViewed.roomId, roomId)),
  ];
  return tables.some((q) => q.limit(1).get() != null);
}

/** Deletes an empty room without history; anything else is refused with archiving suggested. */
export function deleteRoom({ db, actorId, roomId, now = new Date() }: Actor & { roomId: number }) {
  return db.transaction((tx) => {
    const { room, exam } = editableRoom(tx, roomId);
    if (examUnderWay(exam, now)) throw new AppError('CONFLICT', 'adminRooms.underWayDelete');
    const count = countsByRoom(tx, [roomId]).get(roomId) ?? 0;
    if (count > 0) throw new AppError('CONFLICT', 'adminRooms.roomHasCandidates', { count });
    if (roomHasHistory(tx, roomId)) throw new AppError('CONFLICT', 'adminRooms.roomHasHistory');
    // Audit rows keep the room's name: their room id goes null with the row.
    audit(tx, { actorId, action: 'room.deleted', examId: exam.id, detail: { roomId, name: room.name }, at: now });
    tx.delete(examRooms).where(eq(examRooms.id, roomId)).run();
    return { ok: true as const };
  });
}

/* ------------------------------------------------------------------ assignments */

export function assignInvigilator({ db, actorId, roomId, userId, now = new Date() }: Actor & { roomId: number; userId: number }) {
  return db.transaction((tx) => {
    const { room, exam } = editableRoom(tx, roomId);
    if (room.archivedAt) throw new AppError('CONFLICT', 'adminRooms.roomArchived');
    const user = activeInvigilator(tx, userId);
    if (insertAssignment({ db: tx, roomId, userId })) {
      audit(tx, { actorId, action: 'assignment.added', examId: exam.id, roomId, detail: { userId, name: user.name }, at: now });
    }
    return { ok: true as const };
  });
}

export function unassignInvigilator({
  db,
  actorId,
  roomId,
  userId,
  now = new Date(),
  removeStaff,
}: Actor & { roomId: number; userId: number; removeStaff?: RemoveStaff }) {
  const before = watchableLivekitRooms(db, userId);
  const result = db.transaction((tx) => {
    const { exam } = editableRoom(tx, roomId);
    const gone = tx
      .delete(invigilatorAssignments)
      .where(and(eq(invigilatorAssignments.roomId, roomId), eq(invigilatorAssignments.userId, userId)))
      .run();
    if (!gone.changes) throw new AppError('NOT_FOUND', 'adminRooms.notAssigned');
    audit(tx, { actorId, action: 'assignment.removed', examId: exam.id, roomId, detail: { userId }, at: now });
    return { ok: true as const };
  });
  dropLostRooms(before, watchableLivekitRooms(db, userId), userId, removeStaff);
  return result;
}

/** Sets or clears the one chief invigilator of an exam; replacing is one transaction. */
export function setChief({
  db,
  actorId,
  examId,
  userId,
  now = new Date(),
  removeStaff,
}: Actor & { examId: number; userId: number | null; removeStaff?: RemoveStaff }) {
  const previous = db.select({ userId: chiefInvigilators.userId }).from(chiefInvigilators).where(eq(chiefInvigilators.examId, examId)).get()?.userId;
  const watched = previous != null ? watchableLivekitRooms(db, previous) : new Set<string>();
  const result = db.transaction((tx) => {
    editableExam(tx, examId);
    const before = tx.select({ userId: chiefInvigilators.userId }).from(chiefInvigilators).where(eq(chiefInvigilators.examId, examId)).get()?.userId ?? null;
    if (before === userId) return { userId };
    if (userId != null) activeInvigilator(tx, userId);
    tx.delete(chiefInvigilators).where(eq(chiefInvigilators.examId, examId)).run();
    if (userId != null) appointChiefInvigilator({ db: tx, examId, userId });
    audit(tx, { actorId, action: 'chief.set', examId, detail: { userId, previousUserId: before }, at: now });
    return { userId };
  });
  if (previous != null) dropLostRooms(watched, watchableLivekitRooms(db, previous), previous, removeStaff);
  return result;
}

/** Active invigilators, for the pickers. */
export function invigilatorOptions({ db }: { db: Db }) {
  return db
    .select({ id: users.id, name: users.name, username: users.username })
    .from(users)
    .where(and(eq(users.role, 'invigilator'), isNull(users.archivedAt)))
    .orderBy(asc(users.name), asc(users.id))
    .all();
}
