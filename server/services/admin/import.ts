import { and, eq, inArray, isNull } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { candidateImports, examRooms, registrations, users, type ImportProblem, type ImportRow } from '@/db/schema';
import { AppError } from '../../errors';
import { audit } from '../audit';
import { NO_PASSWORD } from '../auth';
import { editableExam } from './common';
import { idNumberProblems, normaliseIdNumber, toHalfWidth } from './id-number';
import { fileKind, MAX_IMPORT_BYTES, parseCsv, parseXlsx, zipLimitProblem, type ImportEncoding, type ParsedFile } from './import-parse';

/**
 * Candidate import: a file is read and every row checked into a stored preview (nothing else is
 * written); committing it writes every row or none. Problems name the file line (header = 1), the
 * column (a field key below, or null for the whole row/file) and a reason key, worded by the page
 * from adminCandidates.problems.*.
 */

export const IMPORT_FIELDS = ['name', 'idNumber', 'phone', 'email', 'room', 'seat'] as const;
export type ImportField = (typeof IMPORT_FIELDS)[number];
const REQUIRED: ImportField[] = ['name', 'idNumber'];

const HEADER_ALIASES: Record<string, ImportField> = {
  姓名: 'name',
  考生姓名: 'name',
  name: 'name',
  身份证号: 'idNumber',
  身份证: 'idNumber',
  身份证号码: 'idNumber',
  'id number': 'idNumber',
  idnumber: 'idNumber',
  id_number: 'idNumber',
  手机号: 'phone',
  手机: 'phone',
  手机号码: 'phone',
  phone: 'phone',
  mobile: 'phone',
  邮箱: 'email',
  电子邮箱: 'email',
  email: 'email',
  'e-mail': 'email',
  考场: 'room',
  room: 'room',
  座位号: 'seat',
  座号: 'seat',
  seat: 'seat',
};

/** Which column holds which field; unknown columns are ignored, the first of two same-named wins. */
export function mapHeader(header: string[]): { columns: Partial<Record<ImportField, number>>; missing: ImportField[] } {
  const columns: Partial<Record<ImportField, number>> = {};
  header.forEach((raw, i) => {
    const key = toHalfWidth(raw)
      .replace(/^\uFEFF/, '')
      .trim()
      .replace(/\s+/g, ' ')
      .toLowerCase();
    const field = HEADER_ALIASES[key];
    if (field && columns[field] === undefined) columns[field] = i;
  });
  return { columns, missing: REQUIRED.filter((f) => columns[f] === undefined) };
}

export type FieldProblem = { column: ImportField; key: string; params?: Record<string, string | number> };
export type CandidateFields = { name: string; idNumber: string; phone: string; email: string };

export const NAME_MAX = 50;
const PHONE_RE = /^1[3-9]\d{9}$/;
const EMAIL_RE = /^[^\s@]+@[^\s@.]+(\.[^\s@.]+)+$/;

/** Normalises and checks a candidate's own fields, the same for an import row and the edit dialog. */
export function checkCandidateFields(raw: CandidateFields, today = new Date()): { values: CandidateFields; problems: FieldProblem[] } {
  const name = raw.name.trim().replace(/\s+/g, ' ');
  const idNumber = normaliseIdNumber(raw.idNumber);
  const phone = toHalfWidth(raw.phone)
    .replace(/[\s-]/g, '')
    .replace(/^\+?86(?=1\d{10}$)/, '');
  const email = toHalfWidth(raw.email).trim();
  const problems: FieldProblem[] = [];
  if (!name) problems.push({ column: 'name', key: 'missingName' });
  else if ([...name].length > NAME_MAX) problems.push({ column: 'name', key: 'nameTooLong', params: { max: NAME_MAX } });
  if (!idNumber) problems.push({ column: 'idNumber', key: 'missingIdNumber' });
  // Excel shows (and saves as CSV) long numbers as 3.30106E+17 unless the column is text.
  else if (/^\d+(\.\d+)?E\+?\d+$/.test(idNumber)) problems.push({ column: 'idNumber', key: 'idScientific', params: { value: idNumber } });
  else for (const p of idNumberProblems(idNumber, today)) problems.push({ column: 'idNumber', ...p });
  if (phone && !PHONE_RE.test(phone)) problems.push({ column: 'phone', key: 'badPhone', params: { value: raw.phone.trim() } });
  if (email && (email.length > 254 || !EMAIL_RE.test(email))) problems.push({ column: 'email', key: 'badEmail', params: { value: email } });
  return { values: { name, idNumber, phone, email }, problems };
}

