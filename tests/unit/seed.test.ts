import { and, count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, examRooms, exams, registrations, users } from '@/db/schema';
import { DEMO_EXAM_TITLE, DEMO_LARGE_EXAM_TITLE, DEMO_PASSWORD, seedDemo } from '@/db/seed';
import { DEMO_CANDIDATES } from '@/db/seed-data';
import { login } from '@/server/services/auth';
import { useTestDb } from '../helpers/unit-db';

const fx = useTestDb();

const roomCounts = (examId: number) =>
  fx.db
    .select({ name: examRooms.name, n: count(registrations.id) })
    .from(examRooms)
    .leftJoin(registrations, eq(registrations.roomId, examRooms.id))
    .where(eq(examRooms.examId, examId))
    .groupBy(examRooms.id)
    .orderBy(examRooms.id)
    .all();

describe('demo seed: prepared through the back office', () => {
  it('makes the first admin as /setup does, and every exam, room, import and distribution through the back-office services (audited)', async () => {
    await seedDemo({ db: fx.db });

    const actions = fx.db.select({ action: auditLog.action, n: count() }).from(auditLog).groupBy(auditLog.action).all();
    const n = (action: string) => actions.find((a) => a.action === action)?.n ?? 0;
    expect(n('staff.first_admin_created')).toBe(1);
    expect(n('staff.created')).toBe(3);
    expect(n('exam.created')).toBe(3);
    expect(n('candidates.imported')).toBe(3);
    expect(n('room.distributed')).toBe(3);
    expect(n('candidate.password_set')).toBe(DEMO_CANDIDATES.length);
  });

  it('spreads the written exam evenly (6 and 6, in file order) and the 500-candidate exam over ten rooms of 50, reusing the demo accounts', async () => {
    await seedDemo({ db: fx.db });
    const written = fx.db.select().from(exams).where(eq(exams.title, DEMO_EXAM_TITLE)).get()!;
    const large = fx.db.select().from(exams).where(eq(exams.title, DEMO_LARGE_EXAM_TITLE)).get()!;

    expect(roomCounts(written.id)).toEqual([
      { name: '第 1 考场', n: 6 },
      { name: '第 2 考场', n: 6 },
    ]);
    expect(roomCounts(large.id).map((r) => r.n)).toEqual(Array(10).fill(50));
    expect(fx.db.select({ n: count() }).from(users).where(eq(users.role, 'candidate')).get()!.n).toBe(500);
    const first = fx.db.select().from(users).where(eq(users.idNumber, DEMO_CANDIDATES[0].idNumber)).get()!;
    const reg = fx.db
      .select()
      .from(registrations)
      .where(and(eq(registrations.examId, written.id), eq(registrations.candidateId, first.id)))
      .get()!;
    expect(reg.seat).toBe(1);
    expect(fx.db.select().from(examRooms).where(eq(examRooms.id, reg.roomId!)).get()!.name).toBe('第 1 考场');
  });

  it('opens the demo exams now and puts the 500-candidate exam tomorrow; the demo candidate logs in with the demo password', async () => {
    const now = new Date('2026-11-26T06:00:00Z');
    await seedDemo({ db: fx.db, now });
    const written = fx.db.select().from(exams).where(eq(exams.title, DEMO_EXAM_TITLE)).get()!;
    const large = fx.db.select().from(exams).where(eq(exams.title, DEMO_LARGE_EXAM_TITLE)).get()!;

    expect(written.entryOpensAt < now && now < written.entryClosesAt).toBe(true);
    expect(large.startsAt.toISOString()).toBe('2026-11-27T01:00:00.000Z'); // 09:00 Beijing time
    const s = await login({ db: fx.db, kind: 'candidate', identifier: DEMO_CANDIDATES[0].idNumber, password: DEMO_PASSWORD, now });
    expect(s.user.name).toBe(DEMO_CANDIDATES[0].name);
  });
});
