import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { eq } from 'drizzle-orm';
import superjson from 'superjson';
import { beforeEach, describe, expect, it } from 'vitest';
import { answers, examAttachments, examRooms, exams, questionSheets, registrations, type Question, type User } from '@/db/schema';
import type { Locale } from '@/server/i18n/config';
import { appRouter } from '@/server/routers/_app';
import { attachmentFor } from '@/server/services/attachments';
import { questionMaterial } from '@/server/services/exams';
import { createRoom, registerCandidate } from '@/server/services/setup';
import type { Context } from '@/server/trpc/init';
import { makeCandidate, makeExam, makeRoomScenario, makeStaff } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { asCaller, auditRows, callerFor, makeContext, trpcRefusal, withLocale } from '../helpers/unit-support';

const fx = useTestDb();

const MIN = 60_000;
/** Minutes from the test's start: the same offset gives the same instant throughout a test. */
let t0 = Date.now();
beforeEach(() => {
  t0 = Date.now();
});
const at = (minutesFromNow: number) => new Date(t0 + minutesFromNow * MIN);

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('image')]);
const PDF = Buffer.from('%PDF-1.4 rules');

async function admin() {
  const user = await makeStaff(fx.db, 'admin');
  return { user, api: callerFor(makeContext(fx.db, user)), ctx: makeContext(fx.db, user) };
}

/** Valid fields of a written exam a day ahead. */
const fields = (over: Record<string, unknown> = {}) => ({
  title: '2026 年秋季招聘笔试',
  kind: 'written' as const,
  entryOpensAt: at(24 * 60),
  entryClosesAt: at(24 * 60 + 45),
  startsAt: at(24 * 60 + 30),
  durationMinutes: 90,
  notice: '请独立完成。',
  retentionDays: 30,
  ...over,
});

