import fs from 'node:fs';
import path from 'node:path';
import { eq, inArray } from 'drizzle-orm';
import { verify } from '@node-rs/argon2';
import { createFirstAdmin, ensureSetupToken, needsFirstAdmin } from '@/server/services/admin/bootstrap';
import { setCandidatePassword } from '@/server/services/admin/candidates';
import { toCsv } from '@/server/services/admin/common';
import { distribute } from '@/server/services/admin/distribute';
import { addExamPreset, checkExamValues, createExam, examEndsAt, uploadAttachment } from '@/server/services/admin/exams';
import { importCandidates } from '@/server/services/admin/import';
import { assignInvigilator, createRoom, setChief } from '@/server/services/admin/rooms';
import { createSheet } from '@/server/services/admin/sheets';
import { createStaff, resetPassword } from '@/server/services/admin/staff';
import { createCanned, openThread, resolve, send, upsertDesk } from '@/server/services/help';
import type { StaffCaller } from '@/server/auth/caller';
import { toCaller } from '@/server/services/auth';
import { createMessage } from '@/server/services/setup';
import type { Db } from './client';
import { cannedReplies, exams, helpThreads, users, type ExamKind, type Question } from './schema';
import { ATTACHMENT_TEXT, INTERVIEW_NOTICE, INTERVIEW_SHEETS, WRITTEN_NOTICE, WRITTEN_SHEETS } from './seed-content';
import { DEMO_CANDIDATES, DEMO_CANNED_REPLIES, DEMO_HELP_THREAD } from './seed-data';

export const DEMO_PASSWORD = 'demo1234';
export const DEMO_EXAM_TITLE = '2026 年度公开招聘笔试（演示）';
export const DEMO_INTERVIEW_TITLE = '2026 年度公开招聘面试（演示）';
export const DEMO_LARGE_EXAM_TITLE = '2026 年度公开招聘笔试（第二场，500 人）';

export const DEMO_STAFF = [
  { username: 'invig1', name: '王监考', role: 'invigilator' },
  { username: 'invig2', name: '陈监考', role: 'invigilator' },
  { username: 'support1', name: '赵客服', role: 'support' },
  { username: 'admin', name: '管理员', role: 'admin' },
] as const;

/** Warnings every demo exam offers its invigilators ready-made. */
export const DEMO_PRESETS = ['请将摄像头对准正脸，保持面部在画面中。', '请勿离开座位，保持屏幕共享开启。'] as const;

/** The 500 synthetic candidates of the project's test data (the demo candidates are its first 12). */
const LARGE_FILE = path.join(process.cwd(), 'db', 'demo-candidates.csv');

const MIN = 60_000;

/**
 * When each demo exam runs, seen from `now`: the written exam and the interview with their entry
 * open now, the 500-candidate exam tomorrow at 09:00 Beijing time. Entry closes when the exam
 * ends, the latest the back office allows, so the demo stays enterable as long as it can.
 */
export function demoTimes(now: Date) {
  const t = now.getTime();
  const opensAt = new Date(t - 10 * MIN);
  const closingAtEnd = (startsAt: Date, durationMinutes: number) => ({
    entryOpensAt: opensAt,
    entryClosesAt: examEndsAt({ startsAt, durationMinutes }),
    startsAt,
    durationMinutes,
  });
  const written = closingAtEnd(new Date(t + 15 * MIN), 120);
  // Four candidates interviewed one after another, about a quarter of an hour each.
  const interview = closingAtEnd(new Date(t + 5 * MIN), 60);
  const beijingMidnight = Math.floor((t + 8 * 60 * MIN) / (24 * 60 * MIN)) * 24 * 60 * MIN - 8 * 60 * MIN;
  const start = beijingMidnight + 24 * 60 * MIN + 9 * 60 * MIN;
  const large = { entryOpensAt: new Date(start - 30 * MIN), entryClosesAt: new Date(start + 15 * MIN), startsAt: new Date(start), durationMinutes: 120 };
  return { [DEMO_EXAM_TITLE]: written, [DEMO_INTERVIEW_TITLE]: interview, [DEMO_LARGE_EXAM_TITLE]: large };
}

/**
 * Moves the demo exams to their demo times (the demo's own clock: the back office never moves an
 * exam under way). The new times still pass the back office's rules, checked by its own function.
 */
function retime(db: Db, now: Date) {
  const moves = Object.entries(demoTimes(now)).flatMap(([title, times]) => {
    const exam = db.select().from(exams).where(eq(exams.title, title)).get();
    if (!exam) return [];
    checkExamValues({ ...exam, ...times });
    return [{ id: exam.id, times }];
  });
  db.transaction((tx) => {
    for (const { id, times } of moves) tx.update(exams).set(times).where(eq(exams.id, id)).run();
  });
}

/**
 * The help desk's demo set-up (added once): the desk gets its canned replies, and the last demo
 * candidate a resolved conversation with support1. Runs outside any transaction: the help
 * services commit and announce their own.
 */
