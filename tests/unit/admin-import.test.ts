import fs from 'node:fs';
import path from 'node:path';
import ExcelJS from 'exceljs';
import { and, count, eq, inArray } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { auditLog, candidateImports, examRooms, exams, registrations, users, type ImportProblem } from '@/db/schema';
import { AppError } from '@/server/errors';
import { commitImport, importCandidates, previewImport } from '@/server/services/admin/import';
import { idNumberProblems, normaliseIdNumber } from '@/server/services/admin/id-number';
import { createRoom, createUser, registerCandidate } from '@/server/services/setup';
import { makeCandidate, makeExam, makeIdNumber, makeRoomScenario, makeStaff } from '../fixtures/factories';
import { generateRows, seriesIdNumber, toImportCsv } from '../fixtures/import/generate';
import { useTestDb } from '../helpers/unit-db';

const t = useTestDb();
// Copies of ../shared/data (the project's synthetic candidates), kept in the repo for CI.
const DATA = path.join(process.cwd(), 'tests/fixtures/import');
const file = (name: string) => fs.readFileSync(path.join(DATA, name));

async function setup() {
  const admin = await makeStaff(t.db, 'admin');
  const exam = makeExam(t.db, { opensIn: 24 * 60, closesIn: 25 * 60, startsIn: 24 * 60 + 30 });
  return { admin, exam };
}

const preview = (examId: number, actorId: number, fileName: string, content: Buffer) => previewImport({ db: t.db, examId, actorId, fileName, content });

const byLine = (problems: ImportProblem[]) => {
  const out: Record<number, string[]> = {};
  for (const p of problems) (out[p.line] ??= []).push(p.key);
  return out;
};

async function refusal(fn: () => unknown): Promise<AppError> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof AppError) return e;
    throw e;
  }
  throw new Error('expected a refusal');
}

const countUsers = () => t.db.select({ n: count() }).from(users).get()!.n;
const countRegs = (examId: number) => t.db.select({ n: count() }).from(registrations).where(eq(registrations.examId, examId)).get()!.n;

describe('ID numbers (GB 11643)', () => {
  it('accepts a valid number and reports a wrong check character with the expected one', () => {
    expect(idNumberProblems('330106199301171868')).toEqual([]);
    expect(idNumberProblems('110105199903202480')).toEqual([{ key: 'idCheck', params: { expected: '4' } }]);
    expect(idNumberProblems('11010119990230123X').map((p) => p.key)).toContain('idBirthDate');
    expect(idNumberProblems('12345')).toEqual([{ key: 'idFormat' }]);
  });

  it('normalises full-width digits, spaces and a lower-case x', () => {
    expect(normaliseIdNumber(' １１０１０５１９９９０３２０２４８４ ')).toBe('110105199903202484');
    expect(normaliseIdNumber('11010519990320248x')).toBe('11010519990320248X');
  });
});

