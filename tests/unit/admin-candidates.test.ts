import fs from 'node:fs';
import path from 'node:path';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { registrations, users, type User } from '@/db/schema';
import { generatePassword, login } from '@/server/services/auth';
import { candidatesCsv } from '@/server/services/admin/candidates';
import { enterExam } from '@/server/services/exams';
import { createRoom } from '@/server/services/setup';
import { makeCandidate, makeExam, makeIdNumber, makeRoomScenario, makeStaff } from '../fixtures/factories';
import { generateRows, toImportCsv } from '../fixtures/import/generate';
import { useTestDb } from '../helpers/unit-db';
import { auditRows, callerFor, httpCall, makeContext, trpcRefusal, withLocale } from '../helpers/unit-support';

const t = useTestDb();
const b64 = (buf: Buffer) => buf.toString('base64');

async function admin() {
  const user = await makeStaff(t.db, 'admin');
  const ctx = makeContext(t.db, user);
  return { user, ctx, api: callerFor(ctx) };
}

/** A future exam with `n` candidates imported through the router (unplaced). */
async function importedExam(n: number, series = 20) {
  const a = await admin();
  const exam = makeExam(t.db, { opensIn: 24 * 60, closesIn: 25 * 60, startsIn: 24 * 60 + 30 });
  const rows = generateRows(n, series);
  const p = await a.api.admin.candidates.previewImport({ examId: exam.id, fileName: 'c.csv', contentBase64: b64(toImportCsv(rows)) });
  await a.api.admin.candidates.commitImport({ examId: exam.id, importId: p.importId });
  return { ...a, exam, rows };
}

describe('admin.candidates: who may call', () => {
  it('candidates, invigilators and support agents are refused every procedure (FORBIDDEN); no one signed in is UNAUTHORIZED', async () => {
    const exam = makeExam(t.db);
    const c = await makeCandidate(t.db);
    const who: User[] = [c, await makeStaff(t.db, 'invigilator'), await makeStaff(t.db, 'support')];
    for (const user of who) {
      const api = callerFor(makeContext(t.db, user));
      const calls: Promise<unknown>[] = [
        api.admin.candidates.previewImport({ examId: exam.id, fileName: 'a.csv', contentBase64: b64(toImportCsv(generateRows(1, 21))) }),
        api.admin.candidates.commitImport({ examId: exam.id, importId: 1 }),
        api.admin.candidates.list({ examId: exam.id }),
        api.admin.candidates.update({ candidateId: c.id, name: 'x', idNumber: makeIdNumber() }),
        api.admin.candidates.setPasswordLogin({ candidateId: c.id, enabled: true }),
        api.admin.candidates.setPassword({ candidateId: c.id }),
        api.admin.candidates.unregister({ examId: exam.id, candidateId: c.id }),
      ];
      for (const call of calls) expect((await trpcRefusal(call)).code, user.role).toBe('FORBIDDEN');
    }
    expect((await trpcRefusal(callerFor(makeContext(t.db, null)).admin.candidates.list({ examId: exam.id }))).code).toBe('UNAUTHORIZED');
    expect(auditRows(t.db)).toEqual([]);
  });
});

describe('admin.candidates: import through the router', () => {
  it('an admin previews the bad file and the commit is refused with a translated message in both languages', async () => {
    const { api, ctx } = await admin();
    const exam = makeExam(t.db, { opensIn: 60 });
    const p = await api.admin.candidates.previewImport({
      examId: exam.id,
      fileName: 'bad.csv',
      contentBase64: b64(fs.readFileSync(path.join(process.cwd(), 'tests/fixtures/import/candidates-bad.csv'))),
    });
    expect(p.counts).toEqual({ total: 9, valid: 2, withProblems: 7 });
    const zh = await httpCall({ ctx, path: 'admin.candidates.commitImport', input: { examId: exam.id, importId: p.importId } });
    expect(zh.status).toBe(409);
    expect(zh.body.error.json.message).toBe('文件还有 8 处问题，修正后才能导入');
    const en = await httpCall({ ctx: withLocale(ctx, 'en'), path: 'admin.candidates.commitImport', input: { examId: exam.id, importId: p.importId } });
    expect(en.body.error.json.message).toBe('The file still has 8 problems: fix them before importing');
  });

  it('an old .xls is refused as BAD_REQUEST with a message saying what to do', async () => {
    const { ctx } = await admin();
    const exam = makeExam(t.db, { opensIn: 60 });
    const input = { examId: exam.id, fileName: 'list.xls', contentBase64: b64(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0, 0])) };
    const zh = await httpCall({ ctx, path: 'admin.candidates.previewImport', input });
    expect(zh.status).toBe(400);
    expect(zh.body.error.json.message).toContain('另存为 .xlsx 或 CSV');
    const en = await httpCall({ ctx: withLocale(ctx, 'en'), path: 'admin.candidates.previewImport', input });
    expect(en.body.error.json.message).toContain('save as .xlsx or CSV');
  });
});

