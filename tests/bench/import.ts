/**
 * `npm run bench:import`: the candidate importer on a 5,000-row CSV. Each run makes a fresh
 * SQLite file (the real migrations), an admin and an exam, then times the preview (decode, parse,
 * every check, the stored preview) and the commit (accounts and registrations in one
 * transaction). Three runs per file format (CSV, and the same rows as XLSX); the last line of
 * stdout is one JSON object with the medians and each run. Environment: BENCH_ROWS (5000),
 * BENCH_RUNS (3).
 */
import ExcelJS from 'exceljs';
import { commitImport, previewImport } from '@/server/services/admin/import';
import { createExam, createUser } from '@/server/services/setup';
import { generateRows, toImportCsv } from '../fixtures/import/generate';
import { createTestDb } from '../helpers/db';

const ROWS = Number(process.env.BENCH_ROWS ?? 5000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const round = (x: number) => Math.round(x * 10) / 10;

type Format = 'csv' | 'xlsx';

async function fileFor(format: Format, series: number): Promise<Buffer> {
  const rows = generateRows(ROWS, series);
  if (format === 'csv') return toImportCsv(rows);
  const book = new ExcelJS.Workbook();
  const sheet = book.addWorksheet('考生');
  sheet.addRow(['姓名', '身份证号', '手机号', '邮箱']);
  for (const r of rows) sheet.addRow([r.name, r.idNumber, r.phone, r.email]);
  return Buffer.from(await book.xlsx.writeBuffer());
}

async function run(format: Format, i: number) {
  const db = createTestDb();
  try {
    const admin = await createUser({ db, role: 'admin', name: '管理员', username: `bench-admin-${i}`, password: 'bench-password-1' });
    const day = 86_400_000;
    const exam = createExam({
      db,
      title: '导入基准',
      kind: 'written',
      entryOpensAt: new Date(Date.now() + day),
      entryClosesAt: new Date(Date.now() + day + 3_600_000),
      startsAt: new Date(Date.now() + day + 1_800_000),
      durationMinutes: 90,
    });
    const content = await fileFor(format, i % 100);
    const t0 = performance.now();
    const preview = await previewImport({ db, examId: exam.id, actorId: admin.id, fileName: `bench.${format}`, content });
    const t1 = performance.now();
    if (preview.problems.length) throw new Error(`the generated file has problems: ${JSON.stringify(preview.problems.slice(0, 3))}`);
    const done = commitImport({ db, examId: exam.id, importId: preview.importId, actorId: admin.id });
    const t2 = performance.now();
    if (done.imported !== ROWS) throw new Error(`imported ${done.imported} of ${ROWS}`);
    const r = { previewMs: round(t1 - t0), commitMs: round(t2 - t1), totalMs: round(t2 - t0) };
    console.error(`${format} run ${i + 1}/${RUNS}: preview ${r.previewMs} ms, commit ${r.commitMs} ms`);
    return r;
  } finally {
    db.cleanup();
  }
}

const summary = (runs: { previewMs: number; commitMs: number; totalMs: number }[]) => ({
  previewMs: median(runs.map((r) => r.previewMs)),
  commitMs: median(runs.map((r) => r.commitMs)),
  totalMs: median(runs.map((r) => r.totalMs)),
  runs,
});
const result: Record<string, unknown> = { rows: ROWS };
for (const format of ['csv', 'xlsx'] as const) {
  const runs = [];
  for (let i = 0; i < RUNS; i++) runs.push(await run(format, i));
  result[format] = { bytes: (await fileFor(format, 0)).length, ...summary(runs) };
}
console.log(JSON.stringify(result));