export function seedHelpDesk(db: Db, now = new Date()) {
  for (const s of db.select({ id: users.id }).from(users).where(eq(users.role, 'support')).all()) upsertDesk(db, s.id, { capacity: 5 });
  const support1 = db.select().from(users).where(eq(users.username, 'support1')).get();
  if (!db.select({ id: cannedReplies.id }).from(cannedReplies).get()) {
    for (const r of DEMO_CANNED_REPLIES) createCanned({ db, userId: support1?.id ?? null, ...r });
  }
  const candidate = db
    .select()
    .from(users)
    .where(eq(users.idNumber, DEMO_CANDIDATES.at(-1)!.idNumber))
    .get();
  if (!support1 || !candidate || db.select({ id: helpThreads.id }).from(helpThreads).where(eq(helpThreads.candidateId, candidate.id)).get()) return;
  const at = (minutesAgo: number) => new Date(now.getTime() - minutesAgo * 60_000);
  const agent = toCaller(support1);
  const thread = openThread({ db, candidateId: candidate.id, category: DEMO_HELP_THREAD.category, body: DEMO_HELP_THREAD.question, now: at(30) });
  send({ db, caller: agent, threadId: thread.id, body: DEMO_HELP_THREAD.answer, now: at(29) });
  send({ db, caller: toCaller(candidate), threadId: thread.id, body: DEMO_HELP_THREAD.thanks, now: at(27) });
  resolve({ db, caller: agent, threadId: thread.id, now: at(26) });
}

/**
 * A database seeded earlier for a local demo still has demo accounts with the published
 * password; before the demo is opened to the network (`--lan`) they get the new one.
 */
async function replaceDemoPassword(db: Db, password: string, examId: number) {
  const demoUsers = db
    .select()
    .from(users)
    .where(
      inArray(
        users.username,
        DEMO_STAFF.map((s) => s.username),
      ),
    )
    .all()
    .concat(
      db
        .select()
        .from(users)
        .where(
          inArray(
            users.idNumber,
            DEMO_CANDIDATES.map((c) => c.idNumber),
          ),
        )
        .all(),
    );
  const actorId = db.select({ id: users.id }).from(users).where(eq(users.role, 'admin')).get()?.id;
  if (actorId == null) return;
  for (const u of demoUsers) {
    if (!u.passwordHash || !(await verify(u.passwordHash, DEMO_PASSWORD))) continue;
    if (u.role === 'candidate') await setCandidatePassword({ db, actorId, candidateId: u.id, password, examId });
    else await resetPassword({ db, actorId, userId: u.id, password });
  }
}

/** The staff accounts, made as a new installation makes them: the first admin (/setup), then the others in the back office. */
async function seedStaff(db: Db, password: string) {
  const byUsername = (username: string) => db.select().from(users).where(eq(users.username, username)).get();
  const adminSpec = DEMO_STAFF.find((s) => s.role === 'admin')!;
  let admin = byUsername(adminSpec.username);
  if (!admin && needsFirstAdmin(db)) {
    // The seed runs on the server's machine, so it reads the setup token as an operator would.
    const token = ensureSetupToken({ db, log: () => {} })!;
    admin = await createFirstAdmin({ db, name: adminSpec.name, username: adminSpec.username, password, token });
  }
  const actorId = admin?.id ?? db.select({ id: users.id }).from(users).where(eq(users.role, 'admin')).get()!.id;
  const ids = new Map<string, number>();
  for (const s of DEMO_STAFF) {
    const found = byUsername(s.username);
    ids.set(s.username, found?.id ?? (await createStaff({ db, actorId, role: s.role, name: s.name, username: s.username, password })).id);
  }
  return { actorId, staff: ids };
}

type ExamPlan = {
  title: string;
  kind: ExamKind;
  notice: string;
  rooms: { name: string; capacity: number; invigilator: string }[];
  chief?: string;
  file: { name: string; content: Buffer };
  sheets: { title: string; body: string; questions?: Question[] }[];
};

/**
 * One exam prepared exactly as an admin does it in the back office, service for service: the
 * exam (scheduled ahead, as the rules allow changes only before entry opens), its notice file,
 * sheets and preset warnings, rooms, the candidate import, even distribution, invigilators and
 * the chief.
 */
