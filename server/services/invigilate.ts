import { and, asc, desc, eq, inArray, isNull, notInArray, or, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Db, DbOrTx } from '@/db/client';
import {
  auditLog,
  chiefInvigilators,
  events,
  examRooms,
  exams,
  FLAG_TYPES,
  flags,
  invigilatorAssignments,
  lastViewed,
  messageReceipts,
  messages,
  presetMessages,
  registrations,
  users,
  type FlagStatus,
  type FlagType,
  type PlacedRegistration,
} from '@/db/schema';
import type { StaffArgs, StaffCaller } from '../auth/caller';
import { AppError } from '../errors';
import { locateRooms } from '../livekit/placement';
import { byRoomName } from '../natural-order';
import { endsAt, extendTime, finishRegistration, settleTimeout } from './exams';
import { assertCandidateInRoom, assertChief, assertExamStaff, assertRoom } from './access';
import { lastRoomEventId, roomTiles, type TileState } from './rooms';
import { audit } from './audit';
import { roomIncidents, sweepFeeds } from './feed-incidents';
import { decodeStill } from './stills';
import { CANDIDATE_COMMAND_TYPES, recordEvent } from './timeline';

// Stills are checked in one place (./stills), for staff's flags and the candidate's face signals alike.
export { decodeStill, STILL_MAX_BYTES } from './stills';

function examById(db: Db, examId: number) {
  const exam = db.select().from(exams).where(eq(exams.id, examId)).get();
  if (!exam) throw new AppError('NOT_FOUND', 'invigilate.examNotFound');
  return exam;
}

export type FlagCounts = Record<FlagType, { open: number; confirmed: number; dismissed: number }>;

function flagCounts(db: Db, roomId: number): FlagCounts {
  const counts = Object.fromEntries(FLAG_TYPES.map((t) => [t, { open: 0, confirmed: 0, dismissed: 0 }])) as FlagCounts;
  const rows = db
    .select({ type: flags.type, status: flags.status, n: sql<number>`count(*)` })
    .from(flags)
    .where(eq(flags.roomId, roomId))
    .groupBy(flags.type, flags.status)
    .all();
  for (const r of rows) counts[r.type][r.status] = r.n;
  return counts;
}

/** The grid's snapshot: every tile, the room's flag counts and the cursor to resume from. */
export function roomState({ db, caller, roomId, now = new Date() }: StaffArgs & { roomId: number }) {
  const { room, exam } = assertRoom(db, caller, roomId);
  // Flags and incidents that came due while no SFU event arrived (a timer lost with its process).
  sweepFeeds({ db, now });
  // Read before the tiles: an event stored in between is replayed by the subscription, not lost.
  const lastEventId = lastRoomEventId({ db, roomId });
  return {
    room: { id: room.id, name: room.name },
    exam: { id: exam.id, title: exam.title, kind: exam.kind, startsAt: exam.startsAt, durationMinutes: exam.durationMinutes },
    tiles: roomTiles({ db, roomId, now }) satisfies TileState[],
    flagCounts: flagCounts(db, roomId),
    incidents: roomIncidents({ db, roomIds: [roomId] }),
    lastEventId,
  };
}

/* ------------------------------------------------------------------ timeline */

export type TimelineItem = {
  /** Unique across kinds: `e<event id>`, `f<flag id>`, `f<flag id>r`, `m<message id>`, `m<message id>a`, `a<audit id>`. */
  id: string;
  at: Date;
  kind: 'event' | 'flag' | 'message' | 'action';
  /**
   * event: the timeline event type (`participant_joined`, `integrity.page_hidden`, …);
   * flag: `raised`, `confirmed` or `dismissed`; message: `sent` or `acknowledged`;
   * action: the audited action (`time.added`, `exam.ended`).
   */
  type: string;
  text?: string;
  /** The staff member's name. */
  by?: string;
  device?: 'pc' | 'phone';
  /** The track source of a track event. */
  source?: string;
  flagId?: number;
  flagType?: FlagType;
  messageId?: number;
  /** A sent message the candidate must acknowledge (only those wait for an acknowledgement). */
  mustAcknowledge?: boolean;
  /** The action's recorded detail (minutes added, …); an event's client, or a face signal's `face` (FaceDetail). */
  detail?: Record<string, unknown>;
};

