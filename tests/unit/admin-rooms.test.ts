import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Db } from '@/db/client';
import { auditLog, chiefInvigilators, examRooms, invigilatorAssignments, registrations, users } from '@/db/schema';
import { recordEvent } from '@/server/services/timeline';
import { makeCandidate, makeExam, makeStaff } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, httpCall, makeContext, trpcRefusal, withLocale } from '../helpers/unit-support';

const fx = useTestDb();

async function setup(db: Db, opts: { underWay?: boolean } = {}) {
  const exam = makeExam(db, opts.underWay ? {} : { opensIn: 60, closesIn: 120, startsIn: 90 });
  const admin = await makeStaff(db, 'admin');
  const ctx = makeContext(db, admin);
  return { exam, admin, ctx, api: callerFor(ctx).admin.rooms };
}

const actions = (db: Db) =>
  db
    .select()
    .from(auditLog)
    .all()
    .map((a) => a.action);

describe('admin.rooms: rooms of an exam', () => {
  it('an admin creates rooms and lists them with capacity, placed count, invigilators and LiveKit room', async () => {
    const { exam, api } = await setup(fx.db);
    const a = await api.create({ examId: exam.id, name: ' 第一考场 ', capacity: 30 });
    await api.create({ examId: exam.id, name: '第二考场', capacity: 20 });
    const inv = await makeStaff(fx.db, 'invigilator');
    await api.assignInvigilator({ roomId: a.id, userId: inv.id });

    const list = await api.list({ examId: exam.id });

    expect(list).toMatchObject({ underWay: false, archived: false, unplaced: 0, chief: null });
    expect(list.rooms).toEqual([
      expect.objectContaining({
        name: '第一考场',
        capacity: 30,
        count: 0,
        livekitRoom: expect.stringMatching(/\d/),
        archivedAt: null,
        invigilators: [expect.objectContaining({ id: inv.id })],
      }),
      expect.objectContaining({ name: '第二考场', capacity: 20, invigilators: [] }),
    ]);
    expect(actions(fx.db)).toEqual(['room.created', 'room.created', 'assignment.added']);
  });

  it('names are unique within an exam (translated CONFLICT in zh-CN and en); capacity must be 1..500', async () => {
    const { exam, ctx, api } = await setup(fx.db);
    await api.create({ examId: exam.id, name: '考场A', capacity: 30 });
    const input = { examId: exam.id, name: '考场A', capacity: 10 };
    const zh = await httpCall({ ctx, path: 'admin.rooms.create', input });
    const en = await httpCall({ ctx: withLocale(ctx, 'en'), path: 'admin.rooms.create', input });
    expect(zh.status).toBe(409);
    expect(zh.body.error.json.message).toBe('本场考试已有名为“考场A”的考场，请换一个名称');
    expect(en.body.error.json.message).toBe('This exam already has a room called “考场A”; choose another name');
    // Another exam may use the same name.
    const other = makeExam(fx.db);
    await expect(api.create({ examId: other.id, name: '考场A', capacity: 10 })).resolves.toMatchObject({ name: '考场A' });
    const big = await httpCall({ ctx, path: 'admin.rooms.create', input: { examId: exam.id, name: 'X', capacity: 501 } });
    expect(big.status).toBe(400);
    expect(big.body.error.json.data.fieldErrors.capacity).toBe('不能大于 500');
  });

  it('capacity cannot go below the room count; rename works', async () => {
    const { exam, api } = await setup(fx.db);
    const room = await api.create({ examId: exam.id, name: 'R', capacity: 10 });
    for (let i = 0; i < 3; i++) {
      const c = await makeCandidate(fx.db);
      fx.db.insert(registrations).values({ examId: exam.id, candidateId: c.id }).run();
    }
    await api.distribute({ examId: exam.id, mode: 'unplaced' });
    const err = await trpcRefusal(api.update({ roomId: room.id, capacity: 2 }));
    expect(err.code).toBe('CONFLICT');
    expect(err.message).toBe('adminRooms.capacityBelowCount');
    await expect(api.update({ roomId: room.id, name: 'R2', capacity: 3 })).resolves.toMatchObject({ name: 'R2', capacity: 3 });
  });

  it('delete: only an empty room without history; otherwise CONFLICT suggesting archive; archived rooms take no placements', async () => {
    const { exam, api } = await setup(fx.db);
    const empty = await api.create({ examId: exam.id, name: 'E', capacity: 10 });
    const used = await api.create({ examId: exam.id, name: 'U', capacity: 10 });
    const c = await makeCandidate(fx.db);
    fx.db.insert(registrations).values({ examId: exam.id, candidateId: c.id, roomId: used.id, seat: 1 }).run();

    await expect(api.delete({ roomId: empty.id })).resolves.toEqual({ ok: true });
    expect((await trpcRefusal(api.delete({ roomId: used.id }))).message).toBe('adminRooms.roomHasCandidates');
    await api.unplace({ examId: exam.id, candidateId: c.id });
    recordEvent({ db: fx.db, roomId: used.id, candidateId: null, type: 'room_note', payload: {} });
    expect((await trpcRefusal(api.delete({ roomId: used.id }))).message).toBe('adminRooms.roomHasHistory');

    await api.archive({ roomId: used.id });
    expect((await trpcRefusal(api.place({ examId: exam.id, candidateId: c.id, roomId: used.id }))).message).toBe('adminRooms.roomArchived');
    expect(
      fx.db
        .select()
        .from(examRooms)
        .all()
        .map((r) => r.name),
    ).toEqual(['U']);
    expect(actions(fx.db)).toContain('room.deleted');
    expect(actions(fx.db)).toContain('room.archived');
  });

  it('once under way: adding a room and raising capacity work; deleting and lowering capacity are refused (translated)', async () => {
    const { exam, ctx, api } = await setup(fx.db, { underWay: true });
    const room = await api.create({ examId: exam.id, name: 'Late', capacity: 10 });
    await expect(api.update({ roomId: room.id, capacity: 20 })).resolves.toMatchObject({ capacity: 20 });
    expect((await trpcRefusal(api.update({ roomId: room.id, capacity: 5 }))).message).toBe('adminRooms.underWayCapacity');
    const del = await httpCall({ ctx, path: 'admin.rooms.delete', input: { roomId: room.id } });
    expect(del.body.error.json.message).toBe('考试已开始入场，不能再删除考场；可以改为归档');
    const en = await httpCall({ ctx: withLocale(ctx, 'en'), path: 'admin.rooms.distribute', input: { examId: exam.id, mode: 'rebalance' } });
    expect(en.body.error.json.message).toBe('Entry has opened, so rooms can no longer be rebalanced; unplaced candidates can still be distributed');
    expect((await api.list({ examId: exam.id })).underWay).toBe(true);
  });

  it('not enough seats: the error names the missing seats in both languages', async () => {
    const { exam, ctx, api } = await setup(fx.db);
    await api.create({ examId: exam.id, name: 'S', capacity: 1 });
    for (let i = 0; i < 3; i++) {
      const c = await makeCandidate(fx.db);
      fx.db.insert(registrations).values({ examId: exam.id, candidateId: c.id }).run();
    }
    const zh = await httpCall({ ctx, path: 'admin.rooms.distribute', input: { examId: exam.id, mode: 'unplaced' } });
    const en = await httpCall({ ctx: withLocale(ctx, 'en'), path: 'admin.rooms.distribute', input: { examId: exam.id, mode: 'unplaced' } });
    expect(zh.body.error.json.message).toBe('座位不够：还差 2 个座位。请扩大容量或新增考场，本次未做任何分配');
    expect(en.body.error.json.message).toBe('Not enough seats: 2 more are needed. Raise capacities or add rooms; nothing was placed');
  });

  it('an archived exam refuses changes', async () => {
    const { exam, api } = await setup(fx.db);
    const { exams } = await import('@/db/schema');
    fx.db.update(exams).set({ archivedAt: new Date() }).where(eq(exams.id, exam.id)).run();
    expect((await trpcRefusal(api.create({ examId: exam.id, name: 'X', capacity: 5 }))).message).toBe('admin.examArchived');
  });

  it('findCandidates finds by name or ID number with their seat', async () => {
    const { exam, api } = await setup(fx.db);
    const room = await api.create({ examId: exam.id, name: 'F', capacity: 5 });
    const c = await makeCandidate(fx.db, { name: '张三丰' });
    fx.db.insert(registrations).values({ examId: exam.id, candidateId: c.id }).run();
    await api.place({ examId: exam.id, candidateId: c.id, roomId: room.id, seat: 3 });
    expect(await api.findCandidates({ examId: exam.id, q: '三丰' })).toEqual([
      expect.objectContaining({ candidateId: c.id, roomName: 'F', seat: 3, entered: false }),
    ]);
    expect(await api.findCandidates({ examId: exam.id, q: c.idNumber!.slice(-6).toLowerCase() })).toHaveLength(1);
    expect(await api.findCandidates({ examId: exam.id, q: '%' })).toHaveLength(0);
  });
});

