import { eq } from 'drizzle-orm';
import type { Db } from './client';
import { exams, users } from './schema';
import { DEMO_CANDIDATES } from './seed-data';
import { assignInvigilator, createExam, createRoom, createUser, registerCandidate } from '@/server/services/setup';

export const DEMO_PASSWORD = 'demo1234';
export const DEMO_EXAM_TITLE = '2026 年度公开招聘笔试（演示）';

export const DEMO_STAFF = [
  { username: 'invig1', name: '王监考', role: 'invigilator' },
  { username: 'invig2', name: '陈监考', role: 'invigilator' },
  { username: 'support1', name: '赵客服', role: 'support' },
  { username: 'admin', name: '管理员', role: 'admin' },
] as const;

/**
 * A demo exam whose entry window is open now: two rooms of six candidates each, invig1 on
 * room 1 and invig2 on room 2. Running it again leaves users alone and re-times the exam.
 */
export async function seedDemo({ db, now = new Date() }: { db: Db; now?: Date }) {
  const min = 60_000;
  const times = {
    entryOpensAt: new Date(now.getTime() - 10 * min),
    entryClosesAt: new Date(now.getTime() + 4 * 60 * min),
    startsAt: new Date(now.getTime() + 30 * min),
    durationMinutes: 120,
  };
  const existing = db.select().from(exams).where(eq(exams.title, DEMO_EXAM_TITLE)).get();
  if (existing) {
    db.update(exams).set(times).where(eq(exams.id, existing.id)).run();
    return { examId: existing.id, created: false };
  }

  const staff = new Map<string, number>();
  for (const s of DEMO_STAFF) {
    const found = db.select().from(users).where(eq(users.username, s.username)).get();
    staff.set(s.username, (found ?? (await createUser({ db, ...s, password: DEMO_PASSWORD }))).id);
  }
  const candidateIds: number[] = [];
  for (const c of DEMO_CANDIDATES) {
    const found = db.select().from(users).where(eq(users.idNumber, c.idNumber)).get();
    candidateIds.push((found ?? (await createUser({ db, role: 'candidate', ...c, password: DEMO_PASSWORD }))).id);
  }

  db.transaction((tx) => {
    const exam = createExam({ db: tx, title: DEMO_EXAM_TITLE, kind: 'written', ...times });
    const rooms = [createRoom({ db: tx, examId: exam.id, name: '第 1 考场' }), createRoom({ db: tx, examId: exam.id, name: '第 2 考场' })];
    candidateIds.forEach((candidateId, i) => {
      const room = rooms[i < candidateIds.length / 2 ? 0 : 1]!;
      registerCandidate({ db: tx, examId: exam.id, roomId: room.id, candidateId, seat: (i % Math.ceil(candidateIds.length / 2)) + 1 });
    });
    assignInvigilator({ db: tx, roomId: rooms[0]!.id, userId: staff.get('invig1')! });
    assignInvigilator({ db: tx, roomId: rooms[1]!.id, userId: staff.get('invig2')! });
  });
  return { examId: db.select().from(exams).where(eq(exams.title, DEMO_EXAM_TITLE)).get()!.id, created: true };
}