/**
 * Event types shown through a richer row of their own (the flag, the message, the audit row),
 * or elsewhere altogether: upload progress is the tile's backlog badge, not a timeline line.
 */
const SHOWN_ELSEWHERE = ['flag_raised', 'flag_resolved', 'message_acknowledged', 'recording_progress', ...CANDIDATE_COMMAND_TYPES];
/** Audited actions shown as their flag or message. */
const ACTIONS_SHOWN_ELSEWHERE = ['message.sent', 'flag.created', 'flag.resolved'];

/**
 * One candidate's timeline in a room, newest first: what LiveKit and the candidate's page
 * reported, flags raised and resolved, messages sent and acknowledged, and staff actions.
 */
export function candidateTimeline({ db, caller, roomId, candidateId, limit = 200 }: StaffArgs & { roomId: number; candidateId: number; limit?: number }) {
  assertCandidateInRoom(db, caller, { roomId, candidateId });
  return timelineItems({ db, roomId, candidateId, limit });
}

/** The timeline itself, for callers that checked access already (the help desk, by thread). */
export function timelineItems({ db, roomId, candidateId, limit }: { db: Db; roomId: number; candidateId: number; limit: number }) {
  const staffName = new Map<number, string>();
  const nameOf = (id: number | null) => {
    if (id == null) return undefined;
    if (!staffName.has(id)) staffName.set(id, db.select({ name: users.name }).from(users).where(eq(users.id, id)).get()?.name ?? '');
    return staffName.get(id) || undefined;
  };
  const items: TimelineItem[] = [];

  for (const e of db
    .select()
    .from(events)
    .where(and(eq(events.roomId, roomId), eq(events.candidateId, candidateId), notInArray(events.type, SHOWN_ELSEWHERE)))
    .orderBy(desc(events.id))
    .limit(limit)
    .all()) {
    const detail = typeof e.payload?.detail === 'string' ? e.payload.detail : undefined;
    items.push({
      id: `e${e.id}`,
      at: e.occurredAt,
      kind: 'event',
      type: e.type,
      ...(detail ? { text: detail } : {}),
      ...(e.device === 'pc' || e.device === 'phone' ? { device: e.device } : {}),
      ...(e.trackSource ? { source: e.trackSource } : {}),
      ...(e.payload?.client || e.payload?.disconnectReason ? { detail: { client: e.payload.client, disconnectReason: e.payload.disconnectReason } } : {}),
      // What a face check saw (faces, similarity, angles), for the timeline's wording.
      ...(e.payload?.face ? { detail: { face: e.payload.face } } : {}),
    });
  }

  for (const f of db
    .select({
      id: flags.id,
      type: flags.type,
      status: flags.status,
      note: flags.note,
      createdBy: flags.createdBy,
      createdAt: flags.createdAt,
      resolvedBy: flags.resolvedBy,
      resolvedAt: flags.resolvedAt,
      resolutionNote: flags.resolutionNote,
    })
    .from(flags)
    .where(and(eq(flags.roomId, roomId), eq(flags.candidateId, candidateId)))
    .orderBy(desc(flags.id))
    .limit(limit)
    .all()) {
    items.push({
      id: `f${f.id}`,
      at: f.createdAt,
      kind: 'flag',
      type: 'raised',
      flagId: f.id,
      flagType: f.type,
      ...(f.note ? { text: f.note } : {}),
      ...(nameOf(f.createdBy) ? { by: nameOf(f.createdBy) } : {}),
    });
    if (f.resolvedAt) {
      items.push({
        id: `f${f.id}r`,
        at: f.resolvedAt,
        kind: 'flag',
        type: f.status,
        flagId: f.id,
        flagType: f.type,
        ...(f.resolutionNote ? { text: f.resolutionNote } : {}),
        ...(nameOf(f.resolvedBy) ? { by: nameOf(f.resolvedBy) } : {}),
      });
    }
  }

  for (const m of db
    .select({
      id: messages.id,
      body: messages.body,
      sentBy: messages.sentBy,
      createdAt: messages.createdAt,
      mustAcknowledge: messages.mustAcknowledge,
      acknowledgedAt: messageReceipts.acknowledgedAt,
    })
    .from(messages)
    .leftJoin(messageReceipts, and(eq(messageReceipts.messageId, messages.id), eq(messageReceipts.candidateId, candidateId)))
    .where(and(eq(messages.roomId, roomId), or(eq(messages.audience, 'room'), and(eq(messages.audience, 'candidate'), eq(messages.candidateId, candidateId)))))
    .orderBy(desc(messages.id))
    .limit(limit)
    .all()) {
    items.push({
      id: `m${m.id}`,
      at: m.createdAt,
      kind: 'message',
      type: 'sent',
      text: m.body,
      messageId: m.id,
      mustAcknowledge: m.mustAcknowledge,
      ...(nameOf(m.sentBy) ? { by: nameOf(m.sentBy) } : {}),
    });
    if (m.acknowledgedAt) items.push({ id: `m${m.id}a`, at: m.acknowledgedAt, kind: 'message', type: 'acknowledged', messageId: m.id });
  }

  for (const a of db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.roomId, roomId), eq(auditLog.candidateId, candidateId), notInArray(auditLog.action, ACTIONS_SHOWN_ELSEWHERE)))
    .orderBy(desc(auditLog.id))
    .limit(limit)
    .all()) {
    const reason = typeof a.detail.reason === 'string' ? a.detail.reason : undefined;
    items.push({
      id: `a${a.id}`,
      at: a.at,
      kind: 'action',
      type: a.action,
      detail: a.detail,
      ...(reason ? { text: reason } : {}),
      ...(nameOf(a.actorId) ? { by: nameOf(a.actorId) } : {}),
    });
  }

  // Newest first. The sort is stable: at the same instant, rows keep the newest-first order
  // each source was read in.
  return items.sort((x, y) => y.at.getTime() - x.at.getTime()).slice(0, limit);
}