describe('admin.rooms: assignments and the chief', () => {
  it('several invigilators per room; only active invigilators; unassign', async () => {
    const { exam, api } = await setup(fx.db);
    const room = await api.create({ examId: exam.id, name: 'A', capacity: 5 });
    const [i1, i2] = [await makeStaff(fx.db, 'invigilator'), await makeStaff(fx.db, 'invigilator')];
    const support = await makeStaff(fx.db, 'support');
    await api.assignInvigilator({ roomId: room.id, userId: i1.id });
    await api.assignInvigilator({ roomId: room.id, userId: i2.id });
    await api.assignInvigilator({ roomId: room.id, userId: i2.id });
    expect(fx.db.select().from(invigilatorAssignments).all()).toHaveLength(2);
    expect((await trpcRefusal(api.assignInvigilator({ roomId: room.id, userId: support.id }))).message).toBe('adminRooms.notInvigilator');
    fx.db.update(users).set({ archivedAt: new Date() }).where(eq(users.id, i1.id)).run();
    const i3 = await makeStaff(fx.db, 'invigilator');
    fx.db.update(users).set({ archivedAt: new Date() }).where(eq(users.id, i3.id)).run();
    expect((await trpcRefusal(api.assignInvigilator({ roomId: room.id, userId: i3.id }))).message).toBe('adminRooms.userArchived');
    await api.unassign({ roomId: room.id, userId: i2.id });
    expect((await trpcRefusal(api.unassign({ roomId: room.id, userId: i2.id }))).code).toBe('NOT_FOUND');
    expect((await api.invigilators()).map((u) => u.id)).toEqual([i2.id]);
    expect(actions(fx.db).filter((a) => a.startsWith('assignment.'))).toEqual(['assignment.added', 'assignment.added', 'assignment.removed']);
  });

  it('one chief per exam: replacing is one step, clearing works, audited as chief.set', async () => {
    const { exam, api } = await setup(fx.db);
    const [a, b] = [await makeStaff(fx.db, 'invigilator'), await makeStaff(fx.db, 'invigilator')];
    await api.setChief({ examId: exam.id, userId: a.id });
    await api.setChief({ examId: exam.id, userId: b.id });
    expect(fx.db.select().from(chiefInvigilators).all()).toEqual([expect.objectContaining({ examId: exam.id, userId: b.id })]);
    expect((await api.list({ examId: exam.id })).chief).toMatchObject({ id: b.id });
    await api.setChief({ examId: exam.id, userId: null });
    expect(fx.db.select().from(chiefInvigilators).all()).toEqual([]);
    const admin2 = await makeStaff(fx.db, 'admin');
    expect((await trpcRefusal(api.setChief({ examId: exam.id, userId: admin2.id }))).message).toBe('adminRooms.notInvigilator');
    const chiefAudits = fx.db.select().from(auditLog).where(eq(auditLog.action, 'chief.set')).all();
    expect(chiefAudits.map((r) => r.detail)).toEqual([
      { userId: a.id, previousUserId: null },
      { userId: b.id, previousUserId: a.id },
      { userId: null, previousUserId: b.id },
    ]);
  });
});