describe('admin imports candidates: preview', () => {
  it('names every bad row of candidates-bad.csv with its line and reason, passing only rows 1 and 9', async () => {
    const { admin, exam } = await setup();
    const res = await preview(exam.id, admin.id, 'candidates-bad.csv', file('candidates-bad.csv'));
    expect(res.encoding).toBe('utf-8');
    expect(res.counts).toEqual({ total: 9, valid: 2, withProblems: 7 });
    // File lines: the header is line 1, so data row n is line n + 1.
    expect(res.sample.map((r) => [r.line, r.name])).toEqual([
      [2, '李辉凯'],
      [10, '陈建'],
    ]);
    expect(byLine(res.problems)).toEqual({
      3: ['idCheck'],
      4: ['duplicateInFile'],
      5: ['missingName'],
      6: ['idBirthDate', 'idCheck'],
      7: ['badPhone'],
      8: ['badEmail'],
      9: ['tooFewColumns'],
    });
    const p = (line: number) => res.problems.find((x) => x.line === line)!;
    expect(p(3)).toMatchObject({ column: 'idNumber', params: { expected: '4' } });
    expect(p(4)).toMatchObject({ column: 'idNumber', params: { firstLine: 2 } });
    expect(p(5).column).toBe('name');
    expect(p(6)).toMatchObject({ column: 'idNumber', params: { date: '19990230' } });
    expect(p(7).column).toBe('phone');
    expect(p(8).column).toBe('email');
    expect(p(9)).toMatchObject({ column: null, params: { expected: 4, actual: 2 } });
    expect(res.summary.find((s) => s.key === 'idCheck')?.count).toBe(2);

    // The preview is stored, nothing else is written.
    const stored = t.db.select().from(candidateImports).where(eq(candidateImports.id, res.importId)).get()!;
    expect(stored.rows).toHaveLength(2);
    expect(stored.problems).toHaveLength(8);
    expect(stored.committedAt).toBeNull();
    expect(countRegs(exam.id)).toBe(0);
  });

  it('reads the GBK file Excel saves: 200 valid rows with the names decoded', async () => {
    const { admin, exam } = await setup();
    const res = await preview(exam.id, admin.id, 'candidates-500.gbk.csv', file('candidates-500.gbk.csv'));
    expect(res.encoding).toBe('gb18030');
    expect(res.counts).toEqual({ total: 200, valid: 200, withProblems: 0 });
    expect(res.problems).toEqual([]);
    expect(res.sample[0]).toMatchObject({ line: 2, name: '李辉凯', idNumber: '330106199301171868', phone: '19900000000' });
    expect(res.sample[1]!.name).toBe('刘轩欣');
  });

  it('reads the 500-row UTF-8 file and commits it', async () => {
    const { admin, exam } = await setup();
    const res = await preview(exam.id, admin.id, 'candidates-500.csv', file('candidates-500.csv'));
    expect(res.encoding).toBe('utf-8');
    expect(res.counts).toEqual({ total: 500, valid: 500, withProblems: 0 });
    expect(res.sample).toHaveLength(20);
    const done = commitImport({ db: t.db, examId: exam.id, importId: res.importId, actorId: admin.id });
    expect(done).toMatchObject({ imported: 500, created: 500, reused: 0, placed: 0 });
    expect(countRegs(exam.id)).toBe(500);
    const first = t.db.select().from(users).where(eq(users.idNumber, '330106199301171868')).get()!;
    expect(first).toMatchObject({ role: 'candidate', name: '李辉凯', passwordHash: '', passwordLoginEnabled: false, email: 'candidate0001@example.com' });
    const reg = t.db.select().from(registrations).where(eq(registrations.candidateId, first.id)).get()!;
    expect(reg.roomId).toBeNull();
    expect(reg.seat).toBeNull();
    const a = t.db.select().from(auditLog).where(eq(auditLog.action, 'candidates.imported')).all();
    expect(a).toHaveLength(1);
    expect(a[0]).toMatchObject({ actorId: admin.id, examId: exam.id, detail: { count: 500, importId: res.importId, fileName: 'candidates-500.csv' } });
    expect(t.db.select().from(candidateImports).where(eq(candidateImports.id, res.importId)).get()!.committedAt).toBeInstanceOf(Date);
  });

  it('reads an XLSX with English headers, numeric phone cells, a lower-case x and full-width digits', async () => {
    const { admin, exam } = await setup();
    const room = createRoom({ db: t.db, examId: exam.id, name: '第一考场' });
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('考生');
    ws.addRow(['Name', 'ID Number', 'Phone', 'E-mail', 'Room', 'Seat']);
    const ids = [seriesIdNumber(1, 3), seriesIdNumber(2, 3), seriesIdNumber(3, 3)];
    ws.addRow(['张伟', ids[0], 19912345678, 'zw@example.com', '第一考场', 2]);
    ws.addRow([
      '李娜',
      ids[1]!.replace(/\d/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0)),
      19912345679,
      { text: 'ln@example.com', hyperlink: 'mailto:ln@example.com' },
      '',
      null,
    ]);
    ws.addRow([]);
    ws.addRow(['王芳', ids[2]!.toLowerCase(), '', '', '第一考场', null]);
    const buf = Buffer.from(await wb.xlsx.writeBuffer());
    const res = await preview(exam.id, admin.id, 'list.xlsx', buf);
    expect(res.encoding).toBe('xlsx');
    expect(res.problems).toEqual([]);
    expect(res.columns).toEqual(['name', 'idNumber', 'phone', 'email', 'room', 'seat']);
    expect(res.sample).toEqual([
      { line: 2, name: '张伟', idNumber: ids[0], phone: '19912345678', email: 'zw@example.com', room: '第一考场', seat: 2 },
      { line: 3, name: '李娜', idNumber: ids[1], phone: '19912345679', email: 'ln@example.com', room: null, seat: null },
      // The empty sheet row is skipped; a room without a seat gets the first free seat.
      { line: 5, name: '王芳', idNumber: ids[2], phone: '', email: '', room: '第一考场', seat: 1 },
    ]);
    commitImport({ db: t.db, examId: exam.id, importId: res.importId, actorId: admin.id });
    const placed = t.db.select().from(registrations).where(eq(registrations.roomId, room.id)).all();
    expect(placed.map((r) => r.seat).sort()).toEqual([1, 2]);
  });

  it('names ID numbers Excel stored as numbers (exponent form), in CSV and in XLSX number cells', async () => {
    const { admin, exam } = await setup();
    const csv = await preview(exam.id, admin.id, 'x.csv', Buffer.from('姓名,身份证号\n张三,3.30106E+17\n'));
    expect(csv.problems).toEqual([{ line: 2, column: 'idNumber', key: 'idScientific', params: { value: '3.30106E+17' } }]);
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('s');
    ws.addRow(['姓名', '身份证号']);
    ws.addRow(['李四', 330106199301171868]);
    const xlsx = await preview(exam.id, admin.id, 'x.xlsx', Buffer.from(await wb.xlsx.writeBuffer()));
    expect(xlsx.problems.map((p) => [p.line, p.key])).toEqual([[2, 'idScientific']]);
  });

  it("importCandidates (the seed's entry point) commits a clean file and refuses one with problems", async () => {
    const { admin, exam } = await setup();
    const ok = await importCandidates({ db: t.db, examId: exam.id, actorId: admin.id, fileName: 'seed.csv', content: toImportCsv(generateRows(5, 11)) });
    expect(ok.imported).toBe(5);
    const err = await refusal(() =>
      importCandidates({ db: t.db, examId: exam.id, actorId: admin.id, fileName: 'bad.csv', content: file('candidates-bad.csv') }),
    );
    expect(err.key).toBe('adminCandidates.importHasProblems');
    expect(countRegs(exam.id)).toBe(5);
  });

  it('reports missing required columns as one problem on the header line, and nothing else', async () => {
    const { admin, exam } = await setup();
    const res = await preview(exam.id, admin.id, 'x.csv', Buffer.from('姓名,手机号\n张三,19900000000\n'));
    expect(res.problems).toEqual([{ line: 1, column: null, key: 'missingColumns', params: { columns: 'idNumber' } }]);
    expect(res.counts.valid).toBe(0);
    const none = await preview(exam.id, admin.id, 'y.csv', Buffer.from('\uFEFFfoo,bar\n1,2\n'));
    expect(none.problems).toEqual([{ line: 1, column: null, key: 'missingColumns', params: { columns: 'name,idNumber' } }]);
  });

  it('skips empty lines but keeps counting them, and strips a BOM', async () => {
    const { admin, exam } = await setup();
    const [a, b] = generateRows(2, 4);
    const csv = `\uFEFF姓名,身份证号\r\n${a!.name},${a!.idNumber}\r\n\r\n,\r\n${b!.name},12345\r\n`;
    const res = await preview(exam.id, admin.id, 'x.csv', Buffer.from(csv));
    expect(res.counts).toEqual({ total: 2, valid: 1, withProblems: 1 });
    expect(res.problems).toEqual([{ line: 5, column: 'idNumber', key: 'idFormat' }]);
  });

  it('refuses ID numbers already registered, and existing accounts under another name; reuses a matching account', async () => {
    const { admin, exam } = await setup();
    const room = createRoom({ db: t.db, examId: exam.id, name: 'A' });
    const registered = await makeCandidate(t.db, { name: '已报名' });
    registerCandidate({ db: t.db, examId: exam.id, roomId: room.id, candidateId: registered.id, seat: 1 });
    const other = await makeCandidate(t.db, { name: '原姓名' });
    const same = await makeCandidate(t.db, { name: '同一人' });
    const staff = await makeStaff(t.db, 'invigilator');
    const staffId = makeIdNumber();
    t.db.update(users).set({ idNumber: staffId }).where(eq(users.id, staff.id)).run();
    const csv = [
      '姓名,身份证号',
      `已报名,${registered.idNumber}`,
      `新姓名,${other.idNumber}`,
      `同一人,${same.idNumber!.toLowerCase()}`,
      `某人,${staffId}`,
    ].join('\n');
    const res = await preview(exam.id, admin.id, 'x.csv', Buffer.from(csv));
    expect(res.problems).toEqual([
      { line: 2, column: 'idNumber', key: 'alreadyRegistered' },
      { line: 3, column: 'name', key: 'nameMismatch', params: { existing: '原姓名' } },
      { line: 5, column: 'idNumber', key: 'idNotCandidate' },
    ]);
    expect(res.sample.map((r) => r.line)).toEqual([4]);

    const ok = await preview(exam.id, admin.id, 'ok.csv', Buffer.from(`姓名,身份证号\n同一人,${same.idNumber}\n`));
    const before = countUsers();
    expect(commitImport({ db: t.db, examId: exam.id, importId: ok.importId, actorId: admin.id })).toMatchObject({ imported: 1, created: 0, reused: 1 });
    expect(countUsers()).toBe(before);
    expect(
      t.db
        .select()
        .from(registrations)
        .where(and(eq(registrations.examId, exam.id), eq(registrations.candidateId, same.id)))
        .get(),
    ).toBeDefined();
  });

  it('checks rooms and seats: unknown room, bad/taken/duplicate/over-capacity seats, full rooms', async () => {
    const { admin, exam } = await setup();
    const room = createRoom({ db: t.db, examId: exam.id, name: '一号考场' });
    t.db.update(examRooms).set({ capacity: 3 }).where(eq(examRooms.id, room.id)).run();
    const sitting = await makeCandidate(t.db);
    registerCandidate({ db: t.db, examId: exam.id, roomId: room.id, candidateId: sitting.id, seat: 3 });
    const rows = generateRows(8, 5);
    rows[0]!.room = '一号考场';
    rows[0]!.seat = 1;
    rows[1]!.room = '一号考场';
    rows[1]!.seat = 1; // duplicate of line 2
    rows[2]!.room = '一号考场';
    rows[2]!.seat = 3; // taken
    rows[3]!.room = '一号考场';
    rows[3]!.seat = 9; // beyond capacity
    rows[4]!.room = '二号考场'; // unknown
    rows[5]!.room = '一号考场'; // gets seat 2
    rows[6]!.room = '一号考场'; // nothing left: full
    const csv = toImportCsv(rows).toString('utf8').replace(`,${rows[7]!.email},,`, `,${rows[7]!.email},,x`);
    const res = await preview(exam.id, admin.id, 'rooms.csv', Buffer.from(csv));
    expect(res.problems.map((p) => [p.line, p.column, p.key])).toEqual([
      [3, 'seat', 'duplicateSeat'],
      [4, 'seat', 'seatTaken'],
      [5, 'seat', 'seatBeyondCapacity'],
      [6, 'room', 'unknownRoom'],
      [8, 'room', 'roomFull'],
      [9, 'seat', 'badSeat'],
      [9, 'seat', 'seatWithoutRoom'],
    ]);
    expect(res.sample.map((r) => [r.line, r.room, r.seat])).toEqual([
      [2, '一号考场', 1],
      [7, '一号考场', 2],
    ]);
  });

  it('refuses a file too large, an old .xls and a corrupt xlsx with specific errors', async () => {
    const { admin, exam } = await setup();
    expect((await refusal(() => preview(exam.id, admin.id, 'big.csv', Buffer.alloc(10 * 1024 * 1024 + 1, 0x41)))).key).toBe('adminCandidates.fileTooLarge');
    expect((await refusal(() => preview(exam.id, admin.id, 'old.xls', Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 1, 2])))).key).toBe('adminCandidates.legacyExcel');
    expect((await refusal(() => preview(exam.id, admin.id, 'bad.xlsx', Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3])))).key).toBe(
      'adminCandidates.unreadableFile',
    );
  });
});