/* ------------------------------------------------------------------ flags */

const creator = alias(users, 'creator');
const resolver = alias(users, 'resolver');

/** The room's flags, newest first, with the candidate's name and seat (the still is served apart). */
export function listFlags({ db, caller, roomId, status }: StaffArgs & { roomId: number; status?: FlagStatus }) {
  assertRoom(db, caller, roomId);
  return db
    .select({
      id: flags.id,
      candidateId: flags.candidateId,
      candidateName: users.name,
      seat: sql<number>`${registrations.seat}`,
      type: flags.type,
      source: flags.source,
      status: flags.status,
      note: flags.note,
      hasStill: sql<number>`${flags.still} is not null`.mapWith(Boolean),
      eventId: flags.eventId,
      createdBy: flags.createdBy,
      createdByName: creator.name,
      createdAt: flags.createdAt,
      resolvedBy: flags.resolvedBy,
      resolvedByName: resolver.name,
      resolvedAt: flags.resolvedAt,
      resolutionNote: flags.resolutionNote,
    })
    .from(flags)
    .innerJoin(users, eq(users.id, flags.candidateId))
    .innerJoin(registrations, and(eq(registrations.roomId, flags.roomId), eq(registrations.candidateId, flags.candidateId)))
    .leftJoin(creator, eq(creator.id, flags.createdBy))
    .leftJoin(resolver, eq(resolver.id, flags.resolvedBy))
    .where(status ? and(eq(flags.roomId, roomId), eq(flags.status, status)) : eq(flags.roomId, roomId))
    .orderBy(desc(flags.id))
    .all();
}

/** An invigilator's own flag, with a note and optionally a still from the current frame. */
export function createFlag({
  db,
  caller,
  roomId,
  candidateId,
  note,
  still,
  now = new Date(),
}: StaffArgs & { roomId: number; candidateId: number; note: string; still?: string }) {
  assertCandidateInRoom(db, caller, { roomId, candidateId });
  const image = still ? decodeStill(still) : null;
  return db.transaction((tx) => {
    const flag = tx
      .insert(flags)
      .values({ roomId, candidateId, type: 'manual', source: 'manual', note, still: image, createdBy: caller.id, createdAt: now })
      .returning({ id: flags.id })
      .get();
    recordEvent({ db: tx, roomId, candidateId, type: 'flag_raised', device: null, occurredAt: now, payload: { flagId: flag.id, type: 'manual' } });
    audit(tx, { actorId: caller.id, action: 'flag.created', roomId, candidateId, detail: { flagId: flag.id, note, still: !!image }, at: now });
    return { flagId: flag.id };
  });
}