type DbState = {
  accounts: Map<string, { id: number; name: string; role: string; archived: boolean }>;
  registered: Set<string>;
  rooms: Map<string, { id: number; capacity: number }>;
  takenSeats: Map<number, Set<number>>;
};

/** What the database says about these ID numbers and the exam's rooms. */
function loadDbState(db: DbOrTx, examId: number, idNumbers: string[]): DbState {
  const accounts: DbState['accounts'] = new Map();
  const unique = [...new Set(idNumbers)];
  for (let i = 0; i < unique.length; i += 500) {
    const chunk = unique.slice(i, i + 500);
    for (const u of db
      .select({ id: users.id, idNumber: users.idNumber, name: users.name, role: users.role, archivedAt: users.archivedAt })
      .from(users)
      .where(inArray(users.idNumber, chunk))
      .all())
      accounts.set(u.idNumber!, { id: u.id, name: u.name, role: u.role, archived: u.archivedAt != null });
  }
  const regs = db
    .select({ idNumber: users.idNumber, roomId: registrations.roomId, seat: registrations.seat })
    .from(registrations)
    .innerJoin(users, eq(users.id, registrations.candidateId))
    .where(eq(registrations.examId, examId))
    .all();
  const registered = new Set(regs.flatMap((r) => (r.idNumber ? [r.idNumber] : [])));
  const takenSeats: DbState['takenSeats'] = new Map();
  for (const r of regs) {
    if (r.roomId == null || r.seat == null) continue;
    if (!takenSeats.has(r.roomId)) takenSeats.set(r.roomId, new Set());
    takenSeats.get(r.roomId)!.add(r.seat);
  }
  const rooms: DbState['rooms'] = new Map();
  for (const r of db
    .select({ id: examRooms.id, name: examRooms.name, capacity: examRooms.capacity })
    .from(examRooms)
    .where(and(eq(examRooms.examId, examId), isNull(examRooms.archivedAt)))
    .all())
    rooms.set(r.name.trim(), { id: r.id, capacity: r.capacity });
  return { accounts, registered, rooms, takenSeats };
}

/** Problems of a row against the database (the account, the registration, the room and seat). */
function dbRowProblems(state: DbState, row: Pick<ImportRow, 'name' | 'idNumber' | 'room' | 'seat'>): FieldProblem[] {
  const out: FieldProblem[] = [];
  const account = state.accounts.get(row.idNumber);
  if (state.registered.has(row.idNumber)) out.push({ column: 'idNumber', key: 'alreadyRegistered' });
  else if (account && account.role !== 'candidate') out.push({ column: 'idNumber', key: 'idNotCandidate' });
  else if (account && account.archived) out.push({ column: 'idNumber', key: 'accountArchived' });
  else if (account && account.name !== row.name) out.push({ column: 'name', key: 'nameMismatch', params: { existing: account.name } });
  if (row.room != null) {
    const room = state.rooms.get(row.room);
    if (!room) out.push({ column: 'room', key: 'unknownRoom', params: { room: row.room } });
    else if (row.seat != null) {
      if (row.seat > room.capacity) out.push({ column: 'seat', key: 'seatBeyondCapacity', params: { seat: row.seat, capacity: room.capacity } });
      else if (state.takenSeats.get(room.id)?.has(row.seat)) out.push({ column: 'seat', key: 'seatTaken', params: { seat: row.seat } });
    }
  }
  return out;
}

