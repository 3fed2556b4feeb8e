import { and, asc, eq, isNull } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Db } from '@/db/client';
import { auditLog, examRooms, registrations } from '@/db/schema';
import { distribute, lowestFreeSeats, place, planDistribution, unplace } from '@/server/services/admin/distribute';
import { recordEvent } from '@/server/services/timeline';
import { createRoom } from '@/server/services/setup';
import { makeCandidate, makeExam, makeStaff } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';

const fx = useTestDb();

const targets = (plan: ReturnType<typeof planDistribution>) => [...plan.targets.values()];

describe('planDistribution: the even split (pure)', () => {
  it('splits evenly over equal rooms, the remainder to the first rooms', () => {
    const plan = planDistribution(
      [
        { id: 1, capacity: 30, count: 0 },
        { id: 2, capacity: 30, count: 0 },
        { id: 3, capacity: 30, count: 0 },
      ],
      50,
    );
    expect(plan.missing).toBe(0);
    expect(targets(plan)).toEqual([17, 17, 16]);
  });

  it('respects uneven capacities: a small room fills, the others share the rest evenly', () => {
    const plan = planDistribution(
      [
        { id: 1, capacity: 10, count: 0 },
        { id: 2, capacity: 40, count: 0 },
        { id: 3, capacity: 40, count: 0 },
      ],
      71,
    );
    expect(targets(plan)).toEqual([10, 31, 30]);
  });

  it('skips full rooms and tops up the emptiest first, without moving anyone', () => {
    const plan = planDistribution(
      [
        { id: 1, capacity: 20, count: 20 },
        { id: 2, capacity: 30, count: 12 },
        { id: 3, capacity: 30, count: 4 },
      ],
      10,
    );
    // 4 + 10 would overshoot room 2; the level is 13: room 3 gets 9, room 2 gets 1.
    expect(targets(plan)).toEqual([20, 13, 13]);
  });

  it('with rooms already above the level, the others are evened among themselves', () => {
    const plan = planDistribution(
      [
        { id: 1, capacity: 50, count: 40 },
        { id: 2, capacity: 50, count: 0 },
        { id: 3, capacity: 50, count: 0 },
      ],
      5,
    );
    expect(targets(plan)).toEqual([40, 3, 2]);
  });

  it('reports the missing seats when there are more candidates than seats', () => {
    const plan = planDistribution(
      [
        { id: 1, capacity: 10, count: 8 },
        { id: 2, capacity: 10, count: 0 },
      ],
      15,
    );
    expect(plan.missing).toBe(3);
  });

  it('with no rooms every candidate is missing a seat; with no candidates nothing changes', () => {
    expect(planDistribution([], 7).missing).toBe(7);
    expect(planDistribution([], 0).missing).toBe(0);
    expect(targets(planDistribution([{ id: 1, capacity: 5, count: 2 }], 0))).toEqual([2]);
  });

  it('a rebalance evens rooms down to what must stay, giving the +1 to the rooms that hold most (fewest moves)', () => {
    const plan = planDistribution(
      [
        { id: 1, capacity: 30, count: 20, fixed: 0 },
        { id: 2, capacity: 30, count: 0, fixed: 0 },
        { id: 3, capacity: 30, count: 5, fixed: 0 },
      ],
      0,
    );
    expect(targets(plan)).toEqual([9, 8, 8]);
    const stuck = planDistribution(
      [
        { id: 1, capacity: 30, count: 20, fixed: 15 },
        { id: 2, capacity: 30, count: 0, fixed: 0 },
      ],
      0,
    );
    expect(targets(stuck)).toEqual([15, 5]);
  });

  it('keeps differences at most one between rooms that are not full, for many shapes', () => {
    for (let seed = 1; seed < 200; seed++) {
      const rnd = (k: number) => (seed * 7919 + k * 104729) % 97;
      const rooms = Array.from({ length: 1 + (seed % 5) }, (_, i) => ({ id: i + 1, capacity: 1 + (rnd(i) % 40), count: 0 }));
      const n = rnd(99) % (rooms.reduce((s, r) => s + r.capacity, 0) + 1);
      const plan = planDistribution(rooms, n);
      const t = targets(plan);
      expect(t.reduce((s, x) => s + x, 0)).toBe(n);
      const open = t.filter((x, i) => x < rooms[i]!.capacity);
      if (open.length) {
        expect(Math.max(...open) - Math.min(...open)).toBeLessThanOrEqual(1);
        // A full room never holds more than the open rooms' level allows.
        t.forEach((x) => expect(x).toBeLessThanOrEqual(Math.max(...open) + 1));
      }
      t.forEach((x, i) => expect(x).toBeLessThanOrEqual(rooms[i]!.capacity));
    }
  });

  it('lowestFreeSeats fills gaps first', () => {
    expect(lowestFreeSeats(new Set([1, 2, 4, 7]), 4)).toEqual([3, 5, 6, 8]);
  });
});