/** Confirms or dismisses an open flag, once: a flag already resolved is refused. */
export function resolveFlag({
  db,
  caller,
  flagId,
  resolution,
  note,
  now = new Date(),
}: StaffArgs & { flagId: number; resolution: 'confirmed' | 'dismissed'; note?: string }) {
  const flag = db.select({ id: flags.id, roomId: flags.roomId }).from(flags).where(eq(flags.id, flagId)).get();
  if (!flag) throw new AppError('NOT_FOUND', 'flags.notFound');
  assertRoom(db, caller, flag.roomId);
  return db.transaction((tx) => {
    const resolved = tx
      .update(flags)
      .set({ status: resolution, resolvedBy: caller.id, resolvedAt: now, resolutionNote: note ?? null })
      .where(and(eq(flags.id, flagId), eq(flags.status, 'open')))
      .returning()
      .get();
    if (!resolved) throw new AppError('CONFLICT', 'flags.alreadyResolved');
    recordEvent({
      db: tx,
      roomId: resolved.roomId,
      candidateId: resolved.candidateId,
      type: 'flag_resolved',
      device: null,
      occurredAt: now,
      payload: { flagId, type: resolved.type, resolution },
    });
    audit(tx, {
      actorId: caller.id,
      action: 'flag.resolved',
      roomId: resolved.roomId,
      candidateId: resolved.candidateId,
      detail: { flagId, resolution, ...(note ? { note } : {}) },
      at: now,
    });
    return { flagId, status: resolved.status, resolvedAt: now };
  });
}

/** The still of a flag for someone who may see its room, or null (missing, no still, or not theirs). */
export function flagStill({ db, caller, flagId }: StaffArgs & { flagId: number }) {
  if (caller.role === 'support') return null;
  const flag = db.select({ roomId: flags.roomId, still: flags.still }).from(flags).where(eq(flags.id, flagId)).get();
  if (!flag?.still) return null;
  try {
    assertRoom(db, caller, flag.roomId);
  } catch {
    return null;
  }
  return flag.still;
}

/* ------------------------------------------------------------------ presets */

export function listPresets({ db, caller, examId }: StaffArgs & { examId: number }) {
  assertExamStaff(db, caller, examId);
  return db
    .select({ id: presetMessages.id, text: presetMessages.text, createdAt: presetMessages.createdAt })
    .from(presetMessages)
    .where(eq(presetMessages.examId, examId))
    .orderBy(asc(presetMessages.id))
    .all();
}

export function addPreset({ db, caller, examId, text, now = new Date() }: StaffArgs & { examId: number; text: string }) {
  assertExamStaff(db, caller, examId);
  return db.transaction((tx) => {
    const row = tx
      .insert(presetMessages)
      .values({ examId, text, createdBy: caller.id, createdAt: now })
      .returning({ id: presetMessages.id, text: presetMessages.text, createdAt: presetMessages.createdAt })
      .get();
    audit(tx, { actorId: caller.id, action: 'preset.added', examId, detail: { examId, presetId: row.id, text }, at: now });
    return row;
  });
}

export function removePreset({ db, caller, presetId, now = new Date() }: StaffArgs & { presetId: number }) {
  const preset = db.select().from(presetMessages).where(eq(presetMessages.id, presetId)).get();
  if (!preset) throw new AppError('NOT_FOUND', 'invigilate.presetNotFound');
  assertExamStaff(db, caller, preset.examId);
  db.transaction((tx) => {
    tx.delete(presetMessages).where(eq(presetMessages.id, presetId)).run();
    audit(tx, { actorId: caller.id, action: 'preset.removed', examId: preset.examId, detail: { examId: preset.examId, presetId, text: preset.text }, at: now });
  });
  return { ok: true as const };
}

/* ------------------------------------------------------------------ actions */

/** A message's title in the message centre: its first line, shortened. */
function titleOf(text: string) {
  const line = text.split('\n')[0]!.trim();
  return line.length > 40 ? `${line.slice(0, 39)}…` : line;
}

/**
 * A message from the room's staff to one candidate or the whole room, which the candidate must
 * acknowledge. Each recipient gets a `staff_message` event, which their exam page receives live.
 */
