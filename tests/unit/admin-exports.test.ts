import { asStaff, cookieHeaders } from '../helpers/unit-support';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { recordingChunks, recordings, registrations, users } from '@/db/schema';
import { login } from '@/server/services/auth';
import { examExportText, gapRanges, scoreAnswer, scoreTotal } from '@/server/services/admin/exports';
import { finishExam, saveAnswers } from '@/server/services/exams';
import { createFlag, resolveFlag } from '@/server/services/invigilate';
import { addQuestionSheet } from '@/server/services/setup';
import { recordEvent } from '@/server/services/timeline';
import { makeExam, makeSittingScenario, makeStaff, PASSWORD } from '../fixtures/factories';
import { createTestDb } from '../helpers/db';

// The route handlers read the session cookie, the locale cookie and the app's database: all point at this test's.
const route = vi.hoisted(() => ({ db: undefined as unknown, token: undefined as string | undefined, locale: undefined as string | undefined }));
vi.mock('@/server/db', () => ({ getDb: () => route.db }));

const { GET } = await import('@/app/api/admin/exams/[examId]/exports/[kind]/route');

let db: ReturnType<typeof createTestDb>;
beforeEach(() => {
  db = createTestDb();
  route.db = db;
  route.token = undefined;
  route.locale = undefined;
});
afterEach(() => db.cleanup());

/** RFC 4180 back into rows (quoted cells with "" and line breaks), for checking what was written. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') ((cell += '"'), i++);
      else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') (row.push(cell), (cell = ''));
    else if (ch === '\r' && text[i + 1] === '\n') (row.push(cell), rows.push(row), (row = []), (cell = ''), i++);
    else cell += ch;
  }
  if (cell || row.length) (row.push(cell), rows.push(row));
  return rows;
}

function readCsv(text: string) {
  expect(text.startsWith('\uFEFF')).toBe(true);
  expect(text.endsWith('\r\n')).toBe(true);
  const [header, ...rows] = parseCsv(text.slice(1));
  return { header: header!, rows, col: (name: string) => header!.indexOf(name) };
}

describe('objective scoring', () => {
  const single = { kind: 'single' as const, answer: 'B', points: 3 };
  const multiple = { kind: 'multiple' as const, answer: ['A', 'C'] };
  it('single choice: exact match of the chosen option', () => {
    expect(scoreAnswer(single, 'B')).toEqual({ score: 3, points: 3 });
    expect(scoreAnswer(single, 'A')).toEqual({ score: 0, points: 3 });
    expect(scoreAnswer(single, 'b')).toEqual({ score: 0, points: 3 });
    expect(scoreAnswer(single, ['B'])).toEqual({ score: 0, points: 3 });
    expect(scoreAnswer(single, undefined)).toEqual({ score: 0, points: 3 });
  });
  it('multiple choice: the same set, all or nothing, order and repeats ignored; points default to 1', () => {
    expect(scoreAnswer(multiple, ['C', 'A'])).toEqual({ score: 1, points: 1 });
    expect(scoreAnswer(multiple, ['A', 'C', 'A'])).toEqual({ score: 1, points: 1 });
    expect(scoreAnswer(multiple, ['A'])).toEqual({ score: 0, points: 1 });
    expect(scoreAnswer(multiple, ['A', 'B', 'C'])).toEqual({ score: 0, points: 1 });
    expect(scoreAnswer(multiple, [])).toEqual({ score: 0, points: 1 });
    expect(scoreAnswer(multiple, 'A')).toEqual({ score: 0, points: 1 });
    expect(scoreAnswer({ kind: 'multiple', answer: [] }, [])).toEqual({ score: 1, points: 1 });
  });
  it('free text and questions without a key are not scored', () => {
    expect(scoreAnswer({ kind: 'text', points: 10 }, 'anything')).toEqual({ score: null, points: null });
    expect(scoreAnswer({ kind: 'text', answer: 'x' }, 'x')).toEqual({ score: null, points: null });
    expect(scoreAnswer({ kind: 'single', points: 2 }, 'A')).toEqual({ score: null, points: null });
  });
  it('the total adds the scored questions only', () => {
    expect(
      scoreTotal([
        { score: 3, points: 3 },
        { score: 0, points: 1 },
        { score: null, points: null },
      ]),
    ).toEqual({ score: 3, points: 4 });
    expect(scoreTotal([])).toEqual({ score: 0, points: 0 });
  });
  it('missing chunks read as ranges', () => {
    expect(gapRanges([0, 1, 5, 6, 9], 12)).toEqual({ count: 7, text: '2-4 7-8 10-11' });
    expect(gapRanges([0, 2], null)).toEqual({ count: 1, text: '1' });
    expect(gapRanges([], null)).toEqual({ count: 0, text: '' });
  });
});

/**
 * A sitting written exam with two candidates (one with a comma, a quote and a line break in
 * their name), a keyed sheet, answers (one a formula), a decided and an open flag, and a
 * recording with gaps.
 */