describe('admin.candidates.list', () => {
  it('pages, searches by name, ID number, phone and e-mail, and filters placed/unplaced', async () => {
    const { api, exam, rows } = await importedExam(30);
    const room = createRoom({ db: t.db, examId: exam.id, name: '一号考场' });
    const first = t.db.select().from(users).where(eq(users.idNumber, rows[0]!.idNumber)).get()!;
    t.db.update(registrations).set({ roomId: room.id, seat: 7 }).where(eq(registrations.candidateId, first.id)).run();

    const page1 = await api.admin.candidates.list({ examId: exam.id, page: 1, pageSize: 20 });
    expect(page1.total).toBe(30);
    expect(page1.rows).toHaveLength(20);
    expect(page1.counts).toEqual({ all: 30, placed: 1, unplaced: 29 });
    expect(page1.rows[0]).toMatchObject({
      name: rows[0]!.name,
      roomName: '一号考场',
      seat: 7,
      passwordLoginEnabled: false,
      hasPassword: false,
      enteredAt: null,
    });
    expect((await api.admin.candidates.list({ examId: exam.id, page: 2, pageSize: 20 })).rows).toHaveLength(10);

    expect((await api.admin.candidates.list({ examId: exam.id, placed: 'placed' })).rows.map((r) => r.candidateId)).toEqual([first.id]);
    expect((await api.admin.candidates.list({ examId: exam.id, placed: 'unplaced' })).total).toBe(29);
    expect((await api.admin.candidates.list({ examId: exam.id, q: rows[3]!.idNumber.slice(-8).toLowerCase() })).rows.map((r) => r.idNumber)).toEqual([
      rows[3]!.idNumber,
    ]);
    expect((await api.admin.candidates.list({ examId: exam.id, q: rows[4]!.phone })).rows.map((r) => r.name)).toEqual([rows[4]!.name]);
    expect((await api.admin.candidates.list({ examId: exam.id, q: rows[5]!.email })).total).toBe(1);
    expect((await api.admin.candidates.list({ examId: exam.id, q: '%' })).total).toBe(0);
    expect((await api.admin.candidates.list({ examId: exam.id, q: rows[6]!.name })).rows.some((r) => r.name === rows[6]!.name)).toBe(true);
  });
});

