import { and, asc, count, desc, eq, gt, inArray, isNotNull, max, or } from 'drizzle-orm';
import type { Db } from '@/db/client';
import {
  chiefInvigilators,
  events,
  examRooms,
  exams,
  flags,
  invigilatorAssignments,
  lastViewed,
  messageReceipts,
  messages,
  registrations,
  systemChecks,
  users,
  type Exam,
  type FlagType,
  type PlacedRegistration,
  type Registration,
  type TimelineEvent,
} from '@/db/schema';
import type { StaffCaller } from '../auth/caller';
import { byRoomName } from '../natural-order';
import { candidateIdentity, mintInvigilatorToken, type Device } from '../livekit/tokens';
import type { EventBus } from '../events/bus';
import { perRow, resumable } from '../events/resumable';
import { assertRoom } from './access';
import { endsAt, phaseOf, SAVE_GRACE_MS, type Phase } from './exams';
import { witnessStatuses, type WitnessStatus } from './phone';
import { applyEvent, applyFaceEvent, FACE_EVENT_TYPES, initialDeviceStatus, type DeviceStatus, type FaceStatus } from './tiles';

/** The rooms assigned to an invigilator (their "my rooms" list; chief views are listed apart). */
export function listInvigilatorRooms({ db, caller }: { db: Db; caller: StaffCaller }) {
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
    .where(eq(invigilatorAssignments.userId, caller.id))
    .groupBy(examRooms.id)
    .all()
    .sort((a, b) => a.startsAt.getTime() - b.startsAt.getTime() || a.examId - b.examId || byRoomName(a, b));
}

export type Tile = {
  candidateId: number;
  name: string;
  seat: number;
  /** The candidate's LiveKit identities (opaque): how the grid knows whose feed a participant is. */
  identities: Record<Device, string>;
  pc: DeviceStatus;
  phone: DeviceStatus;
};

/** A tile as the invigilator's grid shows it: feeds, exam progress, flags, patrol and messages. */
export type TileState = Tile & {
  lotNumber: number | null;
  phase: Phase;
  /** The candidate's own end time, extra time included. */
  endsAt: Date;
  extraMinutes: number;
  finishReason: Registration['finishReason'];
  /** From the candidate's latest system check (server minus device clock), or null. */
  clockOffsetMs: number | null;
  openFlags: { id: number; type: FlagType }[];
  /** When any invigilator last saw this candidate live, or null. */
  lastViewedAt: Date | null;
  /** Messages from this room's staff the candidate has not acknowledged yet. */
  pendingAcks: number;
  /** The bound witness phone (live/lost, battery), or null when none is bound. */
  witness: WitnessStatus | null;
  /** What the face checks on the candidate's camera last said, or null before their first signal. */
  face: FaceStatus | null;
};

export type TileUpdate = { event: TimelineEvent; tile: TileState | null };

const DEVICE_EVENT_TYPES = ['participant_joined', 'participant_left', 'participant_connection_aborted', 'track_published', 'track_unpublished'];
const STATUS_EVENT_TYPES = [...DEVICE_EVENT_TYPES, ...FACE_EVENT_TYPES];

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

/**
 * Progress as staff should see it. An exam left running past its end and grace period is shown
 * as timed out, as the candidate's next request will record it; reading does not write.
 */
function progressOf(exam: Exam, reg: Registration, now: Date) {
  const end = endsAt(exam, reg);
  if (!reg.finishedAt && reg.enteredAt && now.getTime() > end.getTime() + SAVE_GRACE_MS) {
    return { phase: 'finished' as Phase, endsAt: end, finishReason: 'timeout' as Registration['finishReason'] };
  }
  return { phase: phaseOf(exam, reg, now), endsAt: end, finishReason: reg.finishReason };
}

