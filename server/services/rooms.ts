import { and, asc, count, desc, eq, gt, inArray, isNotNull } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { events, examRooms, exams, invigilatorAssignments, registrations, users, type TimelineEvent } from '@/db/schema';
import { AppError } from '../errors';
import { mintInvigilatorToken } from '../livekit/tokens';
import { applyEvent, initialDeviceStatus, type DeviceStatus } from './tiles';

export function listInvigilatorRooms({ db, userId }: { db: Db; userId: number }) {
  return db
    .select({
      id: examRooms.id,
      name: examRooms.name,
      examId: exams.id,
      examTitle: exams.title,
      examKind: exams.kind,
      startsAt: exams.startsAt,
      entryOpensAt: exams.entryOpensAt,
      durationMinutes: exams.durationMinutes,
      candidates: count(registrations.id),
    })
    .from(invigilatorAssignments)
    .innerJoin(examRooms, eq(examRooms.id, invigilatorAssignments.roomId))
    .innerJoin(exams, eq(exams.id, examRooms.examId))
    .leftJoin(registrations, eq(registrations.roomId, examRooms.id))
    .where(eq(invigilatorAssignments.userId, userId))
    .groupBy(examRooms.id)
    .orderBy(asc(exams.startsAt), asc(examRooms.name))
    .all();
}

/** Row-level check: the room exists and is assigned to this invigilator. Admins see every room. */
export function assertRoomAccess({ db, userId, role, roomId }: { db: Db; userId: number; role: string; roomId: number }) {
  const room = db
    .select({ room: examRooms, exam: exams })
    .from(examRooms)
    .innerJoin(exams, eq(exams.id, examRooms.examId))
    .where(eq(examRooms.id, roomId))
    .get();
  if (!room) throw new AppError('NOT_FOUND', 'room.notFound');
  if (role !== 'admin') {
    const assigned = db
      .select()
      .from(invigilatorAssignments)
      .where(and(eq(invigilatorAssignments.roomId, roomId), eq(invigilatorAssignments.userId, userId)))
      .get();
    if (!assigned) throw new AppError('FORBIDDEN', 'room.notAssigned');
  }
  return room;
}

export type Tile = {
  candidateId: number;
  name: string;
  seat: number;
  pc: DeviceStatus;
  phone: DeviceStatus;
};

export type TileUpdate = { event: TimelineEvent; tile: Tile | null };

const STATUS_EVENT_TYPES = [
  'participant_joined',
  'participant_left',
  'participant_connection_aborted',
  'track_published',
  'track_unpublished',
];

function statusEvents({ db, roomId, candidateIds }: { db: Db; roomId: number; candidateIds?: number[] }) {
  return db
    .select()
    .from(events)
    .where(
      and(
        eq(events.roomId, roomId),
        candidateIds ? inArray(events.candidateId, candidateIds) : isNotNull(events.candidateId),
        inArray(events.type, STATUS_EVENT_TYPES),
      ),
    )
    .orderBy(asc(events.id))
    .all();
}

/** Tiles for the candidates registered in a room, each folded from its timeline. */
export function roomTiles({ db, roomId, candidateIds }: { db: Db; roomId: number; candidateIds?: number[] }): Tile[] {
  const regs = db
    .select({ candidateId: registrations.candidateId, seat: registrations.seat, name: users.name })
    .from(registrations)
    .innerJoin(users, eq(users.id, registrations.candidateId))
    .where(
      candidateIds
        ? and(eq(registrations.roomId, roomId), inArray(registrations.candidateId, candidateIds))
        : eq(registrations.roomId, roomId),
    )
    .orderBy(asc(registrations.seat))
    .all();
  const tiles = new Map<number, Tile>(
    regs.map((r) => [r.candidateId, { ...r, pc: initialDeviceStatus(), phone: initialDeviceStatus() }]),
  );
  for (const e of statusEvents({ db, roomId, candidateIds })) {
    const tile = e.candidateId != null ? tiles.get(e.candidateId) : undefined;
    if (!tile) continue;
    const device = e.device === 'phone' ? 'phone' : 'pc';
    tile[device] = applyEvent(tile[device], e);
  }
  return [...tiles.values()];
}

export function roomView({ db, userId, role, roomId }: { db: Db; userId: number; role: string; roomId: number }) {
  const { room, exam } = assertRoomAccess({ db, userId, role, roomId });
  const lastEvent = db
    .select({ id: events.id })
    .from(events)
    .where(eq(events.roomId, roomId))
    .orderBy(desc(events.id))
    .limit(1)
    .get();
  return {
    room: { id: room.id, name: room.name },
    exam: { id: exam.id, title: exam.title, kind: exam.kind, startsAt: exam.startsAt, durationMinutes: exam.durationMinutes },
    tiles: roomTiles({ db, roomId }),
    /** The cursor the live subscription resumes from, so nothing between snapshot and stream is lost. */
    lastEventId: lastEvent?.id ?? 0,
  };
}

export async function watchToken({ db, userId, role, name, roomId }: { db: Db; userId: number; role: string; name: string; roomId: number }) {
  const { room } = assertRoomAccess({ db, userId, role, roomId });
  return mintInvigilatorToken({ room: room.livekitRoom, userId, name });
}

/** Events of a room after a cursor, oldest first: the backfill of a resumed subscription. */
export function roomEventsAfter({ db, roomId, afterId }: { db: Db; roomId: number; afterId: number }) {
  return db
    .select()
    .from(events)
    .where(and(eq(events.roomId, roomId), gt(events.id, afterId)))
    .orderBy(asc(events.id))
    .all();
}

export function tileUpdateFor({ db, event }: { db: Db; event: TimelineEvent }): TileUpdate {
  const tile = event.candidateId != null ? (roomTiles({ db, roomId: event.roomId, candidateIds: [event.candidateId] })[0] ?? null) : null;
  return { event, tile };
}
