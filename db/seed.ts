import { eq, inArray } from 'drizzle-orm';
import type { Db, DbOrTx } from './client';
import { cannedReplies, exams, helpThreads, presetMessages, users } from './schema';
import { DEMO_CANDIDATES, DEMO_CANNED_REPLIES, DEMO_HELP_THREAD } from './seed-data';
import {
  addAttachment,
  addQuestionSheet,
  assignInvigilator,
  createExam,
  createMessage,
  createRoom,
  createUser,
  registerCandidate,
} from '@/server/services/setup';
import { createCanned, openThread, resolve, send, upsertDesk } from '@/server/services/help';
import { appointChiefInvigilator } from '@/server/services/invigilate';
import { ATTACHMENT_TEXT, INTERVIEW_NOTICE, INTERVIEW_SHEETS, WRITTEN_NOTICE, WRITTEN_SHEETS } from './seed-content';

export const DEMO_PASSWORD = 'demo1234';
export const DEMO_EXAM_TITLE = '2026 年度公开招聘笔试（演示）';
export const DEMO_INTERVIEW_TITLE = '2026 年度公开招聘面试（演示）';

export const DEMO_STAFF = [
  { username: 'invig1', name: '王监考', role: 'invigilator' },
  { username: 'invig2', name: '陈监考', role: 'invigilator' },
  { username: 'support1', name: '赵客服', role: 'support' },
  { username: 'admin', name: '管理员', role: 'admin' },
] as const;

/** Warnings every demo exam offers its invigilators ready-made. */
export const DEMO_PRESETS = ['请将摄像头对准正脸，保持面部在画面中。', '请勿离开座位，保持屏幕共享开启。'] as const;

/**
 * The invigilator console's demo set-up, on a new or an existing demo database: invig1 is chief
 * invigilator of the written exam, and each demo exam has the preset warnings (added once).
 */
export function seedConsole(db: DbOrTx) {
  const invig1 = db.select({ id: users.id }).from(users).where(eq(users.username, 'invig1')).get();
  const demo = db.select().from(exams).where(inArray(exams.title, [DEMO_EXAM_TITLE, DEMO_INTERVIEW_TITLE])).all();
  for (const exam of demo) {
    if (invig1 && exam.title === DEMO_EXAM_TITLE) appointChiefInvigilator({ db, examId: exam.id, userId: invig1.id });
    const has = db.select({ id: presetMessages.id }).from(presetMessages).where(eq(presetMessages.examId, exam.id)).get();
    if (!has) for (const text of DEMO_PRESETS) db.insert(presetMessages).values({ examId: exam.id, text }).run();
  }
}

/**
 * The help desk's demo set-up (added once): every support user gets a desk of capacity 5, the
 * desk gets its canned replies, and the last demo candidate a resolved conversation with
 * support1. Runs outside any transaction: the help services commit and announce their own.
 */
export function seedHelpDesk(db: Db, now = new Date()) {
  for (const s of db.select({ id: users.id }).from(users).where(eq(users.role, 'support')).all()) upsertDesk(db, s.id, { capacity: 5 });
  const support1 = db.select().from(users).where(eq(users.username, 'support1')).get();
  if (!db.select({ id: cannedReplies.id }).from(cannedReplies).get()) {
    for (const r of DEMO_CANNED_REPLIES) createCanned({ db, userId: support1?.id ?? null, ...r });
  }
  const candidate = db.select().from(users).where(eq(users.idNumber, DEMO_CANDIDATES.at(-1)!.idNumber)).get();
  if (!support1 || !candidate || db.select({ id: helpThreads.id }).from(helpThreads).where(eq(helpThreads.candidateId, candidate.id)).get()) return;
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000);
  const agent = { id: support1.id, role: support1.role, name: support1.name };
  const thread = openThread({ db, candidateId: candidate.id, category: DEMO_HELP_THREAD.category, body: DEMO_HELP_THREAD.question, now: at(30) });
  send({ db, user: agent, threadId: thread.id, body: DEMO_HELP_THREAD.answer, now: at(29) });
  send({ db, user: { id: candidate.id, role: candidate.role, name: candidate.name }, threadId: thread.id, body: DEMO_HELP_THREAD.thanks, now: at(27) });
  resolve({ db, user: agent, threadId: thread.id, now: at(26) });
}

