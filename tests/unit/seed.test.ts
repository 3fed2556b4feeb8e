import { and, count, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, examRooms, exams, registrations, users } from '@/db/schema';
import { DEMO_EXAM_TITLE, DEMO_INTERVIEW_TITLE, DEMO_LARGE_EXAM_TITLE, DEMO_PASSWORD, demoTimes, seedDemo } from '@/db/seed';
import { DEMO_CANDIDATES } from '@/db/seed-data';
import { checkExamValues, examEndsAt, NEW_EXAM_PATH } from '@/server/services/admin/exams';
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

describe('demo seed: re-timing keeps to the back office rules', () => {
  const HOUR = 60 * 60_000;
  /** Around the clock and across a Beijing midnight (16:00 UTC), a month end and a year end. */
  const nows = [
    ...Array.from({ length: 48 }, (_, i) => new Date(Date.UTC(2026, 10, 26) + i * HOUR * 0.5)),
    new Date('2026-11-30T15:59:59Z'),
    new Date('2026-12-31T16:00:00Z'),
    new Date('2027-02-28T23:30:00Z'),
  ];

  it('every demo exam, at every time of day, passes the checks the back office applies to an exam it saves', () => {
    for (const now of nows) {
      for (const [title, times] of Object.entries(demoTimes(now))) {
        expect(
          () => checkExamValues({ title, kind: 'written', notice: '', retentionDays: 90, ...NEW_EXAM_PATH, ...times }),
          `${title} at ${now.toISOString()}`,
        ).not.toThrow();
      }
    }
  });

  it('re-running the demo at later times re-times every exam validly: entry open now, and closed no later than the exam ends', async () => {
    await seedDemo({ db: fx.db, now: nows[0] });
    for (const now of [nows[1]!, nows[33]!, nows.at(-1)!]) {
      await seedDemo({ db: fx.db, now });
      for (const title of [DEMO_EXAM_TITLE, DEMO_INTERVIEW_TITLE, DEMO_LARGE_EXAM_TITLE]) {
        const exam = fx.db.select().from(exams).where(eq(exams.title, title)).get()!;
        expect(() => checkExamValues(exam), `${title} at ${now.toISOString()}`).not.toThrow();
        expect(exam.entryClosesAt <= examEndsAt(exam)).toBe(true);
      }
      for (const title of [DEMO_EXAM_TITLE, DEMO_INTERVIEW_TITLE]) {
        const exam = fx.db.select().from(exams).where(eq(exams.title, title)).get()!;
        expect(exam.entryOpensAt <= now && now < exam.entryClosesAt).toBe(true);
      }
    }
  });
});