/* ------------------------------------------------------------------ the service */

async function examWithRooms(db: Db, capacities: number[], opts: { underWay?: boolean } = {}) {
  const exam = makeExam(db, opts.underWay ? {} : { opensIn: 60, closesIn: 120, startsIn: 90 });
  const rooms = capacities.map((capacity, i) => createRoom({ db, examId: exam.id, name: `考场${i + 1}`, capacity }));
  const admin = await makeStaff(db, 'admin');
  return { exam, rooms, admin };
}

async function registerUnplaced(db: Db, examId: number, n: number) {
  const ids: number[] = [];
  for (let i = 0; i < n; i++) {
    const c = await makeCandidate(db);
    db.insert(registrations).values({ examId, candidateId: c.id }).run();
    ids.push(c.id);
  }
  return ids;
}

function seating(db: Db, examId: number) {
  return db.select().from(registrations).where(eq(registrations.examId, examId)).orderBy(asc(registrations.id)).all();
}

function countsOf(db: Db, roomIds: number[]) {
  return roomIds.map((id) => db.select().from(registrations).where(eq(registrations.roomId, id)).all().length);
}

describe('distribute (service)', () => {
  it("'unplaced' places everyone evenly, in registration order, on the lowest free seats, and audits the counts", async () => {
    const { exam, rooms, admin } = await examWithRooms(fx.db, [30, 30]);
    const ids = await registerUnplaced(fx.db, exam.id, 50);

    const res = distribute({ db: fx.db, actorId: admin.id, examId: exam.id, mode: 'unplaced' });

    expect(res).toMatchObject({ placed: 50, moved: 0 });
    expect(res.rooms.map((r) => r.count)).toEqual([25, 25]);
    const regs = seating(fx.db, exam.id);
    expect(regs.every((r) => r.roomId != null && r.seat != null)).toBe(true);
    // Import order: the first 25 registrations go to the first room, seats 1..25.
    expect(regs.slice(0, 25).map((r) => [r.candidateId, r.roomId, r.seat])).toEqual(ids.slice(0, 25).map((id, i) => [id, rooms[0]!.id, i + 1]));
    const [entry] = fx.db.select().from(auditLog).where(eq(auditLog.action, 'room.distributed')).all();
    expect(entry).toMatchObject({ actorId: admin.id, examId: exam.id, detail: { mode: 'unplaced', placed: 50, moved: 0, counts: { 考场1: 25, 考场2: 25 } } });
  });

  it('fills seat gaps left in a room before higher numbers', async () => {
    const { exam, rooms, admin } = await examWithRooms(fx.db, [10]);
    const [a, b] = await registerUnplaced(fx.db, exam.id, 3);
    place({ db: fx.db, actorId: admin.id, examId: exam.id, candidateId: a!, roomId: rooms[0]!.id, seat: 2 });
    place({ db: fx.db, actorId: admin.id, examId: exam.id, candidateId: b!, roomId: rooms[0]!.id, seat: 4 });
    distribute({ db: fx.db, actorId: admin.id, examId: exam.id, mode: 'unplaced' });
    expect(seating(fx.db, exam.id).map((r) => r.seat)).toEqual([2, 4, 1]);
  });

  it('not enough seats: CONFLICT naming how many are missing, and nothing is written', async () => {
    const { exam, rooms, admin } = await examWithRooms(fx.db, [5, 5]);
    await registerUnplaced(fx.db, exam.id, 13);
    expect(() => distribute({ db: fx.db, actorId: admin.id, examId: exam.id, mode: 'unplaced' })).toThrow(
      expect.objectContaining({ code: 'CONFLICT', key: 'adminRooms.notEnoughSeats', params: { missing: 3 } }),
    );
    expect(
      countsOf(
        fx.db,
        rooms.map((r) => r.id),
      ),
    ).toEqual([0, 0]);
    expect(fx.db.select().from(auditLog).all()).toHaveLength(0);
  });

  it('no rooms: a clear CONFLICT; archived rooms take nobody', async () => {
    const { exam, rooms, admin } = await examWithRooms(fx.db, [30]);
    await registerUnplaced(fx.db, exam.id, 2);
    fx.db.update(examRooms).set({ archivedAt: new Date() }).where(eq(examRooms.id, rooms[0]!.id)).run();
    expect(() => distribute({ db: fx.db, actorId: admin.id, examId: exam.id, mode: 'unplaced' })).toThrow(
      expect.objectContaining({ key: 'adminRooms.noRooms' }),
    );
  });

  it("'rebalance' evens the rooms moving the fewest candidates, the last-seated first", async () => {
    const { exam, rooms, admin } = await examWithRooms(fx.db, [30, 30, 30]);
    const ids = await registerUnplaced(fx.db, exam.id, 24);
    // All 24 by hand into room 1, then 3 newcomers unplaced.
    for (const id of ids) place({ db: fx.db, actorId: admin.id, examId: exam.id, candidateId: id, roomId: rooms[0]!.id });
    await registerUnplaced(fx.db, exam.id, 3);

    const res = distribute({ db: fx.db, actorId: admin.id, examId: exam.id, mode: 'rebalance' });

    expect(res.rooms.map((r) => r.count)).toEqual([9, 9, 9]);
    // 27 candidates, room 1 keeps 9: 15 move, the minimum.
    expect(res).toMatchObject({ placed: 3, moved: 15 });
    const stay = seating(fx.db, exam.id).filter((r) => r.roomId === rooms[0]!.id);
    expect(stay.map((r) => r.seat).sort((x, y) => x! - y!)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a rebalance never moves a candidate who entered or has history in their room', async () => {
    const { exam, rooms, admin } = await examWithRooms(fx.db, [30, 30]);
    const ids = await registerUnplaced(fx.db, exam.id, 10);
    for (const id of ids) place({ db: fx.db, actorId: admin.id, examId: exam.id, candidateId: id, roomId: rooms[0]!.id });
    // Seats 7..10 (the ones a rebalance would move first) have history.
    fx.db
      .update(registrations)
      .set({ enteredAt: new Date() })
      .where(and(eq(registrations.candidateId, ids[9]!)))
      .run();
    fx.db
      .update(registrations)
      .set({ enteredAt: new Date() })
      .where(and(eq(registrations.candidateId, ids[8]!)))
      .run();
    recordEvent({ db: fx.db, roomId: rooms[0]!.id, candidateId: ids[7]!, type: 'lot_drawn', payload: {} });

    const res = distribute({ db: fx.db, actorId: admin.id, examId: exam.id, mode: 'rebalance' });

    expect(res.rooms.map((r) => r.count)).toEqual([5, 5]);
    const inFirst = seating(fx.db, exam.id)
      .filter((r) => r.roomId === rooms[0]!.id)
      .map((r) => r.candidateId);
    expect(inFirst).toEqual(expect.arrayContaining([ids[7], ids[8], ids[9]]));
  });

  it('a rebalance is refused once the exam is under way; placing the unplaced is still allowed', async () => {
    const { exam, admin } = await examWithRooms(fx.db, [30, 30], { underWay: true });
    await registerUnplaced(fx.db, exam.id, 4);
    expect(() => distribute({ db: fx.db, actorId: admin.id, examId: exam.id, mode: 'rebalance' })).toThrow(
      expect.objectContaining({ key: 'adminRooms.underWayRebalance' }),
    );
    expect(distribute({ db: fx.db, actorId: admin.id, examId: exam.id, mode: 'unplaced' }).rooms.map((r) => r.count)).toEqual([2, 2]);
  });

  it('places 500 candidates over uneven rooms: the small room fills, the others split evenly', async () => {
    const { exam, admin } = await examWithRooms(fx.db, [100, 200, 250]);
    const candidates = Array.from({ length: 500 }, (_, i) => i);
    // Bulk-made candidates without password hashing, for speed.
    const sqlite = fx.db.$client;
    const ins = sqlite.prepare("insert into users (role, name, id_number, password_hash) values ('candidate', ?, ?, '')");
    const reg = sqlite.prepare('insert into registrations (exam_id, candidate_id) values (?, ?)');
    sqlite.transaction(() => {
      for (const i of candidates) reg.run(exam.id, ins.run(`考生${i}`, `X${i}`).lastInsertRowid);
    })();
    const res = distribute({ db: fx.db, actorId: admin.id, examId: exam.id, mode: 'unplaced' });
    expect(res.rooms.map((r) => r.count)).toEqual([100, 200, 200]);
    expect(fx.db.select().from(registrations).where(isNull(registrations.roomId)).all()).toHaveLength(0);
  });
});

describe('place / unplace by hand', () => {
  it('places on a given free seat or the lowest free one; refuses taken seats, seats beyond capacity and full rooms', async () => {
    const { exam, rooms, admin } = await examWithRooms(fx.db, [2, 30]);
    const [a, b, c] = await registerUnplaced(fx.db, exam.id, 3);
    const r1 = rooms[0]!.id;
    expect(place({ db: fx.db, actorId: admin.id, examId: exam.id, candidateId: a!, roomId: r1, seat: 2 })).toEqual({ roomId: r1, seat: 2 });
    expect(() => place({ db: fx.db, actorId: admin.id, examId: exam.id, candidateId: b!, roomId: r1, seat: 2 })).toThrow(
      expect.objectContaining({ key: 'adminRooms.seatTaken' }),
    );
    expect(() => place({ db: fx.db, actorId: admin.id, examId: exam.id, candidateId: b!, roomId: r1, seat: 3 })).toThrow(
      expect.objectContaining({ key: 'adminRooms.seatBeyondCapacity' }),
    );
    expect(place({ db: fx.db, actorId: admin.id, examId: exam.id, candidateId: b!, roomId: r1 })).toEqual({ roomId: r1, seat: 1 });
    expect(() => place({ db: fx.db, actorId: admin.id, examId: exam.id, candidateId: c!, roomId: r1 })).toThrow(
      expect.objectContaining({ key: 'adminRooms.roomFull' }),
    );
    // Moving within the room to another free seat is fine... there is none; move a to room 2.
    expect(place({ db: fx.db, actorId: admin.id, examId: exam.id, candidateId: a!, roomId: rooms[1]!.id })).toEqual({ roomId: rooms[1]!.id, seat: 1 });
    const audits = fx.db.select().from(auditLog).where(eq(auditLog.action, 'room.candidate_placed')).all();
    expect(audits).toHaveLength(3);
  });

  it('refuses moving or unplacing a candidate who has entered', async () => {
    const { exam, rooms, admin } = await examWithRooms(fx.db, [30, 30]);
    const [a] = await registerUnplaced(fx.db, exam.id, 1);
    place({ db: fx.db, actorId: admin.id, examId: exam.id, candidateId: a!, roomId: rooms[0]!.id });
    fx.db.update(registrations).set({ enteredAt: new Date() }).where(eq(registrations.candidateId, a!)).run();
    expect(() => place({ db: fx.db, actorId: admin.id, examId: exam.id, candidateId: a!, roomId: rooms[1]!.id })).toThrow(
      expect.objectContaining({ key: 'adminRooms.candidateEntered' }),
    );
    expect(() => unplace({ db: fx.db, actorId: admin.id, examId: exam.id, candidateId: a! })).toThrow(
      expect.objectContaining({ key: 'adminRooms.candidateEntered' }),
    );
  });

  it('unplace puts a candidate back among the unplaced', async () => {
    const { exam, rooms, admin } = await examWithRooms(fx.db, [30]);
    const [a] = await registerUnplaced(fx.db, exam.id, 1);
    place({ db: fx.db, actorId: admin.id, examId: exam.id, candidateId: a!, roomId: rooms[0]!.id });
    unplace({ db: fx.db, actorId: admin.id, examId: exam.id, candidateId: a! });
    expect(seating(fx.db, exam.id)[0]).toMatchObject({ roomId: null, seat: null });
  });
});
