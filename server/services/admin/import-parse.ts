import { parse } from 'csv-parse/sync';
import { inflateRawSync } from 'node:zlib';
import ExcelJS from 'exceljs';

/**
 * Reading an import file into lines of text cells, before any checking: CSV in UTF-8 or GB 18030
 * (Excel on a Chinese Windows saves CSV as GBK, a subset), or the first sheet of an XLSX.
 */

export type ImportEncoding = 'utf-8' | 'gb18030' | 'xlsx';
export type ParsedFile = {
  encoding: ImportEncoding;
  /** The header cells and their line (1, unless a sheet starts lower). */
  header: string[];
  headerLine: number;
  /** Data records with their file line (header = 1); cells as text. */
  records: { line: number; cells: string[] }[];
  /** Columns are counted for CSV only: a spreadsheet row simply ends at its last filled cell. */
  countColumns: boolean;
};

export const MAX_IMPORT_BYTES = 10 * 1024 * 1024;

const isZip = (buf: Buffer) => buf.length >= 4 && buf[0] === 0x50 && buf[1] === 0x4b && buf[2] === 0x03 && buf[3] === 0x04;
/** The old binary Excel format (OLE compound file): not read, the user is told to save as XLSX or CSV. */
export const isLegacyExcel = (buf: Buffer) => buf.length >= 4 && buf[0] === 0xd0 && buf[1] === 0xcf && buf[2] === 0x11 && buf[3] === 0xe0;

export function fileKind(fileName: string, buf: Buffer): 'csv' | 'xlsx' | 'xls' {
  if (isZip(buf)) return 'xlsx';
  if (isLegacyExcel(buf) || /\.xls$/i.test(fileName)) return 'xls';
  return 'csv';
}

/** UTF-8 when the bytes are valid UTF-8 (BOM or not), else GB 18030, which reads GBK and GB 2312. */
export function decodeText(buf: Buffer): { text: string; encoding: 'utf-8' | 'gb18030' } {
  let bytes: Uint8Array = buf;
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    return { text: new TextDecoder('gb18030').decode(bytes).replace(/^\uFEFF/, ''), encoding: 'gb18030' };
  }
}

export function parseCsv(buf: Buffer): ParsedFile {
  const { text, encoding } = decodeText(buf);
  // `info` gives each record's last line, so a row is reported by the line the user sees in a
  // text editor; empty lines are skipped by the parser but still counted.
  const rows = parse(text, { relax_column_count: true, relax_quotes: true, skip_empty_lines: true, info: true }) as unknown as {
    record: string[];
    info: { lines: number };
  }[];
  if (rows.length === 0) return { encoding, header: [], headerLine: 1, records: [], countColumns: true };
  const [head, ...rest] = rows;
  return {
    encoding,
    header: head!.record,
    headerLine: head!.info.lines,
    records: rest.map((r) => ({ line: r.info.lines, cells: r.record })),
    countColumns: true,
  };
}

/** What an XLSX may unpack to: a candidate list of tens of thousands of rows is a few MB of XML. */
export const MAX_XLSX_UNPACKED_BYTES = 100 * 1024 * 1024;
/** Unpacked size over packed size; sheet XML packs about 10:1, a zip bomb by thousands. */
export const MAX_XLSX_RATIO = 100;
/** Below this, the ratio is not worth refusing a file for: it cannot hurt. */
const RATIO_FLOOR_BYTES = 1024 * 1024;
const MAX_XLSX_ENTRIES = 1000;

export type ZipLimitProblem = { key: 'xlsxTooLarge'; params: { max: number } } | { key: 'xlsxRatio'; params: { max: number } } | { key: 'unreadable' };

/**
 * Checks an XLSX (a zip) before anything unpacks it into memory: the central directory's
 * declared sizes against the limits, then each entry inflated with its declared size as a hard
 * cap, so a header that understates what an entry unpacks to is caught too. Null when it is
 * within the limits.
 */