export type PreviewResult = {
  importId: number;
  fileName: string;
  encoding: ImportEncoding;
  /** The fields found in the header, in file order. */
  columns: ImportField[];
  counts: { total: number; valid: number; withProblems: number };
  problems: ImportProblem[];
  /** Problems by reason, most frequent first. */
  summary: { key: string; count: number }[];
  /** The first valid rows, as they will be imported. */
  sample: ImportRow[];
};

const SAMPLE_SIZE = 20;

async function readFile(fileName: string, buf: Buffer): Promise<ParsedFile> {
  const kind = fileKind(fileName, buf);
  if (kind === 'xls') throw new AppError('BAD_REQUEST', 'adminCandidates.legacyExcel');
  if (kind === 'csv') return parseCsv(buf);
  const limit = zipLimitProblem(buf);
  if (limit)
    throw limit.key === 'unreadable'
      ? new AppError('BAD_REQUEST', 'adminCandidates.unreadableFile')
      : new AppError('BAD_REQUEST', `adminCandidates.${limit.key}`, limit.params);
  try {
    return await parseXlsx(buf);
  } catch {
    throw new AppError('BAD_REQUEST', 'adminCandidates.unreadableFile');
  }
}

/** Checks a file and stores the preview; writes nothing else. */
export async function previewImport(opts: { db: Db; examId: number; actorId: number; fileName: string; content: Buffer; now?: Date }): Promise<PreviewResult> {
  const { db, examId, fileName, content } = opts;
  const now = opts.now ?? new Date();
  editableExam(db, examId);
  if (content.length > MAX_IMPORT_BYTES) throw new AppError('BAD_REQUEST', 'adminCandidates.fileTooLarge', { max: MAX_IMPORT_BYTES / 1024 / 1024 });
  if (content.length === 0) throw new AppError('BAD_REQUEST', 'adminCandidates.emptyFile');
  const parsed = await readFile(fileName, content);
  const { rows, problems, total, columns } = checkFile(db, examId, parsed, now);
  const stored = db.insert(candidateImports).values({ examId, fileName, rows, problems, createdBy: opts.actorId }).returning({ id: candidateImports.id }).get();
  const byKey = new Map<string, number>();
  for (const p of problems) byKey.set(p.key, (byKey.get(p.key) ?? 0) + 1);
  return {
    importId: stored.id,
    fileName,
    encoding: parsed.encoding,
    columns,
    counts: {
      total,
      valid: rows.length,
      withProblems: new Set(problems.filter((p) => p.key !== 'missingColumns' && p.key !== 'emptyFile').map((p) => p.line)).size,
    },
    problems,
    summary: [...byKey].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count),
    sample: rows.slice(0, SAMPLE_SIZE),
  };
}

