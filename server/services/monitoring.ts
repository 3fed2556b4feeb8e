import { and, asc, eq, gt, gte, inArray, isNull, lte, max, min, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { events, examRooms, exams, recordings, registrations, RECORDING_TRACKS, type RecordingTrack } from '@/db/schema';
import { endsAtSql } from './exams';
import { gapsOf } from './recordings';
import { UPLOAD_GRACE_MS } from './recordings-limits';
import { applyEvent, initialDeviceStatus, type DeviceStatus } from './tiles';

/*
 * Counts read from the database when metrics are scraped: what every app process would report
 * alike, whichever of them answers the scrape.
 */

const DAY_MS = 24 * 60 * 60 * 1000;
const MIN_MS = 60_000;

export type ConnectedCandidates = { pc: number; phone: number };

type Device = 'pc' | 'phone';
/** One room's devices as the tiles fold them, keyed `candidateId:device`. */
type RoomFold = Map<string, { candidateId: number; device: Device; status: DeviceStatus }>;
type Fold = {
  /** Every followed room has its events folded up to this id. */
  upTo: number;
  rooms: Map<number, RoomFold>;
  running?: Promise<void>;
};

/** Per database (tests open many): the rooms of exams under way, folded so far. */
const folds = new WeakMap<object, Fold>();

/** The events `applyEvent` folds into a device's status (the ones roomTiles reads). */
const STATUS_EVENT_TYPES = ['participant_joined', 'participant_left', 'participant_connection_aborted', 'track_published', 'track_unpublished'];

const FOLD_COLUMNS = {
  id: events.id,
  roomId: events.roomId,
  candidateId: events.candidateId,
  device: events.device,
  type: events.type,
  trackSource: events.trackSource,
  occurredAt: events.occurredAt,
};
type FoldRow = { id: number; roomId: number; candidateId: number | null; device: string | null; type: string; trackSource: string | null; occurredAt: Date };

function fold(room: RoomFold, e: FoldRow) {
  if (e.candidateId == null) return;
  // As in the tiles: an event without a device is the PC's.
  const device: Device = e.device === 'phone' ? 'phone' : 'pc';
  const key = `${e.candidateId}:${device}`;
  room.set(key, { candidateId: e.candidateId, device, status: applyEvent(room.get(key)?.status ?? initialDeviceStatus(), e) });
}

/**
 * Candidates whose device is connected to the SFU, by device: the tile's `live`, folded by the
 * tiles' own `applyEvent` from LiveKit's webhook events. Only exams under way count (entry
 * opened, ended less than a day ago), so a device whose leaving LiveKit never reported (an SFU
 * killed with it connected) stops counting with its exam.
 *
 * Incremental: a room is read whole once, when its exam comes under way (or at this process's
 * first scrape), and after that only the events added since the last scrape. Reading every
 * room's history at each scrape took seconds per million events (recording progress makes most
 * of them) and would stall the event loop it reports on. Reads cover `span` ids at a time, with
 * a turn of the event loop between them. Ids only grow and SQLite commits one writer at a time,
 * so every event up to the largest id seen is there: nothing is skipped.
 */
export async function connectedCandidates({ db, now = new Date(), span = 20_000 }: { db: DbOrTx; now?: Date; span?: number }): Promise<ConnectedCandidates> {
  let state = folds.get(db);
  if (!state) folds.set(db, (state = { upTo: 0, rooms: new Map() }));
  // One catch-up at a time per database; a scrape that arrives meanwhile takes the next turn.
  while (state.running) await state.running;
  const run = catchUp(db, state, now, span);
  state.running = run;
  try {
    await run;
  } finally {
    state.running = undefined;
  }
  const live: Record<Device, Set<number>> = { pc: new Set(), phone: new Set() };
  for (const room of state.rooms.values()) for (const d of room.values()) if (d.status.status === 'live') live[d.device].add(d.candidateId);
  return { pc: live.pc.size, phone: live.phone.size };
}

async function catchUp(db: DbOrTx, state: Fold, now: Date, span: number) {
  const underWay = new Set(
    db
      .select({ id: examRooms.id })
      .from(examRooms)
      .innerJoin(exams, eq(exams.id, examRooms.examId))
      .where(and(lte(exams.entryOpensAt, now), gte(sql`${exams.startsAt} + ${exams.durationMinutes} * ${MIN_MS} + ${DAY_MS}`, now.getTime())))
      .all()
      .map((r) => r.id),
  );
  for (const id of state.rooms.keys()) if (!underWay.has(id)) state.rooms.delete(id);
  const top =
    db
      .select({ id: max(events.id) })
      .from(events)
      .get()?.id ?? 0;

  /** Status events with ids in (from, top], `span` ids per read. */
  const read = async (from: number, roomId: number | null, each: (e: FoldRow) => void) => {
    for (let lo = from; lo < top; lo += span) {
      const hi = Math.min(lo + span, top);
      const rows = db
        .select(FOLD_COLUMNS)
        .from(events)
        .where(and(roomId == null ? undefined : eq(events.roomId, roomId), gt(events.id, lo), lte(events.id, hi), inArray(events.type, STATUS_EVENT_TYPES)))
        .orderBy(asc(events.id))
        .all();
      for (const e of rows) each(e);
      if (hi < top) await new Promise((r) => setImmediate(r));
    }
  };
  // What the followed rooms got since the last scrape.
  if (state.rooms.size) {
    await read(state.upTo, null, (e) => {
      const room = state.rooms.get(e.roomId);
      if (room) fold(room, e);
    });
  }
  // Rooms whose exam has just come under way: their whole history so far.
  for (const roomId of underWay) {
    if (state.rooms.has(roomId)) continue;
    const first = db
      .select({ id: min(events.id) })
      .from(events)
      .where(eq(events.roomId, roomId))
      .get()?.id;
    const room: RoomFold = new Map();
    if (first != null) await read(first - 1, roomId, (e) => fold(room, e));
    state.rooms.set(roomId, room);
  }
  state.upTo = top;
}

export type UploadBacklog = Record<RecordingTrack, { chunks: number; bytes: number }>;

/**
 * What the recordings ledger knows it is still owed, by track, over recordings not complete
 * whose uploads are still accepted (UPLOAD_GRACE_MS after the sitting's end):
 * - `chunks`: exact, the ledger's gap count (`gapsOf`). Chunks below the count the device
 *   reported at the end, or while it is still recording, below the highest chunk received.
 *   Chunks recorded after the highest one received are on the device only and cannot be counted.
 * - `bytes`: an estimate. The ledger stores only the sizes of chunks it has, so each missing chunk
 *   is counted at the mean size of its recording's received chunks (of the track's, when none
 *   of the recording's arrived yet).
 */
export function uploadBacklog({ db, now = new Date() }: { db: DbOrTx; now?: Date }): UploadBacklog {
  const sittingEnd = sql`coalesce(${registrations.finishedAt}, ${endsAtSql(exams.startsAt, exams.durationMinutes, registrations.extraMinutes)})`;
  const rows = db
    .select({
      id: recordings.id,
      track: recordings.track,
      expectedChunks: recordings.expectedChunks,
      receivedChunks: recordings.receivedChunks,
      bytes: recordings.receivedBytes,
    })
    .from(recordings)
    .innerJoin(exams, eq(exams.id, recordings.examId))
    .leftJoin(registrations, and(eq(registrations.candidateId, recordings.candidateId), eq(registrations.examId, recordings.examId)))
    .where(and(isNull(recordings.completedAt), gte(sql`${sittingEnd} + ${UPLOAD_GRACE_MS}`, now.getTime())))
    .all();

  const meanOfTrack = new Map<RecordingTrack, number>();
  for (const track of RECORDING_TRACKS) {
    const of = rows.filter((r) => r.track === track);
    const chunks = of.reduce((n, r) => n + r.receivedChunks, 0);
    meanOfTrack.set(track, chunks ? of.reduce((n, r) => n + r.bytes, 0) / chunks : 0);
  }
  const out = Object.fromEntries(RECORDING_TRACKS.map((t) => [t, { chunks: 0, bytes: 0 }])) as UploadBacklog;
  for (const r of rows) {
    // The ledger's own count of missing chunks (no ranges walked).
    const missing = gapsOf(db, r, 0).gapCount;
    if (!missing) continue;
    const mean = r.receivedChunks ? r.bytes / r.receivedChunks : meanOfTrack.get(r.track)!;
    out[r.track].chunks += missing;
    out[r.track].bytes += Math.round(missing * mean);
  }
  return out;
}