describe('admin imports candidates: commit', () => {
  it('refuses a preview with problems, a second commit, another exam and an archived exam', async () => {
    const { admin, exam } = await setup();
    const bad = await preview(exam.id, admin.id, 'bad.csv', file('candidates-bad.csv'));
    expect((await refusal(() => commitImport({ db: t.db, examId: exam.id, importId: bad.importId, actorId: admin.id }))).key).toBe(
      'adminCandidates.importHasProblems',
    );

    const good = await preview(exam.id, admin.id, 'good.csv', toImportCsv(generateRows(3, 6)));
    const other = makeExam(t.db);
    expect((await refusal(() => commitImport({ db: t.db, examId: other.id, importId: good.importId, actorId: admin.id }))).key).toBe(
      'adminCandidates.importNotFound',
    );
    t.db.update(exams).set({ archivedAt: new Date() }).where(eq(exams.id, exam.id)).run();
    expect((await refusal(() => commitImport({ db: t.db, examId: exam.id, importId: good.importId, actorId: admin.id }))).key).toBe('admin.examArchived');
    t.db.update(exams).set({ archivedAt: null }).where(eq(exams.id, exam.id)).run();
    commitImport({ db: t.db, examId: exam.id, importId: good.importId, actorId: admin.id });
    const again = await refusal(() => commitImport({ db: t.db, examId: exam.id, importId: good.importId, actorId: admin.id }));
    expect(again).toMatchObject({ code: 'CONFLICT', key: 'adminCandidates.importCommitted' });
    expect(countRegs(exam.id)).toBe(3);
  });

  it('writes nothing when someone registered one of the ID numbers between preview and commit', async () => {
    const { admin, exam } = await setup();
    const rows = generateRows(50, 7);
    const res = await preview(exam.id, admin.id, 'fifty.csv', toImportCsv(rows));
    expect(res.counts.valid).toBe(50);
    // Meanwhile, row 30's candidate is registered by hand.
    const room = createRoom({ db: t.db, examId: exam.id, name: 'R' });
    const u = await createUser({ db: t.db, role: 'candidate', name: rows[29]!.name, idNumber: rows[29]!.idNumber, password: 'whatever-123' });
    registerCandidate({ db: t.db, examId: exam.id, roomId: room.id, candidateId: u.id, seat: 1 });
    const usersBefore = countUsers();
    const err = await refusal(() => commitImport({ db: t.db, examId: exam.id, importId: res.importId, actorId: admin.id }));
    expect(err).toMatchObject({ code: 'CONFLICT', key: 'adminCandidates.importStale', params: { count: 1, line: 31 } });
    expect(countUsers()).toBe(usersBefore);
    expect(countRegs(exam.id)).toBe(1);
    expect(t.db.select().from(auditLog).where(eq(auditLog.action, 'candidates.imported')).all()).toEqual([]);
  });

  it('rolls everything back when a write fails midway (accounts already inserted)', async () => {
    const { admin, exam } = await setup();
    const rows = generateRows(900, 8);
    const res = await preview(exam.id, admin.id, 'many.csv', toImportCsv(rows));
    // A trap the checks cannot see: the 700th registration insert fails, after every account
    // and the first batch of registrations were written.
    t.db.$client.exec(`CREATE TEMP TRIGGER trap BEFORE INSERT ON registrations
      WHEN (SELECT id_number FROM users WHERE id = NEW.candidate_id) = '${rows[699]!.idNumber}'
      BEGIN SELECT RAISE(ABORT, 'trap'); END`);
    const usersBefore = countUsers();
    expect(() => commitImport({ db: t.db, examId: exam.id, importId: res.importId, actorId: admin.id })).toThrow(/trap/);
    expect(countUsers()).toBe(usersBefore);
    expect(countRegs(exam.id)).toBe(0);
    expect(
      t.db
        .select()
        .from(users)
        .where(inArray(users.idNumber, [rows[0]!.idNumber, rows[899]!.idNumber]))
        .all(),
    ).toEqual([]);
    expect(t.db.select().from(candidateImports).where(eq(candidateImports.id, res.importId)).get()!.committedAt).toBeNull();
    t.db.$client.exec('DROP TRIGGER trap');
    expect(commitImport({ db: t.db, examId: exam.id, importId: res.importId, actorId: admin.id }).imported).toBe(900);
  });

  it('previews and commits 5,000 rows (timed, logged)', async () => {
    const { admin, exam } = await setup();
    const content = toImportCsv(generateRows(5000, 9));
    const t0 = performance.now();
    const res = await preview(exam.id, admin.id, '5000.csv', content);
    const t1 = performance.now();
    expect(res.counts).toEqual({ total: 5000, valid: 5000, withProblems: 0 });
    const done = commitImport({ db: t.db, examId: exam.id, importId: res.importId, actorId: admin.id });
    const t2 = performance.now();
    expect(done.imported).toBe(5000);
    expect(countRegs(exam.id)).toBe(5000);
    console.log(`[import 5000 rows] preview ${Math.round(t1 - t0)} ms, commit ${Math.round(t2 - t1)} ms`);
  });

  it('a scenario room keeps its registrations when an import adds to it', async () => {
    const { admin } = await setup();
    const s = await makeRoomScenario(t.db, { candidates: 2, exam: { opensIn: 60, closesIn: 120, startsIn: 90 } });
    const rows = generateRows(2, 10).map((r) => ({ ...r, room: s.room.name }));
    const res = await preview(s.exam.id, admin.id, 'add.csv', toImportCsv(rows));
    expect(res.sample.map((r) => r.seat)).toEqual([3, 4]);
    commitImport({ db: t.db, examId: s.exam.id, importId: res.importId, actorId: admin.id });
    expect(countRegs(s.exam.id)).toBe(4);
  });
});