async function world() {
  const s = await makeSittingScenario(db, { candidates: 2 });
  const [alice, bob] = s.candidates as [(typeof s.candidates)[0], (typeof s.candidates)[0]];
  db.update(users).set({ name: '王,小"明"\n二' }).where(eq(users.id, alice.id)).run();
  addQuestionSheet({
    db,
    examId: s.exam.id,
    position: 2,
    title: '客观题',
    questions: [
      { id: 'k1', kind: 'single', prompt: '1+1=?', options: ['1', '2', '3'], answer: '2', points: 2 },
      { id: 'k2', kind: 'multiple', prompt: '偶数', options: ['1', '2', '4'], answer: ['2', '4'], points: 3 },
      { id: 'k3', kind: 'text', prompt: '说明理由' },
    ],
  });
  const examId = s.exam.id;
  saveAnswers({
    db,
    candidateId: alice.id,
    examId,
    items: [
      { questionId: 'k1', value: '2', revision: 1 },
      { questionId: 'k2', value: ['4', '2'], revision: 1 },
      { questionId: 'k3', value: '=HYPERLINK("http://evil","x")', revision: 1 },
    ],
  });
  saveAnswers({ db, candidateId: bob.id, examId, items: [{ questionId: 'k2', value: ['2'], revision: 1 }] });
  finishExam({ db, candidateId: alice.id, examId, reason: 'submitted' });

  const reg = db.select().from(registrations).where(eq(registrations.candidateId, alice.id)).get()!;
  recordEvent({ db, roomId: s.room.id, candidateId: alice.id, type: 'integrity.note', payload: { text: 'a, "b"' } });
  const staff = { db, caller: asStaff(s.invigilator) };
  const flag = createFlag({ ...staff, roomId: s.room.id, candidateId: alice.id, note: '左顾右盼' });
  resolveFlag({ ...staff, flagId: flag.flagId, resolution: 'confirmed', note: '已警告' });
  createFlag({ ...staff, roomId: s.room.id, candidateId: bob.id, note: '离开座位' });

  const rec = db
    .insert(recordings)
    .values({
      candidateId: alice.id,
      examId,
      track: 'screen',
      clientKey: 'k-1',
      mimeType: 'video/webm',
      startedAt: new Date(),
      expectedChunks: 5,
      receivedChunks: 2,
      receivedBytes: 2048,
    })
    .returning()
    .get();
  for (const seq of [0, 3])
    db.insert(recordingChunks)
      .values({ recordingId: rec.id, seq, size: 1024, sha256: 'x', path: `p/${seq}`, receivedAt: new Date() })
      .run();
  return { ...s, alice, bob, reg };
}