function checkFile(db: DbOrTx, examId: number, parsed: ParsedFile, now: Date) {
  const problems: ImportProblem[] = [];
  if (parsed.header.every((h) => !h.trim())) {
    return { rows: [], problems: [{ line: 1, column: null, key: 'emptyFile' }], total: 0, columns: [] as ImportField[] };
  }
  const { columns, missing } = mapHeader(parsed.header);
  const found = (Object.entries(columns) as [ImportField, number][]).sort((a, b) => a[1] - b[1]).map(([f]) => f);
  if (missing.length) {
    return {
      rows: [],
      problems: [{ line: parsed.headerLine, column: null, key: 'missingColumns', params: { columns: missing.join(',') } }],
      total: 0,
      columns: found,
    };
  }
  // The header's width, not counting empty cells Excel leaves after the last heading.
  let width = parsed.header.length;
  while (width > 0 && !parsed.header[width - 1]!.trim()) width--;
  const cell = (cells: string[], f: ImportField) => (columns[f] === undefined ? '' : (cells[columns[f]!] ?? ''));

  type Candidate = { row: ImportRow; problems: FieldProblem[]; rowProblems: ImportProblem[] };
  const candidates: Candidate[] = [];
  for (const { line, cells } of parsed.records) {
    // Lines with nothing but separators are as empty as empty lines.
    if (cells.every((c) => !c.trim())) continue;
    const rowProblems: ImportProblem[] = [];
    if (parsed.countColumns && cells.length < width)
      rowProblems.push({ line, column: null, key: 'tooFewColumns', params: { expected: width, actual: cells.length } });
    if (cells.slice(width).some((c) => c.trim()))
      rowProblems.push({ line, column: null, key: 'tooManyColumns', params: { expected: width, actual: cells.length } });
    const { values, problems: fieldProblems } = checkCandidateFields(
      { name: cell(cells, 'name'), idNumber: cell(cells, 'idNumber'), phone: cell(cells, 'phone'), email: cell(cells, 'email') },
      now,
    );
    const room = cell(cells, 'room').trim() || null;
    const seatText = toHalfWidth(cell(cells, 'seat')).trim();
    let seat: number | null = null;
    if (seatText) {
      if (/^\d{1,6}$/.test(seatText) && Number(seatText) > 0) seat = Number(seatText);
      else fieldProblems.push({ column: 'seat', key: 'badSeat', params: { value: seatText } });
      if (!room) fieldProblems.push({ column: 'seat', key: 'seatWithoutRoom' });
    }
    candidates.push({ row: { line, ...values, room, seat: room ? seat : null }, problems: fieldProblems, rowProblems });
  }

  // Within the file: the first occurrence stands, later ones name it.
  const firstById = new Map<string, number>();
  const firstBySeat = new Map<string, number>();
  for (const c of candidates) {
    const { idNumber, room, seat, line } = c.row;
    if (idNumber) {
      const first = firstById.get(idNumber);
      if (first !== undefined) c.problems.push({ column: 'idNumber', key: 'duplicateInFile', params: { firstLine: first } });
      else firstById.set(idNumber, line);
    }
    if (room && seat != null) {
      const k = `${room}\u0000${seat}`;
      const first = firstBySeat.get(k);
      if (first !== undefined) c.problems.push({ column: 'seat', key: 'duplicateSeat', params: { seat, firstLine: first } });
      else firstBySeat.set(k, line);
    }
  }

  const state = loadDbState(db, examId, candidates.map((c) => c.row.idNumber).filter(Boolean));
  for (const c of candidates) if (c.row.idNumber) c.problems.push(...dbRowProblems(state, c.row));

  // Rows with a room but no seat get the room's next free seat, after the seats the file names.
  const used = new Map<number, Set<number>>();
  for (const c of candidates) {
    const room = c.row.room ? state.rooms.get(c.row.room) : undefined;
    if (room && c.row.seat != null) {
      if (!used.has(room.id)) used.set(room.id, new Set(state.takenSeats.get(room.id)));
      used.get(room.id)!.add(c.row.seat);
    }
  }
  for (const c of candidates) {
    const room = c.row.room ? state.rooms.get(c.row.room) : undefined;
    if (!room || c.row.seat != null || c.problems.length || c.rowProblems.length) continue;
    if (!used.has(room.id)) used.set(room.id, new Set(state.takenSeats.get(room.id)));
    const taken = used.get(room.id)!;
    let seat = 1;
    while (taken.has(seat)) seat++;
    if (seat > room.capacity) c.problems.push({ column: 'room', key: 'roomFull', params: { room: c.row.room!, capacity: room.capacity } });
    else {
      taken.add(seat);
      c.row.seat = seat;
    }
  }

  const rows: ImportRow[] = [];
  for (const c of candidates) {
    problems.push(...c.rowProblems, ...c.problems.map((p) => ({ line: c.row.line, column: p.column, key: p.key, ...(p.params ? { params: p.params } : {}) })));
    if (!c.problems.length && !c.rowProblems.length) rows.push(c.row);
  }
  const order = (col: string | null) => (col === null ? -1 : IMPORT_FIELDS.indexOf(col as ImportField));
  problems.sort((a, b) => a.line - b.line || order(a.column) - order(b.column));
  return { rows, problems, total: candidates.length, columns: found };
}

/**
 * Writes a checked import: accounts for new ID numbers (no password, password login off until
 * staff switch it on), the existing account reused where ID and name match, one registration
 * each. Everything is re-checked against the database inside the transaction, so a registration
 * made since the preview refuses the whole import.
 */