describe('admin.candidates: edit, password login, password, unregister', () => {
  it('an admin edits a candidate; formats are checked like the import and the ID number stays unique', async () => {
    const { api, ctx, user, exam, rows } = await importedExam(2);
    const c = t.db.select().from(users).where(eq(users.idNumber, rows[0]!.idNumber)).get()!;
    const newId = makeIdNumber();
    const res = await api.admin.candidates.update({
      candidateId: c.id,
      examId: exam.id,
      name: ' 新名字 ',
      idNumber: newId.toLowerCase(),
      phone: '13800138000',
      email: '',
    });
    expect(res.changed).toEqual(['name', 'idNumber', 'phone', 'email']);
    expect(t.db.select().from(users).where(eq(users.id, c.id)).get()).toMatchObject({ name: '新名字', idNumber: newId, phone: '13800138000', email: null });
    expect(auditRows(t.db).at(-1)).toMatchObject({
      action: 'candidate.updated',
      actorId: user.id,
      candidateId: c.id,
      detail: { fields: ['name', 'idNumber', 'phone', 'email'] },
    });

    const bad = { candidateId: c.id, name: '新名字', idNumber: '110105199903202480' };
    const zh = await httpCall({ ctx, path: 'admin.candidates.update', input: bad });
    expect(zh.status).toBe(400);
    expect(zh.body.error.json.message).toBe('身份证号校验位不对（按前 17 位计算应为 4）');
    const en = await httpCall({ ctx: withLocale(ctx, 'en'), path: 'admin.candidates.update', input: bad });
    expect(en.body.error.json.message).toBe('Wrong ID number check character (the first 17 digits give 4)');

    const clash = await trpcRefusal(api.admin.candidates.update({ candidateId: c.id, name: '新名字', idNumber: rows[1]!.idNumber }));
    expect(clash.code).toBe('CONFLICT');
    expect(clash.message).toBe('adminCandidates.idTaken');
    const staff = await makeStaff(t.db, 'support');
    expect((await trpcRefusal(api.admin.candidates.update({ candidateId: staff.id, name: 'x', idNumber: makeIdNumber() }))).code).toBe('NOT_FOUND');
  });

  it('an admin switches password login on and off, each audited; repeating a state writes nothing', async () => {
    const { api, exam, rows } = await importedExam(1);
    const c = t.db.select().from(users).where(eq(users.idNumber, rows[0]!.idNumber)).get()!;
    await api.admin.candidates.setPasswordLogin({ candidateId: c.id, enabled: true, examId: exam.id });
    await api.admin.candidates.setPasswordLogin({ candidateId: c.id, enabled: true, examId: exam.id });
    await api.admin.candidates.setPasswordLogin({ candidateId: c.id, enabled: false, examId: exam.id });
    expect(
      auditRows(t.db)
        .filter((r) => r.candidateId === c.id)
        .map((r) => r.action),
    ).toEqual(['candidate.password_login_enabled', 'candidate.password_login_disabled']);
    expect(t.db.select().from(users).where(eq(users.id, c.id)).get()!.passwordLoginEnabled).toBe(false);
  });

  it('a generated password is returned once, readable, lets the imported candidate log in, and is never audited', async () => {
    const { api, ctx, rows } = await importedExam(1);
    const c = t.db.select().from(users).where(eq(users.idNumber, rows[0]!.idNumber)).get()!;
    const res = await api.admin.candidates.setPassword({ candidateId: c.id });
    expect(res.generatedPassword).toMatch(/^[a-km-zA-HJ-NP-Z2-9]{10}$/);
    const session = await login({ db: t.db, kind: 'candidate', identifier: c.idNumber!, password: res.generatedPassword! });
    expect(session.user.id).toBe(c.id);
    const row = auditRows(t.db).at(-1)!;
    expect(row).toMatchObject({ action: 'candidate.password_set', candidateId: c.id, detail: { generated: true } });
    expect(JSON.stringify(auditRows(t.db))).not.toContain(res.generatedPassword!);

    const own = await api.admin.candidates.setPassword({ candidateId: c.id, password: 'my own pass 8' });
    expect(own.generatedPassword).toBeNull();
    const short = await httpCall({ ctx, path: 'admin.candidates.setPassword', input: { candidateId: c.id, password: 'short' } });
    expect(short.body.error.json.message).toBe('密码至少需要 8 位');
    for (let i = 0; i < 50; i++) expect(generatePassword()).not.toMatch(/[0O1lI]/);
  });

  it('a registration without history is removed; one with history is refused (CONFLICT)', async () => {
    const { user, api, ctx } = await admin();
    const s = await makeRoomScenario(t.db, { candidates: 2, exam: { opensIn: -10, closesIn: 60, startsIn: 30 } });
    await enterExam({ db: t.db, candidateId: s.candidates[0]!.id, examId: s.exam.id });
    const err = await httpCall({ ctx, path: 'admin.candidates.unregister', input: { examId: s.exam.id, candidateId: s.candidates[0]!.id } });
    expect(err.status).toBe(409);
    expect(err.body.error.json.message).toContain('不能移除报名');
    await api.admin.candidates.unregister({ examId: s.exam.id, candidateId: s.candidates[1]!.id });
    expect(t.db.select().from(registrations).where(eq(registrations.examId, s.exam.id)).all()).toHaveLength(1);
    expect(auditRows(t.db).at(-1)).toMatchObject({ action: 'candidate.unregistered', actorId: user.id, candidateId: s.candidates[1]!.id, roomId: s.room.id });
    expect((await trpcRefusal(api.admin.candidates.unregister({ examId: s.exam.id, candidateId: s.candidates[1]!.id }))).code).toBe('NOT_FOUND');
  });

  it('the CSV export lists every candidate with room, seat and password-login state', async () => {
    const s = await makeRoomScenario(t.db, { candidates: 2 });
    const { csv, fileName } = candidatesCsv({ db: t.db, examId: s.exam.id, locale: 'zh-CN' });
    expect(fileName).toBe(`考生名单-${s.exam.title}.csv`);
    const lines = csv
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('姓名,身份证号,手机号,邮箱,考场,座位号,密码登录,入场时间,结束时间');
    expect(candidatesCsv({ db: t.db, examId: s.exam.id, locale: 'en' }).csv).toContain('Name,ID number,Phone');
    expect(lines[1]).toContain(`${s.candidates[0]!.name},${s.candidates[0]!.idNumber},`);
    expect(lines[1]).toContain(`${s.room.name},1,已开启`);
  });
});