describe('exam exports (service)', () => {
  it('answers: one row per candidate and question with key and score, then a total row; formulas defused', async () => {
    const w = await world();
    const csv = readCsv(examExportText({ db, examId: w.exam.id, kind: 'answers', locale: 'zh-CN' }));
    expect(csv.header).toEqual(['考场', '座位', '考生', '身份证号', '试卷部分', '题号', '题目编号', '题型', '作答', '标准答案', '得分', '分值']);
    // 2 candidates × (3 + 3 questions) + 2 total rows.
    expect(csv.rows).toHaveLength(14);
    const of = (name: string, q: string) => csv.rows.find((r) => r[csv.col('考生')] === name && r[csv.col('题目编号')] === q)!;
    const alice = '王,小"明"\n二';
    expect(of(alice, 'k1').slice(8)).toEqual(['2', '2', '2', '2']);
    expect(of(alice, 'k2').slice(8)).toEqual(['4 | 2', '2 | 4', '3', '3']);
    expect(of(alice, 'k3')[csv.col('作答')]).toBe(`'=HYPERLINK("http://evil","x")`);
    expect(of(alice, 'k3').slice(10)).toEqual(['', '']);
    // Unkeyed questions of the first sheet are not scored.
    expect(of(alice, 'q1').slice(10)).toEqual(['', '']);
    expect(of(w.bob.name, 'k1').slice(8)).toEqual(['', '2', '0', '2']);
    expect(of(w.bob.name, 'k2').slice(8)).toEqual(['2', '2 | 4', '0', '3']);
    const total = (name: string) => csv.rows.find((r) => r[csv.col('考生')] === name && r[csv.col('题型')] === 'total')!;
    expect(total(alice).slice(10)).toEqual(['5', '5']);
    expect(total(w.bob.name)[csv.col('题号')]).toBe('客观题合计');
    expect(total(w.bob.name).slice(10)).toEqual(['0', '5']);
    expect(of(alice, 'k1')[csv.col('身份证号')]).toBe(w.alice.idNumber);
  });

  it('answers of an interview: the header only', async () => {
    const exam = makeExam(db, { kind: 'interview' });
    const csv = readCsv(examExportText({ db, examId: exam.id, kind: 'answers', locale: 'en' }));
    expect(csv.header[0]).toBe('Room');
    expect(csv.rows).toEqual([]);
  });

  it('timeline: every event of the exam with room, seat, candidate and payload JSON', async () => {
    const w = await world();
    const csv = readCsv(examExportText({ db, examId: w.exam.id, kind: 'timeline', locale: 'en' }));
    expect(csv.header).toEqual(['Time', 'Room', 'Seat', 'Candidate', 'ID number', 'Event type', 'Device', 'Data']);
    const note = csv.rows.find((r) => r[5] === 'integrity.note')!;
    expect(note.slice(1, 5)).toEqual([w.room.name, '1', '王,小"明"\n二', w.alice.idNumber]);
    expect(JSON.parse(note[7]!)).toEqual({ text: 'a, "b"' });
    expect(note[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(csv.rows.some((r) => r[5] === 'exam_entered' || r[5] === 'exam_finished')).toBe(true);
  });

  it('flags: type, source, status, note, raised and decided by whom and when', async () => {
    const w = await world();
    const csv = readCsv(examExportText({ db, examId: w.exam.id, kind: 'flags', locale: 'zh-CN' }));
    expect(csv.header).toEqual([
      '编号',
      '考场',
      '座位',
      '考生',
      '身份证号',
      '类型',
      '来源',
      '状态',
      '备注',
      '提出人',
      '提出时间',
      '处理人',
      '处理时间',
      '处理说明',
    ]);
    const confirmed = csv.rows.find((r) => r[7] === '已确认')!;
    expect(confirmed.slice(5, 10)).toEqual(['监考标记', '人工', '已确认', '左顾右盼', w.invigilator.name]);
    expect(confirmed[11]).toBe(w.invigilator.name);
    expect(confirmed[12]).not.toBe('');
    expect(confirmed[13]).toBe('已警告');
    const open = csv.rows.find((r) => r[7] === '待处理')!;
    expect(open.slice(11)).toEqual(['', '', '']);
    const en = readCsv(examExportText({ db, examId: w.exam.id, kind: 'flags', locale: 'en' }));
    expect(en.rows.map((r) => r[7]).sort()).toEqual(['Confirmed', 'Open'].sort());
  });

  it('uploads: the ledger with missing chunks', async () => {
    const w = await world();
    const csv = readCsv(examExportText({ db, examId: w.exam.id, kind: 'uploads', locale: 'zh-CN' }));
    expect(csv.rows).toHaveLength(1);
    const r = csv.rows[0]!;
    expect(r[csv.col('录像类型')]).toBe('screen');
    expect(r[csv.col('应收分片')]).toBe('5');
    expect(r[csv.col('已收分片')]).toBe('2');
    expect(r[csv.col('字节数')]).toBe('2048');
    expect(r[csv.col('缺失分片数')]).toBe('3');
    expect(r[csv.col('缺失分片')]).toBe('1-2 4');
    expect(r[csv.col('是否完整')]).toBe('否');
  });

  it('reads in batches: an exam with more events than a batch exports them all, in order', async () => {
    const w = await world();
    const before = readCsv(examExportText({ db, examId: w.exam.id, kind: 'timeline', locale: 'en' })).rows.length;
    const insert = db.$client.prepare('insert into events (room_id, candidate_id, type, device, occurred_at) values (?, ?, ?, ?, ?)');
    db.$client.transaction(() => {
      for (let i = 0; i < 4500; i++) insert.run(w.room.id, w.bob.id, `bulk_${i}`, 'pc', Date.now());
    })();
    const rows = readCsv(examExportText({ db, examId: w.exam.id, kind: 'timeline', locale: 'en' })).rows;
    expect(rows).toHaveLength(before + 4500);
    expect(rows.at(-1)![5]).toBe('bulk_4499');
  });
});

describe('GET /api/admin/exams/[examId]/exports/[kind]', () => {
  const get = (examId: number | string, kind: string) =>
    GET(new Request(`http://localhost/api/admin/exams/${examId}/exports/${kind}`, { headers: cookieHeaders(route) }), {
      params: Promise.resolve({ examId: String(examId), kind }),
    });
  const signIn = async (username: string) => {
    route.token = (await login({ db, kind: 'staff', identifier: username, password: PASSWORD })).token;
  };

  it('an admin downloads each export as a CSV attachment in their language', async () => {
    const w = await world();
    const admin = await makeStaff(db, 'admin');
    await signIn(admin.username!);
    for (const kind of ['timeline', 'flags', 'answers', 'uploads']) {
      const res = await get(w.exam.id, kind);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename\*=UTF-8''/);
      expect(res.headers.get('cache-control')).toBe('private, no-store');
      // Read the bytes: Response.text() would drop the BOM that Excel needs.
      const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer());
      expect(text).toBe(examExportText({ db, examId: w.exam.id, kind: kind as 'timeline', locale: 'zh-CN' }));
    }
    route.locale = 'en';
    const res = await get(w.exam.id, 'answers');
    expect(decodeURIComponent(res.headers.get('content-disposition')!)).toContain('-answers-');
    expect(readCsv(new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer())).header[0]).toBe('Room');
  });

  it('404 for an unknown kind or exam', async () => {
    const w = await world();
    const admin = await makeStaff(db, 'admin');
    await signIn(admin.username!);
    expect((await get(w.exam.id, 'passwords')).status).toBe(404);
    expect((await get(999_999, 'timeline')).status).toBe(404);
    expect((await get('abc', 'timeline')).status).toBe(404);
  });

  it('401 without a session, 403 for invigilators and support', async () => {
    const w = await world();
    expect((await get(w.exam.id, 'answers')).status).toBe(401);
    await signIn(w.invigilator.username!);
    expect((await get(w.exam.id, 'answers')).status).toBe(403);
    await signIn((await makeStaff(db, 'support')).username!);
    expect((await get(w.exam.id, 'answers')).status).toBe(403);
  });
});