export function commitImport(opts: { db: Db; examId: number; importId: number; actorId: number; now?: Date }) {
  const { db, examId, importId, actorId } = opts;
  const now = opts.now ?? new Date();
  return db.transaction((tx) => {
    const imp = tx.select().from(candidateImports).where(eq(candidateImports.id, importId)).get();
    if (!imp || imp.examId !== examId) throw new AppError('NOT_FOUND', 'adminCandidates.importNotFound');
    editableExam(tx, examId);
    if (imp.committedAt) throw new AppError('CONFLICT', 'adminCandidates.importCommitted');
    if (imp.problems.length) throw new AppError('CONFLICT', 'adminCandidates.importHasProblems', { count: imp.problems.length });
    if (!imp.rows.length) throw new AppError('CONFLICT', 'adminCandidates.importEmpty');

    const state = loadDbState(
      tx,
      examId,
      imp.rows.map((r) => r.idNumber),
    );
    const stale = imp.rows.flatMap((r) => dbRowProblems(state, r).map((p) => ({ line: r.line, ...p })));
    const seatKeys = new Set<string>();
    for (const r of imp.rows) {
      if (r.room == null || r.seat == null) continue;
      const k = `${r.room}\u0000${r.seat}`;
      if (seatKeys.has(k)) stale.push({ line: r.line, column: 'seat', key: 'duplicateSeat' });
      seatKeys.add(k);
    }
    if (stale.length) throw new AppError('CONFLICT', 'adminCandidates.importStale', { count: stale.length, line: stale[0]!.line });

    const idOf = new Map<string, number>();
    for (const r of imp.rows) {
      const existing = state.accounts.get(r.idNumber);
      if (existing) idOf.set(r.idNumber, existing.id);
    }
    const fresh = imp.rows.filter((r) => !idOf.has(r.idNumber));
    // Batches keep each statement under SQLite's bound-parameter limit.
    const BATCH = 400;
    for (let i = 0; i < fresh.length; i += BATCH) {
      const created = tx
        .insert(users)
        .values(
          fresh.slice(i, i + BATCH).map((r) => ({
            role: 'candidate' as const,
            name: r.name,
            idNumber: r.idNumber,
            phone: r.phone || null,
            email: r.email || null,
            passwordHash: NO_PASSWORD,
            passwordLoginEnabled: false,
          })),
        )
        .returning({ id: users.id, idNumber: users.idNumber })
        .all();
      for (const u of created) idOf.set(u.idNumber!, u.id);
    }
    for (let i = 0; i < imp.rows.length; i += BATCH) {
      tx.insert(registrations)
        .values(
          imp.rows.slice(i, i + BATCH).map((r) => ({
            examId,
            candidateId: idOf.get(r.idNumber)!,
            roomId: r.room != null ? state.rooms.get(r.room)!.id : null,
            seat: r.room != null ? r.seat : null,
          })),
        )
        .run();
    }
    tx.update(candidateImports)
      .set({ committedAt: now })
      .where(and(eq(candidateImports.id, importId), isNull(candidateImports.committedAt)))
      .run();
    const placed = imp.rows.filter((r) => r.room != null).length;
    audit(tx, {
      actorId,
      action: 'candidates.imported',
      examId,
      detail: { importId, fileName: imp.fileName, count: imp.rows.length, created: fresh.length, reused: imp.rows.length - fresh.length, placed },
      at: now,
    });
    return { imported: imp.rows.length, created: fresh.length, reused: imp.rows.length - fresh.length, placed };
  });
}

/**
 * Preview and commit in one call, for the demo seed and scripts: the same checks as the page,
 * refused (nothing written but the stored preview) when the file has any problem.
 */
export async function importCandidates(opts: { db: Db; examId: number; actorId: number; fileName: string; content: Buffer; now?: Date }) {
  const preview = await previewImport(opts);
  if (preview.problems.length) throw new AppError('CONFLICT', 'adminCandidates.importHasProblems', { count: preview.problems.length });
  return { preview, ...commitImport({ db: opts.db, examId: opts.examId, importId: preview.importId, actorId: opts.actorId, now: opts.now }) };
}