describe('admin.rooms: role refusals', () => {
  it.each(['candidate', 'invigilator', 'support'] as const)('a %s gets FORBIDDEN from every procedure', async (role) => {
    const exam = makeExam(fx.db);
    const user = role === 'candidate' ? await makeCandidate(fx.db) : await makeStaff(fx.db, role);
    const api = callerFor(makeContext(fx.db, user)).admin.rooms;
    const calls = [
      api.list({ examId: exam.id }),
      api.invigilators(),
      api.create({ examId: exam.id, name: 'x', capacity: 1 }),
      api.update({ roomId: 1, name: 'y' }),
      api.archive({ roomId: 1 }),
      api.unarchive({ roomId: 1 }),
      api.delete({ roomId: 1 }),
      api.distribute({ examId: exam.id, mode: 'unplaced' }),
      api.place({ examId: exam.id, candidateId: 1, roomId: 1 }),
      api.unplace({ examId: exam.id, candidateId: 1 }),
      api.findCandidates({ examId: exam.id, q: 'a' }),
      api.assignInvigilator({ roomId: 1, userId: 1 }),
      api.unassign({ roomId: 1, userId: 1 }),
      api.setChief({ examId: exam.id, userId: null }),
    ];
    for (const call of calls) expect((await trpcRefusal(call)).code).toBe('FORBIDDEN');
    expect(fx.db.select().from(examRooms).all()).toHaveLength(0);
  });
});