export function sendMessage({ db, caller, roomId, candidateId, text, now = new Date() }: StaffArgs & { roomId: number; candidateId?: number; text: string }) {
  const { exam } = candidateId != null ? assertCandidateInRoom(db, caller, { roomId, candidateId }) : assertRoom(db, caller, roomId);
  const recipients =
    candidateId != null
      ? [candidateId]
      : db
          .select({ candidateId: registrations.candidateId })
          .from(registrations)
          .where(eq(registrations.roomId, roomId))
          .orderBy(asc(registrations.seat))
          .all()
          .map((r) => r.candidateId);
  const audience = candidateId != null ? 'candidate' : 'room';
  return db.transaction((tx) => {
    const message = tx
      .insert(messages)
      .values({
        audience,
        examId: exam.id,
        roomId,
        candidateId: candidateId ?? null,
        title: titleOf(text),
        body: text,
        priority: 'urgent',
        mustAcknowledge: true,
        sentBy: caller.id,
        createdAt: now,
      })
      .returning({ id: messages.id })
      .get();
    audit(tx, {
      actorId: caller.id,
      action: 'message.sent',
      roomId,
      candidateId: candidateId ?? null,
      detail: { messageId: message.id, audience, text },
      at: now,
    });
    for (const to of recipients) {
      recordEvent({ db: tx, roomId, candidateId: to, type: 'staff_message', device: null, occurredAt: now, payload: { messageId: message.id, audience } });
    }
    return { messageId: message.id };
  });
}

/** Extra time after an incident: the candidate's end moves, their countdown with it. */
export function addTime({
  db,
  caller,
  roomId,
  candidateId,
  minutes,
  reason,
  now = new Date(),
}: StaffArgs & { roomId: number; candidateId: number; minutes: number; reason: string }) {
  const { exam, reg: r } = assertCandidateInRoom(db, caller, { roomId, candidateId });
  // An exam that ran out unnoticed is over; extra time does not reopen it.
  const reg = settleTimeout(db, exam, r, now);
  if (reg.finishedAt) throw new AppError('PRECONDITION_FAILED', 'exam.alreadyFinished');
  return db.transaction((tx) => {
    const extended = extendTime({ db: tx, exam, reg, minutes, reason, now });
    if (!extended) throw new AppError('PRECONDITION_FAILED', 'exam.alreadyFinished');
    audit(tx, {
      actorId: caller.id,
      action: 'time.added',
      roomId,
      candidateId,
      detail: { minutes, extraMinutes: extended.extraMinutes, endsAt: extended.endsAt.getTime(), reason },
      at: now,
    });
    return extended;
  });
}

/** Ends (force-submits) a candidate's exam with reason 'staff'; what was saved is what counts. */
export function endExam({ db, caller, roomId, candidateId, reason, now = new Date() }: StaffArgs & { roomId: number; candidateId: number; reason: string }) {
  const { exam, reg: r } = assertCandidateInRoom(db, caller, { roomId, candidateId });
  const reg = settleTimeout(db, exam, r, now);
  if (reg.finishedAt) throw new AppError('PRECONDITION_FAILED', 'exam.alreadyFinished');
  return db.transaction((tx) => {
    const finished = finishRegistration({
      db: tx,
      reg,
      reason: 'staff',
      finishedAt: now,
      event: { type: 'exam_ended_by_staff', occurredAt: now, payload: { reason: 'staff', note: reason } },
    });
    if (!finished) throw new AppError('PRECONDITION_FAILED', 'exam.alreadyFinished');
    audit(tx, { actorId: caller.id, action: 'exam.ended', roomId, candidateId, detail: { reason }, at: now });
    return { finishedAt: now, finishReason: 'staff' as const };
  });
}

/** Patrol: the caller saw these candidates live just now. */
export function markViewed({ db, caller, roomId, candidateIds, now = new Date() }: StaffArgs & { roomId: number; candidateIds: number[] }) {
  assertRoom(db, caller, roomId);
  const ids = [...new Set(candidateIds)];
  const registered = db
    .select({ candidateId: registrations.candidateId })
    .from(registrations)
    .where(and(eq(registrations.roomId, roomId), inArray(registrations.candidateId, ids)))
    .all();
  if (registered.length !== ids.length) throw new AppError('NOT_FOUND', 'invigilate.candidateNotInRoom');
  db.transaction((tx) => {
    for (const candidateId of ids) {
      tx.insert(lastViewed)
        .values({ roomId, candidateId, userId: caller.id, viewedAt: now })
        .onConflictDoUpdate({ target: [lastViewed.candidateId, lastViewed.userId], set: { roomId, viewedAt: now } })
        .run();
    }
  });
  return { viewedAt: now };
}

