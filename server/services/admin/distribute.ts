import { and, asc, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { examRooms, registrations, users, type Registration } from '@/db/schema';
import { AppError } from '../../errors';
import { audit } from '../audit';
import { editableExam, examUnderWay, roomOrThrow } from './common';

/* ------------------------------------------------------------------ the pure plan */

export type PlanRoom = {
  id: number;
  capacity: number;
  /** Candidates placed now. */
  count: number;
  /** Candidates who must stay (entered or with history); defaults to `count` (nobody moves). */
  fixed?: number;
};

export type DistributionPlan = {
  /** Room id -> how many candidates it should hold. */
  targets: Map<number, number>;
  /** Seats short of what `n` more candidates need (0 when everyone fits). */
  missing: number;
};

/**
 * How `n` more candidates (and, for a rebalance, the movable ones already placed) spread over
 * rooms as evenly as capacity allows: water-filling. Every room ends at the same level L or L+1,
 * except rooms capped by their capacity (below) or holding more than L that may not shrink
 * (`fixed` above). So rooms that are not full differ by at most one wherever nothing has to stay.
 * The +1s go to the rooms holding most now (fewest moves), then in the order given.
 */
export function planDistribution(rooms: readonly PlanRoom[], n: number): DistributionPlan {
  const lo = rooms.map((r) => r.fixed ?? r.count);
  const hi = rooms.map((r, i) => Math.max(r.capacity, lo[i]!));
  const total = rooms.reduce((s, r) => s + r.count, 0) + n;
  const room = hi.reduce((s, h) => s + h, 0);
  if (total > room) return { targets: new Map(rooms.map((r) => [r.id, r.count])), missing: total - room };

  const fill = (level: number) => lo.reduce((s, l, i) => s + Math.min(hi[i]!, Math.max(l, level)), 0);
  // The highest level whose fill does not exceed the total (fill is monotonic in the level).
  let a = 0;
  let b = Math.max(0, ...hi);
  while (a < b) {
    const mid = Math.ceil((a + b) / 2);
    if (fill(mid) <= total) a = mid;
    else b = mid - 1;
  }
  const level = a;
  const targets = rooms.map((_, i) => Math.min(hi[i]!, Math.max(lo[i]!, level)));
  let rest = total - targets.reduce((s, x) => s + x, 0);
  const raisable = rooms
    .map((r, i) => ({ r, i }))
    .filter(({ i }) => lo[i]! <= level && level < hi[i]!)
    .sort((x, y) => y.r.count - x.r.count || x.i - y.i);
  for (const { i } of raisable) {
    if (rest === 0) break;
    targets[i]! += 1;
    rest--;
  }
  return { targets: new Map(rooms.map((r, i) => [r.id, targets[i]!])), missing: 0 };
}

/** The lowest `k` seat numbers from 1 that are not in `taken`. */
export function lowestFreeSeats(taken: ReadonlySet<number>, k: number): number[] {
  const out: number[] = [];
  for (let seat = 1; out.length < k; seat++) if (!taken.has(seat)) out.push(seat);
  return out;
}

/* ------------------------------------------------------------------ reading the exam */

type Placed = Pick<Registration, 'id' | 'candidateId' | 'roomId' | 'seat'> & { movable: boolean };

/**
 * A placed candidate may move only while nothing has happened to them in their room: not
 * entered, no timeline event (a drawn lot is one) and no flag. Otherwise their history stays
 * where it happened. Spelled out: drizzle leaves columns of a one-table select unqualified, and
 * inside the subqueries "room_id" would mean the subquery's own column.
 */
const MOVABLE = sql<number>`(registrations.entered_at is null
  and not exists (select 1 from events e where e.room_id = registrations.room_id and e.candidate_id = registrations.candidate_id)
  and not exists (select 1 from flags f where f.room_id = registrations.room_id and f.candidate_id = registrations.candidate_id))`;

function placedOf(db: DbOrTx, examId: number): Placed[] {
  return db
    .select({
      id: registrations.id,
      candidateId: registrations.candidateId,
      roomId: registrations.roomId,
      seat: registrations.seat,
      movable: MOVABLE,
    })
    .from(registrations)
    .where(and(eq(registrations.examId, examId), sql`${registrations.roomId} is not null`))
    .orderBy(asc(registrations.id))
    .all()
    .map((r) => ({ ...r, movable: !!r.movable }));
}

function unplacedOf(db: DbOrTx, examId: number) {
  return db
    .select({ id: registrations.id, candidateId: registrations.candidateId })
    .from(registrations)
    .where(and(eq(registrations.examId, examId), isNull(registrations.roomId)))
    .orderBy(asc(registrations.id))
    .all();
}

export function unplacedCount(db: DbOrTx, examId: number): number {
  return db
    .select({ n: sql<number>`count(*)` })
    .from(registrations)
    .where(and(eq(registrations.examId, examId), isNull(registrations.roomId)))
    .get()!.n;
}

/* ------------------------------------------------------------------ distribute */

export type DistributeMode = 'unplaced' | 'rebalance';

export type DistributeResult = {
  placed: number;
  moved: number;
  rooms: { id: number; name: string; capacity: number; count: number }[];
};

/**
 * Places every unplaced candidate ('unplaced'), or also moves candidates who have not entered so
 * that rooms are even ('rebalance', refused once the exam is under way). Archived rooms take no one
 * and give no one. Everything or nothing: when seats are short, nothing is written.
 */
export function distribute({
  db,
  actorId,
  examId,
  mode,
  now = new Date(),
}: {
  db: Db;
  actorId: number;
  examId: number;
  mode: DistributeMode;
  now?: Date;
}): DistributeResult {
  return db.transaction(
    (tx) => {
      const exam = editableExam(tx, examId);
      if (mode === 'rebalance' && examUnderWay(exam, now)) throw new AppError('CONFLICT', 'adminRooms.underWayRebalance');
      const rooms = tx
        .select()
        .from(examRooms)
        .where(and(eq(examRooms.examId, examId), isNull(examRooms.archivedAt)))
        .orderBy(asc(examRooms.id))
        .all();
      const unplaced = unplacedOf(tx, examId);
      const placed = placedOf(tx, examId);
      if (!rooms.length && unplaced.length) throw new AppError('CONFLICT', 'adminRooms.noRooms');

      const inRoom = new Map(rooms.map((r) => [r.id, placed.filter((p) => p.roomId === r.id)]));
      const plan = planDistribution(
        rooms.map((r) => {
          const here = inRoom.get(r.id)!;
          return { id: r.id, capacity: r.capacity, count: here.length, fixed: mode === 'rebalance' ? here.filter((p) => !p.movable).length : undefined };
        }),
        unplaced.length,
      );
      if (plan.missing > 0) throw new AppError('CONFLICT', 'adminRooms.notEnoughSeats', { missing: plan.missing });

      // Who goes where: the unplaced in registration order, then those moved out of full rooms,
      // the last-seated first out, so the longest-placed candidates keep their seats.
      const pool: { id: number; from: number | null }[] = unplaced.map((u) => ({ id: u.id, from: null }));
      for (const r of rooms) {
        const here = inRoom.get(r.id)!;
        const excess = here.length - plan.targets.get(r.id)!;
        if (excess <= 0) continue;
        const out = here
          .filter((p) => p.movable)
          .sort((x, y) => (y.seat ?? 0) - (x.seat ?? 0))
          .slice(0, excess);
        pool.push(...out.map((p) => ({ id: p.id, from: r.id })));
      }
      let next = 0;
      let moved = 0;
      for (const r of rooms) {
        const here = inRoom.get(r.id)!;
        const gap = plan.targets.get(r.id)! - here.length;
        if (gap <= 0) continue;
        const seats = lowestFreeSeats(new Set(here.map((p) => p.seat!)), gap);
        for (const seat of seats) {
          const who = pool[next++]!;
          if (who.from != null) moved++;
          tx.update(registrations).set({ roomId: r.id, seat }).where(eq(registrations.id, who.id)).run();
        }
      }
      const result: DistributeResult = {
        placed: unplaced.length,
        moved,
        rooms: rooms.map((r) => ({ id: r.id, name: r.name, capacity: r.capacity, count: plan.targets.get(r.id)! })),
      };
      if (result.placed + moved === 0) return result;
      audit(tx, {
        actorId,
        action: 'room.distributed',
        examId,
        detail: { mode, placed: result.placed, moved, counts: Object.fromEntries(result.rooms.map((r) => [r.name, r.count])) },
        at: now,
      });
      return result;
    },
    { behavior: 'immediate' },
  );
}

/* ------------------------------------------------------------------ by hand */

function registrationOf(db: DbOrTx, examId: number, candidateId: number) {
  const reg = db
    .select()
    .from(registrations)
    .where(and(eq(registrations.examId, examId), eq(registrations.candidateId, candidateId)))
    .get();
  if (!reg) throw new AppError('NOT_FOUND', 'adminRooms.notRegistered');
  return reg;
}

function assertMovable(db: DbOrTx, reg: Registration) {
  if (reg.roomId == null) return;
  if (reg.enteredAt) throw new AppError('CONFLICT', 'adminRooms.candidateEntered');
  const row = db.select({ movable: MOVABLE }).from(registrations).where(eq(registrations.id, reg.id)).get();
  if (!row?.movable) throw new AppError('CONFLICT', 'adminRooms.candidateHasHistory');
}

/** Places (or moves) one candidate by hand: the seat must be free and within capacity; the lowest free seat when omitted. */
export function place({
  db,
  actorId,
  examId,
  candidateId,
  roomId,
  seat,
  now = new Date(),
}: {
  db: Db;
  actorId: number;
  examId: number;
  candidateId: number;
  roomId: number;
  seat?: number;
  now?: Date;
}) {
  return db.transaction(
    (tx) => {
      editableExam(tx, examId);
      const { room } = roomOrThrow(tx, roomId);
      if (room.examId !== examId) throw new AppError('NOT_FOUND', 'admin.roomNotFound');
      if (room.archivedAt) throw new AppError('CONFLICT', 'adminRooms.roomArchived');
      const reg = registrationOf(tx, examId, candidateId);
      if (reg.roomId === roomId && (seat == null || seat === reg.seat)) return { roomId, seat: reg.seat! };
      assertMovable(tx, reg);
      const taken = new Set(
        tx
          .select({ seat: registrations.seat })
          .from(registrations)
          .where(and(eq(registrations.roomId, roomId), sql`${registrations.id} <> ${reg.id}`))
          .all()
          .map((r) => r.seat!),
      );
      if (reg.roomId !== roomId && taken.size >= room.capacity) throw new AppError('CONFLICT', 'adminRooms.roomFull', { capacity: room.capacity });
      const chosen = seat ?? lowestFreeSeats(taken, 1)[0]!;
      if (chosen > room.capacity) throw new AppError('BAD_REQUEST', 'adminRooms.seatBeyondCapacity', { capacity: room.capacity });
      if (taken.has(chosen)) throw new AppError('CONFLICT', 'adminRooms.seatTaken', { seat: chosen });
      tx.update(registrations).set({ roomId, seat: chosen }).where(eq(registrations.id, reg.id)).run();
      audit(tx, {
        actorId,
        action: 'room.candidate_placed',
        examId,
        roomId,
        candidateId,
        detail: { seat: chosen, fromRoomId: reg.roomId, fromSeat: reg.seat },
        at: now,
      });
      return { roomId, seat: chosen };
    },
    { behavior: 'immediate' },
  );
}

/** Takes a candidate out of their room (back to unplaced); refused once anything happened to them there. */
export function unplace({ db, actorId, examId, candidateId, now = new Date() }: { db: Db; actorId: number; examId: number; candidateId: number; now?: Date }) {
  return db.transaction((tx) => {
    editableExam(tx, examId);
    const reg = registrationOf(tx, examId, candidateId);
    if (reg.roomId == null) return { ok: true as const };
    assertMovable(tx, reg);
    tx.update(registrations).set({ roomId: null, seat: null }).where(eq(registrations.id, reg.id)).run();
    audit(tx, { actorId, action: 'room.candidate_unplaced', examId, roomId: reg.roomId, candidateId, detail: { seat: reg.seat }, at: now });
    return { ok: true as const };
  });
}

/**
 * Candidates of an exam matching a name or ID number (manual placement's picker), with where
 * they sit now. At most 20.
 */
export function findCandidates({ db, examId, q }: { db: Db; examId: number; q: string }) {
  const term = `%${q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  return db
    .select({
      candidateId: users.id,
      name: users.name,
      idNumber: users.idNumber,
      roomId: registrations.roomId,
      roomName: examRooms.name,
      seat: registrations.seat,
      entered: sql<boolean>`${registrations.enteredAt} is not null`.mapWith(Boolean),
    })
    .from(registrations)
    .innerJoin(users, eq(users.id, registrations.candidateId))
    .leftJoin(examRooms, eq(examRooms.id, registrations.roomId))
    .where(and(eq(registrations.examId, examId), sql`(${users.name} like ${term} escape '\\' or ${users.idNumber} like ${term.toUpperCase()} escape '\\')`))
    .orderBy(asc(registrations.id))
    .limit(20)
    .all();
}

/** Registrations per room (placed counts) of the given rooms. */
export function countsByRoom(db: DbOrTx, roomIds: number[]): Map<number, number> {
  if (!roomIds.length) return new Map();
  const rows = db
    .select({ roomId: registrations.roomId, n: sql<number>`count(*)` })
    .from(registrations)
    .where(inArray(registrations.roomId, roomIds))
    .groupBy(registrations.roomId)
    .all();
  return new Map(rows.map((r) => [r.roomId!, Number(r.n)]));
}