/** Tiles for the candidates registered in a room, each folded from its timeline. */
export function roomTiles({ db, roomId, candidateIds, now = new Date() }: { db: Db; roomId: number; candidateIds?: number[]; now?: Date }): TileState[] {
  const exam = db.select({ exam: exams }).from(examRooms).innerJoin(exams, eq(exams.id, examRooms.examId)).where(eq(examRooms.id, roomId)).get()?.exam;
  if (!exam) return [];
  const regs = db
    .select({ reg: registrations, name: users.name })
    .from(registrations)
    .innerJoin(users, eq(users.id, registrations.candidateId))
    .where(candidateIds ? and(eq(registrations.roomId, roomId), inArray(registrations.candidateId, candidateIds)) : eq(registrations.roomId, roomId))
    .orderBy(asc(registrations.seat))
    .all() as { reg: PlacedRegistration; name: string }[];
  const ids = regs.map((r) => r.reg.candidateId);
  if (!ids.length) return [];

  const offsets = new Map(
    db
      .select({ candidateId: systemChecks.candidateId, clockOffsetMs: systemChecks.clockOffsetMs })
      .from(systemChecks)
      .where(
        inArray(
          systemChecks.id,
          db
            .select({ id: max(systemChecks.id) })
            .from(systemChecks)
            .where(inArray(systemChecks.candidateId, ids))
            .groupBy(systemChecks.candidateId),
        ),
      )
      .all()
      .map((r) => [r.candidateId, r.clockOffsetMs]),
  );
  const viewed = new Map(
    db
      .select({ candidateId: lastViewed.candidateId, at: max(lastViewed.viewedAt) })
      .from(lastViewed)
      .where(and(eq(lastViewed.roomId, roomId), inArray(lastViewed.candidateId, ids)))
      .groupBy(lastViewed.candidateId)
      .all()
      .map((r) => [r.candidateId, r.at]),
  );
  const open = db
    .select({ id: flags.id, type: flags.type, candidateId: flags.candidateId })
    .from(flags)
    .where(and(eq(flags.roomId, roomId), inArray(flags.candidateId, ids), eq(flags.status, 'open')))
    .orderBy(asc(flags.id))
    .all();
  const pending = pendingAcksIn({ db, roomId, candidateIds: ids });
  const witnesses = witnessStatuses({ db, roomId, candidateIds: ids });

  const tiles = new Map<number, TileState>(
    regs.map(({ reg, name }) => [
      reg.candidateId,
      {
        candidateId: reg.candidateId,
        name,
        seat: reg.seat,
        identities: { pc: candidateIdentity(reg.candidateId, 'pc'), phone: candidateIdentity(reg.candidateId, 'phone') },
        pc: initialDeviceStatus(),
        phone: initialDeviceStatus(),
        lotNumber: reg.lotNumber,
        ...progressOf(exam, reg, now),
        extraMinutes: reg.extraMinutes,
        clockOffsetMs: offsets.get(reg.candidateId) ?? null,
        openFlags: open.filter((f) => f.candidateId === reg.candidateId).map(({ id, type }) => ({ id, type })),
        lastViewedAt: viewed.get(reg.candidateId) ?? null,
        pendingAcks: pending.get(reg.candidateId) ?? 0,
        witness: witnesses.get(reg.candidateId) ?? null,
        face: null,
      },
    ]),
  );
  for (const e of statusEvents({ db, roomId, candidateIds })) {
    const tile = e.candidateId != null ? tiles.get(e.candidateId) : undefined;
    if (!tile) continue;
    if (e.type.startsWith('integrity.')) {
      tile.face = applyFaceEvent(tile.face, e);
      continue;
    }
    const device = e.device === 'phone' ? 'phone' : 'pc';
    tile[device] = applyEvent(tile[device], e);
  }
  return [...tiles.values()];
}

/**
 * Per candidate, how many messages this room's staff sent them (alone or to the whole room) that
 * must be acknowledged and are not yet.
 */