/**
 * Demo data whose entry windows are open now: a written exam in two rooms of six candidates
 * (invig1 on room 1, invig2 on room 2) and an interview for the first four candidates in its
 * own room (invig1). Running it again leaves users alone and re-times the exams.
 */
export async function seedDemo({ db, now = new Date() }: { db: Db; now?: Date }) {
  const min = 60_000;
  const written = {
    entryOpensAt: new Date(now.getTime() - 10 * min),
    entryClosesAt: new Date(now.getTime() + 4 * 60 * min),
    startsAt: new Date(now.getTime() + 15 * min),
    durationMinutes: 120,
  };
  const interview = { ...written, startsAt: new Date(now.getTime() + 5 * min), durationMinutes: 15 };
  const existing = db.select().from(exams).where(eq(exams.title, DEMO_EXAM_TITLE)).get();
  if (existing) {
    db.update(exams).set(written).where(eq(exams.id, existing.id)).run();
    db.update(exams).set(interview).where(eq(exams.title, DEMO_INTERVIEW_TITLE)).run();
    seedConsole(db);
    seedHelpDesk(db, now);
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

  const created = db.transaction((tx) => {
    const exam = createExam({ db: tx, title: DEMO_EXAM_TITLE, kind: 'written', notice: WRITTEN_NOTICE, ...written });
    const rooms = [createRoom({ db: tx, examId: exam.id, name: '第 1 考场' }), createRoom({ db: tx, examId: exam.id, name: '第 2 考场' })];
    const half = Math.ceil(candidateIds.length / 2);
    candidateIds.forEach((candidateId, i) => {
      registerCandidate({ db: tx, examId: exam.id, roomId: rooms[i < half ? 0 : 1]!.id, candidateId, seat: (i % half) + 1 });
    });
    assignInvigilator({ db: tx, roomId: rooms[0]!.id, userId: staff.get('invig1')! });
    assignInvigilator({ db: tx, roomId: rooms[1]!.id, userId: staff.get('invig2')! });
    WRITTEN_SHEETS.forEach((sheet, position) => addQuestionSheet({ db: tx, examId: exam.id, position, ...sheet }));
    addAttachment({ db: tx, examId: exam.id, fileName: '考场规则.txt', contentType: 'text/plain; charset=utf-8', content: Buffer.from(ATTACHMENT_TEXT) });

    const iv = createExam({ db: tx, title: DEMO_INTERVIEW_TITLE, kind: 'interview', notice: INTERVIEW_NOTICE, ...interview });
    const ivRoom = createRoom({ db: tx, examId: iv.id, name: '面试室 A' });
    candidateIds.slice(0, 4).forEach((candidateId, i) => registerCandidate({ db: tx, examId: iv.id, roomId: ivRoom.id, candidateId, seat: i + 1 }));
    assignInvigilator({ db: tx, roomId: ivRoom.id, userId: staff.get('invig1')! });
    INTERVIEW_SHEETS.forEach((sheet, position) => addQuestionSheet({ db: tx, examId: iv.id, position, ...sheet }));
    addAttachment({ db: tx, examId: iv.id, fileName: '考场规则.txt', contentType: 'text/plain; charset=utf-8', content: Buffer.from(ATTACHMENT_TEXT) });

    createMessage({ db: tx, audience: 'all', title: '欢迎使用智试云', body: '考试前请完成系统检测和设备检测。如有问题，请点击“求助”或拨打 400 热线。' });
    createMessage({
      db: tx,
      audience: 'exam',
      examId: exam.id,
      title: '笔试入场提醒',
      body: '笔试已开放入场，请在开考前 10 分钟完成入场并确认个人信息。',
      priority: 'urgent',
      mustAcknowledge: true,
    });
    seedConsole(tx);
    return { examId: exam.id, created: true };
  });
  seedHelpDesk(db, now);
  return created;
}