async function prepareExam(db: Db, actorId: number, staff: Map<string, number>, plan: ExamPlan, now: Date) {
  const ahead = new Date(now.getTime() + 2 * 24 * 60 * MIN);
  const exam = createExam({
    db,
    actorId,
    title: plan.title,
    kind: plan.kind,
    notice: plan.notice,
    entryOpensAt: ahead,
    entryClosesAt: new Date(ahead.getTime() + 60 * MIN),
    startsAt: new Date(ahead.getTime() + 30 * MIN),
    durationMinutes: 120,
    now,
  });
  uploadAttachment({
    db,
    actorId,
    examId: exam.id,
    fileName: '考场规则.txt',
    contentBase64: Buffer.from(ATTACHMENT_TEXT).toString('base64'),
    purpose: 'notice',
    now,
  });
  for (const sheet of plan.sheets) createSheet({ db, actorId, examId: exam.id, title: sheet.title, body: sheet.body, questions: sheet.questions ?? [], now });
  const admin = toCaller(db.select().from(users).where(eq(users.id, actorId)).get()!) as StaffCaller;
  for (const text of DEMO_PRESETS) addExamPreset({ db, caller: admin, examId: exam.id, text, now });
  const rooms = plan.rooms.map((r) => ({ ...r, id: createRoom({ db, actorId, examId: exam.id, name: r.name, capacity: r.capacity, now }).id }));
  await importCandidates({ db, examId: exam.id, actorId, fileName: plan.file.name, content: plan.file.content, now });
  distribute({ db, actorId, examId: exam.id, mode: 'unplaced', now });
  for (const r of rooms) assignInvigilator({ db, actorId, roomId: r.id, userId: staff.get(r.invigilator)!, now });
  if (plan.chief) setChief({ db, actorId, examId: exam.id, userId: staff.get(plan.chief)!, now });
  return exam;
}

const candidatesFile = (rows: readonly { name: string; idNumber: string; phone: string; email: string }[]) =>
  Buffer.from(
    toCsv(
      ['姓名', '身份证号', '手机号', '邮箱'],
      rows.map((c) => [c.name, c.idNumber, c.phone, c.email]),
    ),
  );

/**
 * Demo data, made through the same services as the back office: a written exam in two rooms of
 * six candidates (invig1 on room 1 and chief, invig2 on room 2) and an interview for the first
 * four candidates (invig1), both with entry open now; and a 500-candidate exam tomorrow over ten
 * rooms, imported from the project's test file. The demo candidates get password login with
 * `demo1234`, or the password given (`--lan` gives a random one: the published password must not
 * open accounts reachable from the network). Running it again leaves everything alone and
 * re-times the exams; with a password given, demo accounts still on `demo1234` get it.
 */
export async function seedDemo({ db, now = new Date(), password = DEMO_PASSWORD }: { db: Db; now?: Date; password?: string }) {
  const existing = db.select().from(exams).where(eq(exams.title, DEMO_EXAM_TITLE)).get();
  if (existing) {
    retime(db, now);
    seedHelpDesk(db, now);
    if (password !== DEMO_PASSWORD) await replaceDemoPassword(db, password, existing.id);
    return { examId: existing.id, created: false };
  }

  const { actorId, staff } = await seedStaff(db, password);
  const written = await prepareExam(
    db,
    actorId,
    staff,
    {
      title: DEMO_EXAM_TITLE,
      kind: 'written',
      notice: WRITTEN_NOTICE,
      rooms: [
        { name: '第 1 考场', capacity: 30, invigilator: 'invig1' },
        { name: '第 2 考场', capacity: 30, invigilator: 'invig2' },
      ],
      chief: 'invig1',
      file: { name: '笔试考生名单.csv', content: candidatesFile(DEMO_CANDIDATES) },
      sheets: WRITTEN_SHEETS,
    },
    now,
  );
  await prepareExam(
    db,
    actorId,
    staff,
    {
      title: DEMO_INTERVIEW_TITLE,
      kind: 'interview',
      notice: INTERVIEW_NOTICE,
      rooms: [{ name: '面试室 A', capacity: 10, invigilator: 'invig1' }],
      file: { name: '面试考生名单.csv', content: candidatesFile(DEMO_CANDIDATES.slice(0, 4)) },
      sheets: INTERVIEW_SHEETS,
    },
    now,
  );
  await prepareExam(
    db,
    actorId,
    staff,
    {
      title: DEMO_LARGE_EXAM_TITLE,
      kind: 'written',
      notice: WRITTEN_NOTICE,
      rooms: Array.from({ length: 10 }, (_, i) => ({ name: `第 ${i + 1} 考场`, capacity: 50, invigilator: i % 2 ? 'invig2' : 'invig1' })),
      chief: 'invig2',
      file: { name: 'candidates-500.csv', content: fs.readFileSync(LARGE_FILE) },
      sheets: WRITTEN_SHEETS,
    },
    now,
  );

  // The manual's back-office switch, for the demo candidates: password login with a known password.
  const demo = db
    .select({ id: users.id })
    .from(users)
    .where(
      inArray(
        users.idNumber,
        DEMO_CANDIDATES.map((c) => c.idNumber),
      ),
    )
    .all();
  for (const c of demo) await setCandidatePassword({ db, actorId, candidateId: c.id, password, examId: written.id });

  createMessage({ db, audience: 'all', title: '欢迎使用智试云', body: '考试前请完成系统检测和设备检测。如有问题，请点击“求助”或拨打 400 热线。' });
  createMessage({
    db,
    audience: 'exam',
    examId: written.id,
    title: '笔试入场提醒',
    body: '笔试已开放入场，请在开考前 10 分钟完成入场并确认个人信息。',
    priority: 'urgent',
    mustAcknowledge: true,
  });
  retime(db, now);
  seedHelpDesk(db, now);
  return { examId: written.id, created: true };
}