export function zipLimitProblem(buf: Buffer): ZipLimitProblem | null {
  const tooLarge: ZipLimitProblem = { key: 'xlsxTooLarge', params: { max: MAX_XLSX_UNPACKED_BYTES / 1024 / 1024 } };
  const EOCD = 0x06054b50;
  let eocd = -1;
  for (let i = buf.length - 22; i >= Math.max(0, buf.length - 22 - 0xffff); i--) {
    if (buf.readUInt32LE(i) === EOCD) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) return { key: 'unreadable' };
  const count = buf.readUInt16LE(eocd + 10);
  const cdOffset = buf.readUInt32LE(eocd + 16);
  if (count > MAX_XLSX_ENTRIES) return tooLarge;
  const entries: { method: number; packed: number; unpacked: number; local: number }[] = [];
  let total = 0;
  let at = cdOffset;
  for (let n = 0; n < count; n++) {
    if (at + 46 > buf.length || buf.readUInt32LE(at) !== 0x02014b50) return { key: 'unreadable' };
    const entry = {
      method: buf.readUInt16LE(at + 10),
      packed: buf.readUInt32LE(at + 20),
      unpacked: buf.readUInt32LE(at + 24),
      local: buf.readUInt32LE(at + 42),
    };
    // 0xFFFFFFFF means the real size is in a ZIP64 field: far beyond any limit here.
    if (entry.unpacked === 0xffffffff || entry.packed === 0xffffffff) return tooLarge;
    total += entry.unpacked;
    entries.push(entry);
    at += 46 + buf.readUInt16LE(at + 28) + buf.readUInt16LE(at + 30) + buf.readUInt16LE(at + 32);
  }
  if (total > MAX_XLSX_UNPACKED_BYTES) return tooLarge;
  if (total > RATIO_FLOOR_BYTES && total / buf.length > MAX_XLSX_RATIO) return { key: 'xlsxRatio', params: { max: MAX_XLSX_RATIO } };
  for (const e of entries) {
    if (e.local + 30 > buf.length || buf.readUInt32LE(e.local) !== 0x04034b50) return { key: 'unreadable' };
    const start = e.local + 30 + buf.readUInt16LE(e.local + 26) + buf.readUInt16LE(e.local + 28);
    const data = buf.subarray(start, start + e.packed);
    if (e.method === 0) {
      if (e.packed !== e.unpacked) return { key: 'unreadable' };
    } else if (e.method === 8) {
      let out: Buffer;
      try {
        // One byte over the declared size is enough to know the header lied.
        out = inflateRawSync(data, { maxOutputLength: e.unpacked + 1 });
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' ? tooLarge : { key: 'unreadable' };
      }
      if (out.length !== e.unpacked) return out.length > e.unpacked ? tooLarge : { key: 'unreadable' };
    } else return { key: 'unreadable' };
  }
  return null;
}

type CellValue = ExcelJS.CellValue;

/** A cell as the user sees it: numbers without exponent, dates as YYYY-MM-DD, links and rich text as their text. */
export function cellText(v: CellValue): string {
  if (v == null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number') {
    // An ID number typed into a number cell has lost its last digits: keep Excel's exponent
    // form so the check names the cause instead of a wrong check character.
    if (Number.isInteger(v) && !Number.isSafeInteger(v)) return v.toExponential().toUpperCase();
    return Number.isInteger(v) ? BigInt(v).toString() : String(v);
  }
  if (typeof v === 'boolean') return String(v);
  if (v instanceof Date) return v.toISOString().slice(0, 10);
  if (typeof v === 'object') {
    if ('richText' in v && Array.isArray(v.richText)) return v.richText.map((r) => r.text).join('');
    if ('text' in v && v.text != null) return cellText(v.text as CellValue);
    if ('result' in v) return cellText((v as { result?: CellValue }).result ?? null);
    if ('error' in v) return '';
  }
  return String(v);
}

export async function parseXlsx(buf: Buffer): Promise<ParsedFile> {
  const wb = new ExcelJS.Workbook();
  await wb.xlsx.load(buf as unknown as ArrayBuffer);
  const sheet = wb.worksheets[0];
  const lines: { line: number; cells: string[] }[] = [];
  sheet?.eachRow({ includeEmpty: false }, (row) => {
    const values = row.values as CellValue[];
    // row.values is 1-based (index 0 is empty).
    const cells: string[] = [];
    for (let i = 1; i < values.length; i++) cells.push(cellText(values[i] ?? null));
    lines.push({ line: row.number, cells });
  });
  if (lines.length === 0) return { encoding: 'xlsx', header: [], headerLine: 1, records: [], countColumns: false };
  const [head, ...rest] = lines;
  // The header is the first filled row wherever it is; data lines keep their sheet row numbers.
  return { encoding: 'xlsx', header: head!.cells, headerLine: head!.line, records: rest, countColumns: false };
}