/** The tRPC HTTP handler with superjson input (dates), as the browser calls it; the body is the formatted error. */
async function http(ctx: Context, path: string, input: unknown, locale: Locale = 'zh-CN') {
  const res = await fetchRequestHandler({
    endpoint: '/api/trpc',
    req: new Request(`http://localhost/api/trpc/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(superjson.serialize(input)),
    }),
    router: appRouter,
    createContext: ({ resHeaders }) => ({ ...withLocale(ctx, locale), resHeaders }),
  });
  const body = (await res.json()) as { error?: { json: { message: string; data: { appCode: string; fieldErrors: Record<string, string> | null } } } };
  return { status: res.status, error: body.error?.json };
}

const choice = (over: Partial<Question> = {}): Question => ({
  id: 'q1',
  kind: 'single',
  prompt: '1 + 1 = ?',
  options: ['1', '2', '3'],
  answer: '2',
  points: 5,
  ...over,
});

describe('admin.exams: who may call', () => {
  it('candidates, invigilators and support agents are refused every procedure (FORBIDDEN); no one signed in is UNAUTHORIZED', async () => {
    const exam = makeExam(fx.db);
    const users: User[] = [await makeCandidate(fx.db), await makeStaff(fx.db, 'invigilator'), await makeStaff(fx.db, 'support')];
    const e = { examId: exam.id };
    for (const user of users) {
      const api = callerFor(makeContext(fx.db, user));
      const calls: Promise<unknown>[] = [
        api.admin.exams.list(),
        api.admin.exams.byId(e),
        api.admin.exams.create(fields()),
        api.admin.exams.update({ ...e, title: 'x' }),
        api.admin.exams.archive(e),
        api.admin.exams.unarchive(e),
        api.admin.exams.delete(e),
        api.admin.exams.sheets.list(e),
        api.admin.exams.sheets.create({ ...e, title: 't', body: '', questions: [] }),
        api.admin.exams.sheets.update({ ...e, sheetId: 1, title: 't', body: '', questions: [] }),
        api.admin.exams.sheets.delete({ ...e, sheetId: 1 }),
        api.admin.exams.sheets.move({ ...e, sheetId: 1, direction: 'up' }),
        api.admin.exams.attachments.list(e),
        api.admin.exams.attachments.upload({ ...e, fileName: 'a.pdf', purpose: 'notice', contentBase64: PDF.toString('base64') }),
        api.admin.exams.attachments.delete({ ...e, attachmentId: 1 }),
        api.admin.exams.presets.list(e),
        api.admin.exams.presets.add({ ...e, text: '请保持正脸在画面中' }),
        api.admin.exams.presets.remove({ ...e, presetId: 1 }),
      ];
      for (const call of calls) expect((await trpcRefusal(call)).code, user.role).toBe('FORBIDDEN');
    }
    const anon = callerFor(makeContext(fx.db, null));
    expect((await trpcRefusal(anon.admin.exams.list())).code).toBe('UNAUTHORIZED');
    expect(fx.db.select().from(exams).all()).toHaveLength(1);
  });
});

describe('admin.exams: create, list, byId', () => {
  it('an admin creates an exam; it is audited and listed with its status and counts', async () => {
    const { api, user } = await admin();
    const exam = await api.admin.exams.create(fields());
    expect(exam).toMatchObject({ title: '2026 年秋季招聘笔试', kind: 'written', durationMinutes: 90, retentionDays: 30, notice: '请独立完成。' });
    expect(auditRows(fx.db).at(-1)).toMatchObject({ actorId: user.id, action: 'exam.created', examId: exam.id });

    const room = createRoom({ db: fx.db, examId: exam.id, name: '第一考场' });
    const cand = await makeCandidate(fx.db);
    registerCandidate({ db: fx.db, examId: exam.id, roomId: room.id, candidateId: cand.id, seat: 1 });

    const list = await api.admin.exams.list();
    expect(list.find((x) => x.id === exam.id)).toMatchObject({ status: 'upcoming', registrations: 1, rooms: 1, kind: 'written' });
    const one = await api.admin.exams.byId({ examId: exam.id });
    expect(one).toMatchObject({ underWay: false, started: false, lockedFields: [], history: [], canDelete: true, retentionDays: 30 });
  });

  it('statuses follow the clock: upcoming, open, in progress, ended; archived exams are listed only when asked for', async () => {
    const { api } = await admin();
    const upcoming = makeExam(fx.db, { opensIn: 10, closesIn: 50, startsIn: 40 });
    const open = makeExam(fx.db, { opensIn: -10, startsIn: 30 });
    const running = makeExam(fx.db, { opensIn: -30, closesIn: 10, startsIn: -5 });
    const ended = makeExam(fx.db, { opensIn: -300, closesIn: -250, startsIn: -280, durationMinutes: 60 });
    await api.admin.exams.archive({ examId: ended.id });

    const status = Object.fromEntries((await api.admin.exams.list()).map((x) => [x.id, x.status]));
    expect(status).toEqual({ [upcoming.id]: 'upcoming', [open.id]: 'open', [running.id]: 'in_progress' });
    const all = await api.admin.exams.list({ includeArchived: true });
    expect(all.find((x) => x.id === ended.id)?.status).toBe('archived');
    await api.admin.exams.unarchive({ examId: ended.id });
    expect((await api.admin.exams.list()).find((x) => x.id === ended.id)?.status).toBe('ended');
  });

  it('each cross-field rule has its own message, in Chinese and in English', async () => {
    const { ctx } = await admin();
    const cases: [Record<string, unknown>, string, RegExp, RegExp][] = [
      [{ entryClosesAt: at(24 * 60) }, 'adminExams.opensBeforeCloses', /入场开始时间必须早于入场截止时间/, /Entry must open before it closes/],
      [{ startsAt: at(24 * 60 - 1) }, 'adminExams.opensBeforeStart', /入场开始时间不能晚于开考时间/, /cannot open after the exam starts/],
      [{ entryClosesAt: at(24 * 60 + 121) }, 'adminExams.closesBeforeEnd', /入场截止时间不能晚于考试结束时间/, /cannot close after the exam ends/],
      [{ durationMinutes: 601 }, 'adminExams.durationRange', /考试时长须在 1 到 600 分钟之间/, /between 1 and 600 minutes/],
      [{ durationMinutes: 0 }, 'adminExams.durationRange', /考试时长须在 1 到 600 分钟之间/, /between 1 and 600 minutes/],
      [{ retentionDays: 3651 }, 'adminExams.retentionRange', /录像保留天数须在 1 到 3650 天之间/, /between 1 and 3,650 days/],
    ];
    for (const [over, key, zh, en] of cases) {
      const a = await http(ctx, 'admin.exams.create', fields(over));
      expect(a.status, key).toBe(400);
      expect(a.error?.data.appCode).toBe(key);
      expect(a.error?.message).toMatch(zh);
      const b = await http(ctx, 'admin.exams.create', fields(over), 'en');
      expect(b.error?.message).toMatch(en);
    }
    // Shapes are zod's, with field errors.
    const blank = await http(ctx, 'admin.exams.create', fields({ title: '   ' }));
    expect(blank.status).toBe(400);
    expect(blank.error?.data.fieldErrors?.title).toBeTruthy();
    expect(fx.db.select().from(exams).all()).toHaveLength(0);
  });
});

describe('admin.exams.update: the under-way rule', () => {
  it('before entry opens every field may change; the changes are audited field by field', async () => {
    const { api } = await admin();
    const exam = await api.admin.exams.create(fields());
    const startsAt = at(24 * 60 + 40);
    await api.admin.exams.update({ examId: exam.id, ...fields({ startsAt, title: '改名', notice: '新须知' }) });
    const row = fx.db.select().from(exams).where(eq(exams.id, exam.id)).get()!;
    expect(row).toMatchObject({ title: '改名', notice: '新须知', startsAt });
    const audited = auditRows(fx.db).at(-1)!;
    expect(audited.action).toBe('exam.updated');
    expect(Object.keys((audited.detail as { changed: object }).changed).sort()).toEqual(['notice', 'startsAt', 'title']);
  });

  it('once entry opened: title, retention and a later entry deadline change; start, duration, notice, kind and earlier deadlines are refused, naming the field', async () => {
    const { api, ctx } = await admin();
    const exam = makeExam(fx.db, { opensIn: -10, closesIn: 40, startsIn: 30, durationMinutes: 90 });
    // The whole form, unchanged locked fields included, is not a change.
    const form = {
      examId: exam.id,
      title: '新名字',
      kind: exam.kind,
      entryOpensAt: exam.entryOpensAt,
      startsAt: exam.startsAt,
      durationMinutes: 90,
      notice: exam.notice,
      retentionDays: 180,
      entryClosesAt: at(60),
    };
    await api.admin.exams.update(form);
    expect(fx.db.select().from(exams).where(eq(exams.id, exam.id)).get()).toMatchObject({
      title: '新名字',
      retentionDays: 180,
      entryClosesAt: form.entryClosesAt,
    });

    const startsAt = await http(ctx, 'admin.exams.update', { examId: exam.id, startsAt: at(45) });
    expect(startsAt.status).toBe(409);
    expect(startsAt.error?.message).toBe('考试已开始入场，不能修改开考时间；可以延长入场截止时间。');
    expect((await http(ctx, 'admin.exams.update', { examId: exam.id, startsAt: at(45) }, 'en')).error?.message).toMatch(
      /start time can no longer change; you can extend the entry deadline/,
    );
    for (const [patch, key] of [
      [{ durationMinutes: 100 }, 'adminExams.locked.durationMinutes'],
      [{ notice: '改了' }, 'adminExams.locked.notice'],
      [{ kind: 'interview' }, 'adminExams.locked.kind'],
      [{ entryOpensAt: at(-5) }, 'adminExams.locked.entryOpensAt'],
      [{ entryClosesAt: at(50) }, 'adminExams.locked.entryClosesAtEarlier'],
    ] as const) {
      const res = await http(ctx, 'admin.exams.update', { examId: exam.id, ...patch });
      expect(res.error?.data.appCode, key).toBe(key);
    }
    // Extended, but never past the end (start + duration).
    expect((await http(ctx, 'admin.exams.update', { examId: exam.id, entryClosesAt: at(30 + 91) })).error?.data.appCode).toBe('adminExams.closesBeforeEnd');
    const byId = await api.admin.exams.byId({ examId: exam.id });
    expect(byId.underWay).toBe(true);
    expect(byId.lockedFields.sort()).toEqual(['durationMinutes', 'entryOpensAt', 'kind', 'notice', 'startsAt']);
  });

  it('an archived exam refuses every change until unarchived', async () => {
    const { api } = await admin();
    const exam = await api.admin.exams.create(fields());
    await api.admin.exams.archive({ examId: exam.id });
    for (const call of [
      api.admin.exams.update({ examId: exam.id, title: 'x' }),
      api.admin.exams.archive({ examId: exam.id }),
      api.admin.exams.sheets.create({ examId: exam.id, title: 't', body: '', questions: [] }),
      api.admin.exams.attachments.upload({ examId: exam.id, fileName: 'a.pdf', purpose: 'notice', contentBase64: PDF.toString('base64') }),
      api.admin.exams.presets.add({ examId: exam.id, text: '请坐正' }),
    ]) {
      const err = await trpcRefusal(call);
      expect(err.code).toBe('CONFLICT');
      expect(err.message).toBe('admin.examArchived');
    }
    await api.admin.exams.unarchive({ examId: exam.id });
    await api.admin.exams.update({ examId: exam.id, title: 'x' });
    expect((await trpcRefusal(api.admin.exams.unarchive({ examId: exam.id }))).message).toBe('adminExams.notArchived');
    expect(auditRows(fx.db).map((r) => r.action)).toEqual(['exam.created', 'exam.archived', 'exam.unarchived', 'exam.updated']);
  });

  it('a running exam cannot be archived; a written exam with questions cannot become an interview', async () => {
    const { api } = await admin();
    const running = makeExam(fx.db, { opensIn: -10 });
    expect((await trpcRefusal(api.admin.exams.archive({ examId: running.id }))).message).toBe('adminExams.archiveWhileRunning');
    const exam = await api.admin.exams.create(fields());
    await api.admin.exams.sheets.create({ examId: exam.id, title: '第一部分', body: '', questions: [choice()] });
    expect((await trpcRefusal(api.admin.exams.update({ examId: exam.id, kind: 'interview' }))).message).toBe('adminExams.interviewHasQuestions');
  });
});

describe('admin.exams.delete', () => {
  it('an exam without history is deleted with its rooms, registrations and sheets, in one audited transaction', async () => {
    const { api } = await admin();
    const exam = await api.admin.exams.create(fields());
    const room = createRoom({ db: fx.db, examId: exam.id, name: '第一考场' });
    const cand = await makeCandidate(fx.db);
    registerCandidate({ db: fx.db, examId: exam.id, roomId: room.id, candidateId: cand.id, seat: 1 });
    await api.admin.exams.sheets.create({ examId: exam.id, title: '第一部分', body: '', questions: [] });

    await api.admin.exams.delete({ examId: exam.id });
    expect(fx.db.select().from(exams).all()).toHaveLength(0);
    expect(fx.db.select().from(examRooms).all()).toHaveLength(0);
    expect(fx.db.select().from(registrations).all()).toHaveLength(0);
    expect(fx.db.select().from(questionSheets).all()).toHaveLength(0);
    const row = auditRows(fx.db).at(-1)!;
    expect(row).toMatchObject({ action: 'exam.deleted', examId: null, detail: { examId: exam.id, rooms: 1, registrations: 1 } });
  });

  it('an exam with history is refused with "archive it instead", in both languages; byId says what history there is', async () => {
    const { api, ctx } = await admin();
    const { exam, candidates } = await makeRoomScenario(fx.db, { exam: { opensIn: 60, closesIn: 120, startsIn: 90 } });
    const reg = fx.db.select().from(registrations).where(eq(registrations.candidateId, candidates[0]!.id)).get()!;
    fx.db.insert(answers).values({ registrationId: reg.id, questionId: 'q1', value: 'A', revision: 1, savedAt: new Date() }).run();

    const zh = await http(ctx, 'admin.exams.delete', { examId: exam.id });
    expect(zh.status).toBe(409);
    expect(zh.error?.message).toMatch(/不能删除；可以将其归档/);
    expect((await http(ctx, 'admin.exams.delete', { examId: exam.id }, 'en')).error?.message).toMatch(/archive it instead/);
    const byId = await api.admin.exams.byId({ examId: exam.id });
    expect(byId.history).toEqual(['accepted', 'answers']);
    expect(byId.canDelete).toBe(false);
    expect(fx.db.select().from(exams).all()).toHaveLength(1);
    await api.admin.exams.archive({ examId: exam.id });
  });
});

describe('admin.exams.sheets', () => {
  async function writtenExam() {
    const a = await admin();
    const exam = await a.api.admin.exams.create(fields());
    return { ...a, exam };
  }

  it('sheets are created in order, edited, moved and deleted with positions kept 1..n, each change audited', async () => {
    const { api, exam } = await writtenExam();
    const e = { examId: exam.id };
    const a = await api.admin.exams.sheets.create({ ...e, title: 'A', body: '说明', questions: [choice()] });
    const b = await api.admin.exams.sheets.create({ ...e, title: 'B', body: '', questions: [{ id: 'q2', kind: 'text', prompt: '简述', points: 10 }] });
    const c = await api.admin.exams.sheets.create({ ...e, title: 'C', body: '', questions: [] });
    const order = async () => (await api.admin.exams.sheets.list(e)).map((s) => `${s.position}${s.title}`);
    expect(await order()).toEqual(['1A', '2B', '3C']);

    await api.admin.exams.sheets.move({ ...e, sheetId: c.id, direction: 'up' });
    expect(await order()).toEqual(['1A', '2C', '3B']);
    await api.admin.exams.sheets.move({ ...e, sheetId: a.id, direction: 'up' });
    expect(await order()).toEqual(['1A', '2C', '3B']);
    await api.admin.exams.sheets.update({ ...e, sheetId: b.id, title: 'B2', body: '', questions: [{ id: 'q2', kind: 'text', prompt: '简述理由' }] });
    await api.admin.exams.sheets.delete({ ...e, sheetId: a.id });
    expect(await order()).toEqual(['1C', '2B2']);
    expect(
      auditRows(fx.db)
        .map((r) => r.action)
        .slice(1),
    ).toEqual(['sheet.created', 'sheet.created', 'sheet.created', 'sheet.moved', 'sheet.updated', 'sheet.deleted']);
    // Another exam's sheet is not found through this exam.
    const other = await api.admin.exams.create(fields());
    expect((await trpcRefusal(api.admin.exams.sheets.delete({ examId: other.id, sheetId: b.id }))).code).toBe('NOT_FOUND');
  });

  it('questions are validated: unique ids across sheets, options, keys among them, free text without a key', async () => {
    const { api, ctx, exam } = await writtenExam();
    await api.admin.exams.sheets.create({ examId: exam.id, title: 'A', body: '', questions: [choice()] });
    const bad: [Question[], string][] = [
      [[choice()], 'adminExams.duplicateQuestionId'],
      [[choice({ id: 'q2' }), choice({ id: 'q2' })], 'adminExams.duplicateQuestionId'],
      [[choice({ id: 'q2', options: ['只有一个'], answer: '只有一个' })], 'adminExams.optionsTooFew'],
      [[choice({ id: 'q2', options: ['a', ' '], answer: 'a' })], 'adminExams.optionEmpty'],
      [[choice({ id: 'q2', options: ['a', 'a'], answer: 'a' })], 'adminExams.optionsDuplicate'],
      [[choice({ id: 'q2', answer: undefined })], 'adminExams.keyMissing'],
      [[choice({ id: 'q2', answer: '4' })], 'adminExams.keyNotOption'],
      [[choice({ id: 'q2', kind: 'multiple', answer: [] })], 'adminExams.keyMissing'],
      [[choice({ id: 'q2', kind: 'multiple', answer: ['1', '9'] })], 'adminExams.keyNotOption'],
      [[{ id: 'q2', kind: 'text', prompt: '简述', answer: '标准' }], 'adminExams.textNoKey'],
    ];
    for (const [questions, key] of bad) {
      const res = await http(ctx, 'admin.exams.sheets.create', { examId: exam.id, title: 'B', body: '', questions });
      expect(res.error?.data.appCode, JSON.stringify(questions)).toBe(key);
    }
    const en = await http(ctx, 'admin.exams.sheets.create', { examId: exam.id, title: 'B', body: '', questions: [choice({ id: 'q9', answer: '4' })] }, 'en');
    expect(en.error?.message).toBe('The answer key of choice question q9 must be among its options.');
    const zh = await http(ctx, 'admin.exams.sheets.create', { examId: exam.id, title: 'B', body: '', questions: [choice({ id: 'q9', answer: '4' })] });
    expect(zh.error?.message).toBe('选择题 q9 的标准答案必须是它的选项之一。');
    // A multiple key is kept in option order.
    const ok = await api.admin.exams.sheets.create({
      examId: exam.id,
      title: 'B',
      body: '',
      questions: [choice({ id: 'q2', kind: 'multiple', answer: ['3', '1'] })],
    });
    expect(ok.questions[0]!.answer).toEqual(['1', '3']);
    expect((await api.admin.exams.sheets.list({ examId: exam.id })).length).toBe(2);
  });

  it('an interview has material only; sheet images must be this exam’s sheet attachments', async () => {
    const { api } = await admin();
    const interview = await api.admin.exams.create(fields({ kind: 'interview' }));
    expect((await trpcRefusal(api.admin.exams.sheets.create({ examId: interview.id, title: 'A', body: '', questions: [choice()] }))).message).toBe(
      'adminExams.interviewNoQuestions',
    );
    const img = await api.admin.exams.attachments.upload({
      examId: interview.id,
      fileName: '图1.png',
      purpose: 'sheet',
      contentBase64: PNG.toString('base64'),
    });
    const notice = await api.admin.exams.attachments.upload({
      examId: interview.id,
      fileName: '须知.pdf',
      purpose: 'notice',
      contentBase64: PDF.toString('base64'),
    });
    const sheet = await api.admin.exams.sheets.create({
      examId: interview.id,
      title: '材料',
      body: `请阅读：\n![图一](/api/attachments/${img.id})\n回答问题。`,
      questions: [],
    });
    expect(sheet.body).toContain(`/api/attachments/${img.id}`);
    expect(
      (await trpcRefusal(api.admin.exams.sheets.create({ examId: interview.id, title: 'B', body: `![x](/api/attachments/${notice.id})`, questions: [] })))
        .message,
    ).toBe('adminExams.imageNotFound');
    // An image in use cannot be deleted.
    expect((await trpcRefusal(api.admin.exams.attachments.delete({ examId: interview.id, attachmentId: img.id }))).message).toBe('adminExams.imageInUse');
  });

  it('sheets are frozen from the start time', async () => {
    const { api } = await admin();
    const exam = makeExam(fx.db, { opensIn: -30, closesIn: 10, startsIn: -1 });
    const sheet = fx.db.insert(questionSheets).values({ examId: exam.id, position: 1, title: 'A' }).returning().get();
    for (const call of [
      api.admin.exams.sheets.create({ examId: exam.id, title: 'B', body: '', questions: [] }),
      api.admin.exams.sheets.update({ examId: exam.id, sheetId: sheet.id, title: 'B', body: '', questions: [] }),
      api.admin.exams.sheets.delete({ examId: exam.id, sheetId: sheet.id }),
      api.admin.exams.sheets.move({ examId: exam.id, sheetId: sheet.id, direction: 'down' }),
      api.admin.exams.attachments.upload({ examId: exam.id, fileName: 'a.png', purpose: 'sheet', contentBase64: PNG.toString('base64') }),
    ]) {
      const err = await trpcRefusal(call);
      expect(err.code).toBe('CONFLICT');
      expect(err.message).toBe('adminExams.sheetsLocked');
    }
  });

  it('answer keys stay out of the candidate’s question material; sheet images are hidden from candidates before the start', async () => {
    const { api } = await admin();
    const { exam, candidates } = await makeRoomScenario(fx.db, { exam: { opensIn: 60, closesIn: 120, startsIn: 90 } });
    const img = await api.admin.exams.attachments.upload({ examId: exam.id, fileName: 'fig.png', purpose: 'sheet', contentBase64: PNG.toString('base64') });
    await api.admin.exams.sheets.create({
      examId: exam.id,
      title: 'A',
      body: `![图](/api/attachments/${img.id})`,
      questions: [choice(), choice({ id: 'q2', kind: 'multiple', answer: ['1', '2'] })],
    });
    const cand = asCaller(candidates[0]!);

    expect(attachmentFor({ db: fx.db, caller: cand, attachmentId: img.id })).toBeNull();
    const started = new Date(exam.startsAt.getTime() + 1);
    expect(attachmentFor({ db: fx.db, caller: cand, attachmentId: img.id, now: started })?.fileName).toBe('fig.png');

    fx.db.update(registrations).set({ enteredAt: started }).where(eq(registrations.candidateId, cand.id)).run();
    const material = questionMaterial({ db: fx.db, candidateId: cand.id, examId: exam.id, now: started });
    expect(material.sheets[0]!.questions).toHaveLength(2);
    for (const q of material.sheets[0]!.questions) expect(q).not.toHaveProperty('answer');
    // Staff see the keys.
    expect((await api.admin.exams.sheets.list({ examId: exam.id }))[0]!.questions.map((q) => q.answer)).toEqual(['2', ['1', '2']]);
  });
});

describe('admin.exams.attachments', () => {
  it('uploads notice files of allowed types, lists and deletes them, each audited', async () => {
    const { api, ctx } = await admin();
    const exam = await api.admin.exams.create(fields());
    const e = { examId: exam.id };
    const file = await api.admin.exams.attachments.upload({
      ...e,
      fileName: 'C:\\fakepath\\考生须知.pdf',
      purpose: 'notice',
      contentBase64: PDF.toString('base64'),
    });
    expect(file).toMatchObject({ fileName: '考生须知.pdf', contentType: 'application/pdf', purpose: 'notice', size: PDF.length });
    await api.admin.exams.attachments.upload({ ...e, fileName: 'readme.txt', purpose: 'notice', contentBase64: Buffer.from('说明').toString('base64') });
    expect((await api.admin.exams.attachments.list(e)).map((f) => f.fileName)).toEqual(['考生须知.pdf', 'readme.txt']);

    const exe = await http(ctx, 'admin.exams.attachments.upload', { ...e, fileName: 'virus.exe', purpose: 'notice', contentBase64: 'TVo=' });
    expect(exe.error?.message).toBe('不支持该文件类型，允许的类型：pdf, png, jpg, jpeg, docx, xlsx, txt。');
    const fake = await http(
      ctx,
      'admin.exams.attachments.upload',
      { ...e, fileName: 'x.pdf', purpose: 'notice', contentBase64: Buffer.from('MZ').toString('base64') },
      'en',
    );
    expect(fake.error?.message).toBe("The file's content does not match its .pdf extension.");
    expect(
      (await http(ctx, 'admin.exams.attachments.upload', { ...e, fileName: 'doc.pdf', purpose: 'sheet', contentBase64: PDF.toString('base64') })).error?.data
        .appCode,
    ).toBe('adminExams.fileType');
    const big = Buffer.concat([PDF, Buffer.alloc(10 * 1024 * 1024)]);
    expect(
      (await http(ctx, 'admin.exams.attachments.upload', { ...e, fileName: 'big.pdf', purpose: 'notice', contentBase64: big.toString('base64') })).status,
    ).toBe(400);

    await api.admin.exams.attachments.delete({ ...e, attachmentId: file.id });
    expect((await api.admin.exams.attachments.list(e)).map((f) => f.fileName)).toEqual(['readme.txt']);
    expect(
      auditRows(fx.db)
        .map((r) => r.action)
        .slice(1),
    ).toEqual(['attachment.added', 'attachment.added', 'attachment.deleted']);
  });

  it('notice files cannot be added or removed once entry opened', async () => {
    const { api } = await admin();
    const exam = makeExam(fx.db, { opensIn: -1 });
    const row = fx.db.insert(examAttachments).values({ examId: exam.id, fileName: 'a.pdf', contentType: 'application/pdf', content: PDF }).returning().get();
    expect(
      (await trpcRefusal(api.admin.exams.attachments.upload({ examId: exam.id, fileName: 'b.pdf', purpose: 'notice', contentBase64: PDF.toString('base64') })))
        .message,
    ).toBe('adminExams.attachmentsLocked');
    expect((await trpcRefusal(api.admin.exams.attachments.delete({ examId: exam.id, attachmentId: row.id }))).message).toBe('adminExams.attachmentsLocked');
  });
});

describe('admin.exams.presets', () => {
  it('an admin lists, adds and removes an exam’s preset warnings (the invigilators’ list), audited', async () => {
    const { api } = await admin();
    const exam = makeExam(fx.db, { opensIn: -1 });
    const e = { examId: exam.id };
    const p = await api.admin.exams.presets.add({ ...e, text: '请保持正脸在画面中' });
    await api.admin.exams.presets.add({ ...e, text: '请勿离开座位' });
    expect((await api.admin.exams.presets.list(e)).map((x) => x.text)).toEqual(['请保持正脸在画面中', '请勿离开座位']);
    await api.admin.exams.presets.remove({ ...e, presetId: p.id });
    expect((await api.admin.exams.presets.list(e)).map((x) => x.text)).toEqual(['请勿离开座位']);
    expect(auditRows(fx.db).map((r) => r.action)).toEqual(['preset.added', 'preset.added', 'preset.removed']);
    const other = makeExam(fx.db);
    expect((await trpcRefusal(api.admin.exams.presets.remove({ examId: other.id, presetId: p.id + 1 }))).code).toBe('NOT_FOUND');
  });
});