function pendingAcksIn({ db, roomId, candidateIds }: { db: Db; roomId: number; candidateIds: number[] }) {
  const sent = db
    .select({ id: messages.id, audience: messages.audience, candidateId: messages.candidateId })
    .from(messages)
    .where(
      and(
        eq(messages.roomId, roomId),
        eq(messages.mustAcknowledge, true),
        or(eq(messages.audience, 'room'), and(eq(messages.audience, 'candidate'), inArray(messages.candidateId, candidateIds))),
      ),
    )
    .all();
  const out = new Map<number, number>();
  if (!sent.length) return out;
  const acked = new Set(
    db
      .select({ messageId: messageReceipts.messageId, candidateId: messageReceipts.candidateId })
      .from(messageReceipts)
      .where(
        and(
          inArray(
            messageReceipts.messageId,
            sent.map((m) => m.id),
          ),
          inArray(messageReceipts.candidateId, candidateIds),
          isNotNull(messageReceipts.acknowledgedAt),
        ),
      )
      .all()
      .map((r) => `${r.messageId}:${r.candidateId}`),
  );
  for (const candidateId of candidateIds) {
    const n = sent.filter((m) => (m.audience === 'room' || m.candidateId === candidateId) && !acked.has(`${m.id}:${candidateId}`)).length;
    if (n) out.set(candidateId, n);
  }
  return out;
}

export function lastRoomEventId({ db, roomId }: { db: Db; roomId: number }) {
  return db.select({ id: events.id }).from(events).where(eq(events.roomId, roomId)).orderBy(desc(events.id)).limit(1).get()?.id ?? 0;
}

export function roomView({ db, caller, roomId, now = new Date() }: { db: Db; caller: StaffCaller; roomId: number; now?: Date }) {
  const { room, exam } = assertRoom(db, caller, roomId);
  // Read before the tiles: an event stored in between is replayed by the subscription, not lost.
  const lastEventId = lastRoomEventId({ db, roomId });
  return {
    room: { id: room.id, name: room.name },
    exam: { id: exam.id, title: exam.title, kind: exam.kind, startsAt: exam.startsAt, durationMinutes: exam.durationMinutes },
    tiles: roomTiles({ db, roomId, now }),
    /** The cursor the live subscription resumes from, so nothing between snapshot and stream is lost. */
    lastEventId,
  };
}

export async function watchToken({ db, caller, roomId }: { db: Db; caller: StaffCaller; roomId: number }) {
  const { room } = assertRoom(db, caller, roomId);
  return mintInvigilatorToken({ room: room.livekitRoom, userId: caller.id, name: caller.name });
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

/** The event and the candidate's whole tile as it is now, so the grid can replace the tile. */
export function tileUpdateFor({ db, event }: { db: Db; event: TimelineEvent }): TileUpdate {
  const tile = event.candidateId != null ? (roomTiles({ db, roomId: event.roomId, candidateIds: [event.candidateId] })[0] ?? null) : null;
  return { event, tile };
}

/** Read once per event and process: every invigilator watching the room gets the same object (and bytes). */
const sharedTileUpdate = perRow((event: TimelineEvent, db: Db) => tileUpdateFor({ db, event }));

/** A room's events for its grid after a cursor, then live, each with the candidate's tile as it is now. */
export function roomStream({ db, bus, roomId, afterId, signal }: { db: Db; bus: EventBus; roomId: number; afterId: number; signal?: AbortSignal }) {
  return resumable({
    bus,
    channel: `room:${roomId}`,
    signal,
    backfill: () => {
      const rows = roomEventsAfter({ db, roomId, afterId });
      return { items: rows.map((event) => ({ id: event.id, data: tileUpdateFor({ db, event }) })), cursor: rows.at(-1)?.id ?? afterId };
    },
    between: (after, upTo) => roomEventsAfter({ db, roomId, afterId: after }).filter((e) => e.id <= upTo),
    accept: (event) => sharedTileUpdate(event, db),
  });
}
