import { deflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';
import { describe, expect, it } from 'vitest';
import { AppError } from '@/server/errors';
import { previewImport } from '@/server/services/admin/import';
import { MAX_XLSX_RATIO, MAX_XLSX_UNPACKED_BYTES, zipLimitProblem } from '@/server/services/admin/import-parse';
import { makeExam, makeStaff } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';

const t = useTestDb();

type Entry = { name: string; data: Buffer; declared?: number };

/** A zip of deflated entries; `declared` overrides the uncompressed size written in the headers (a lying header). */
function makeZip(entries: Entry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const packed = deflateRawSync(e.data);
    const size = e.declared ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(packed.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(packed.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, packed);
    centrals.push(central, name);
    offset += local.length + name.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(entries.length, 8);
  eocd.writeUInt16LE(entries.length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

async function refusalOf(content: Buffer) {
  const admin = await makeStaff(t.db, 'admin');
  const exam = makeExam(t.db, {
    opensIn: 24 * 60,
    closesIn: 25 * 60,
    startsIn: 24 * 60 + 30,
  });
  try {
    await previewImport({
      db: t.db,
      examId: exam.id,
      actorId: admin.id,
      fileName: 'list.xlsx',
      content,
    });
  } catch (e) {
    if (e instanceof AppError) return { key: e.key, params: e.params };
    throw e;
  }
  throw new Error('expected a refusal');
}

const MB = 1024 * 1024;

describe('XLSX import: zip limits checked before parsing', () => {
  it('a zip bomb (a few KB unpacking to 20 MB of zeros) is refused for its ratio, naming the limit', async () => {
    const bomb = makeZip([{ name: 'xl/worksheets/sheet1.xml', data: Buffer.alloc(20 * MB) }]);
    expect(bomb.length).toBeLessThan(100 * 1024);
    expect(await refusalOf(bomb)).toEqual({
      key: 'adminCandidates.xlsxRatio',
      params: { max: MAX_XLSX_RATIO },
    });
  });

  it('entries declaring more than the unpacked cap in total are refused without being unpacked', async () => {
    const declared = makeZip([
      { name: 'a.xml', data: Buffer.from('x'), declared: 60 * MB },
      { name: 'b.xml', data: Buffer.from('y'), declared: 60 * MB },
    ]);
    expect(await refusalOf(declared)).toEqual({
      key: 'adminCandidates.xlsxTooLarge',
      params: { max: MAX_XLSX_UNPACKED_BYTES / MB },
    });
  });

  it('an entry that unpacks to more than its header declares is refused as too large', async () => {
    const liar = makeZip([
      {
        name: 'xl/worksheets/sheet1.xml',
        data: Buffer.alloc(5 * MB),
        declared: 1000,
      },
    ]);
    expect(zipLimitProblem(liar)).toMatchObject({ key: 'xlsxTooLarge' });
    expect((await refusalOf(liar)).key).toBe('adminCandidates.xlsxTooLarge');
  });

  it('the messages name the limit in both languages', async () => {
    const zh = (await import('@/server/i18n/messages/zh-CN/adminCandidates.json')).default.errors;
    const en = (await import('@/server/i18n/messages/en/adminCandidates.json')).default.errors;
    for (const m of [zh.xlsxTooLarge, zh.xlsxRatio, en.xlsxTooLarge, en.xlsxRatio]) expect(m).toContain('{max}');
  });

  it('a real workbook made by Excel’s format passes the check', async () => {
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet('考生');
    ws.addRow(['姓名', '身份证号']);
    for (let i = 0; i < 2000; i++) ws.addRow([`考生${i}`, `11010519900101${String(i).padStart(4, '0')}`]);
    expect(zipLimitProblem(Buffer.from(await wb.xlsx.writeBuffer()))).toBeNull();
  });
});