/* ------------------------------------------------------------------ chief */

export type RoomCounts = { notJoined: number; live: number; problem: number; finished: number; total: number };

/**
 * Where a candidate stands for the chief's counts. Problem: sitting with an open flag, or a
 * device that left or is reconnecting, or only the phone connected.
 */
export function standingOf(tile: TileState): keyof Omit<RoomCounts, 'total'> {
  if (tile.phase === 'finished') return 'finished';
  const devices = [tile.pc.status, tile.phone.status];
  if (devices.every((s) => s === 'not_joined') && !tile.openFlags.length) return 'notJoined';
  if (tile.openFlags.length || devices.some((s) => s === 'left' || s === 'reconnecting') || tile.pc.status === 'not_joined') return 'problem';
  return 'live';
}

/**
 * Every room of an exam with its counts and invigilators, for the exam's chief (or an admin),
 * and the SFU node hosting it (several nodes only; null with one, or when no live node has it).
 */
export async function chiefOverview({
  db,
  caller,
  examId,
  now = new Date(),
  locate = locateRooms,
}: StaffArgs & { examId: number; locate?: (livekitRooms: string[]) => Promise<Map<string, string | null>> }) {
  const exam = examById(db, examId);
  assertChief(db, caller, examId);
  const rooms = db.select().from(examRooms).where(eq(examRooms.examId, examId)).all().sort(byRoomName);
  sweepFeeds({ db, now });
  const incidents = roomIncidents({ db, roomIds: rooms.map((r) => r.id) });
  const staff = rooms.length
    ? db
        .select({ roomId: invigilatorAssignments.roomId, id: users.id, name: users.name })
        .from(invigilatorAssignments)
        .innerJoin(users, eq(users.id, invigilatorAssignments.userId))
        .where(
          inArray(
            invigilatorAssignments.roomId,
            rooms.map((r) => r.id),
          ),
        )
        .orderBy(asc(users.name))
        .all()
    : [];
  const nodes = await locate(rooms.map((r) => r.livekitRoom));
  return {
    exam: { id: exam.id, title: exam.title, kind: exam.kind, startsAt: exam.startsAt, durationMinutes: exam.durationMinutes },
    rooms: rooms.map((room) => {
      const counts: RoomCounts = { notJoined: 0, live: 0, problem: 0, finished: 0, total: 0 };
      for (const tile of roomTiles({ db, roomId: room.id, now })) {
        counts[standingOf(tile)]++;
        counts.total++;
      }
      return {
        id: room.id,
        name: room.name,
        counts,
        invigilators: staff.filter((s) => s.roomId === room.id).map(({ id, name }) => ({ id, name })),
        node: nodes.get(room.livekitRoom) ?? null,
        incidents: incidents.filter((i) => i.roomId === room.id),
      };
    }),
  };
}

/** The exams where the caller is chief invigilator. */
export function myChiefExams({ db, caller }: { db: Db; caller: StaffCaller }) {
  return db
    .select({
      id: exams.id,
      title: exams.title,
      kind: exams.kind,
      startsAt: exams.startsAt,
      durationMinutes: exams.durationMinutes,
      rooms: sql<number>`(select count(*) from ${examRooms} where ${examRooms.examId} = ${exams.id})`,
    })
    .from(chiefInvigilators)
    .innerJoin(exams, eq(exams.id, chiefInvigilators.examId))
    .where(eq(chiefInvigilators.userId, caller.id))
    .orderBy(asc(exams.startsAt))
    .all();
}

/** Appoints the chief invigilator of an exam (seed, tests, the back office later). */
export function appointChiefInvigilator({ db, examId, userId }: { db: DbOrTx; examId: number; userId: number }) {
  db.insert(chiefInvigilators).values({ examId, userId }).onConflictDoNothing().run();
}
