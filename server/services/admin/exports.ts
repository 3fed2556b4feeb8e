import { and, asc, eq, gt, inArray, isNotNull } from 'drizzle-orm';
import { alias } from 'drizzle-orm/sqlite-core';
import type { Db } from '@/db/client';
import { answers, events, examRooms, flags, questionSheets, recordingChunks, recordings, registrations, users, type Question } from '@/db/schema';
import type { Locale } from '../../i18n/config';
import { serverTranslator } from '../../i18n/messages';
import { examOrThrow, localTime, toCsv } from './common';

export const EXPORT_KINDS = ['timeline', 'flags', 'answers', 'uploads'] as const;
export type ExportKind = (typeof EXPORT_KINDS)[number];
export const isExportKind = (s: string): s is ExportKind => (EXPORT_KINDS as readonly string[]).includes(s);

/* ------------------------------------------------------------------ scoring */

export type QuestionScore = {
  /** Points earned; null for questions that are not scored (free text, or no answer key). */
  score: number | null;
  /** Points available; null when not scored. */
  points: number | null;
};

const asList = (v: string | string[] | null | undefined) => (v == null ? [] : Array.isArray(v) ? v : [v]);

/**
 * Scores one answer against the question's key. Single choice: the chosen option equals the
 * key. Multiple choice: the same set of options (all or nothing; order and repeats do not
 * matter). Free text, or an objective question without a key: not scored. Points default to 1.
 */
export function scoreAnswer(question: Pick<Question, 'kind' | 'points' | 'answer'>, value: string | string[] | null | undefined): QuestionScore {
  if (question.kind === 'text' || question.answer == null) return { score: null, points: null };
  const points = question.points ?? 1;
  if (value == null) return { score: 0, points };
  let right: boolean;
  if (question.kind === 'single') {
    right = typeof value === 'string' && typeof question.answer === 'string' && value === question.answer;
  } else {
    const given = new Set(asList(value));
    const key = new Set(asList(question.answer));
    right = Array.isArray(value) && given.size === key.size && [...key].every((k) => given.has(k));
  }
  return { score: right ? points : 0, points };
}

/** The sum over the objective questions of a candidate's answers. */
export function scoreTotal(scores: QuestionScore[]): { score: number; points: number } {
  return scores.reduce<{ score: number; points: number }>((t, s) => ({ score: t.score + (s.score ?? 0), points: t.points + (s.points ?? 0) }), {
    score: 0,
    points: 0,
  });
}

/* ------------------------------------------------------------------ CSV plumbing */

/** Rows are read this many at a time (keyset pages), so memory stays flat however large the exam. */
const BATCH = 2000;

type Rows = unknown[][];

/**
 * CSV text in pieces: the BOM and the header first, then one piece per batch of rows. Each
 * piece is cut from `toCsv`, so quoting and the formula guard are the shared ones.
 */
export function* csvPieces(header: readonly string[], batches: Iterable<Rows>): Generator<string> {
  const head = toCsv(header, []);
  yield head;
  for (const rows of batches) if (rows.length) yield toCsv(header, rows).slice(head.length);
}

type Ctx = { db: Db; examId: number; locale: Locale };

function columns(locale: Locale, keys: string[]) {
  const t = serverTranslator(locale);
  return keys.map((k) => t(`adminDashboard.exports.columns.${k}` as 'adminDashboard.exports.columns.time'));
}

const candidateUser = alias(users, 'candidate');

/* ------------------------------------------------------------------ timeline */

function* timelineBatches({ db, examId }: Ctx): Generator<Rows> {
  let after = 0;
  for (;;) {
    const page = db
      .select({
        id: events.id,
        at: events.occurredAt,
        room: examRooms.name,
        seat: registrations.seat,
        name: candidateUser.name,
        idNumber: candidateUser.idNumber,
        type: events.type,
        device: events.device,
        payload: events.payload,
      })
      .from(events)
      .innerJoin(examRooms, eq(examRooms.id, events.roomId))
      .leftJoin(candidateUser, eq(candidateUser.id, events.candidateId))
      .leftJoin(registrations, and(eq(registrations.examId, examId), eq(registrations.candidateId, events.candidateId)))
      .where(and(eq(examRooms.examId, examId), gt(events.id, after)))
      .orderBy(asc(events.id))
      .limit(BATCH)
      .all();
    if (!page.length) return;
    after = page[page.length - 1]!.id;
    yield page.map((e) => [localTime(e.at), e.room, e.seat, e.name, e.idNumber, e.type, e.device, e.payload ? JSON.stringify(e.payload) : '']);
    if (page.length < BATCH) return;
  }
}

/* ------------------------------------------------------------------ flags */

function* flagBatches({ db, examId, locale }: Ctx): Generator<Rows> {
  // Worded as the grid words them (flags.json), raw when a newer value has no words yet.
  const t = serverTranslator(locale) as unknown as { (key: string): string; has(key: string): boolean };
  const word = (group: string, v: string) => (t.has(`flags.${group}.${v}`) ? t(`flags.${group}.${v}`) : v);
  const raiser = alias(users, 'raiser');
  const decider = alias(users, 'decider');
  let after = 0;
  for (;;) {
    const page = db
      .select({
        id: flags.id,
        room: examRooms.name,
        seat: registrations.seat,
        name: candidateUser.name,
        idNumber: candidateUser.idNumber,
        type: flags.type,
        source: flags.source,
        status: flags.status,
        note: flags.note,
        raisedBy: raiser.name,
        raisedAt: flags.createdAt,
        decidedBy: decider.name,
        decidedAt: flags.resolvedAt,
        decisionNote: flags.resolutionNote,
      })
      .from(flags)
      .innerJoin(examRooms, eq(examRooms.id, flags.roomId))
      .leftJoin(candidateUser, eq(candidateUser.id, flags.candidateId))
      .leftJoin(registrations, and(eq(registrations.examId, examId), eq(registrations.candidateId, flags.candidateId)))
      .leftJoin(raiser, eq(raiser.id, flags.createdBy))
      .leftJoin(decider, eq(decider.id, flags.resolvedBy))
      .where(and(eq(examRooms.examId, examId), gt(flags.id, after)))
      .orderBy(asc(flags.id))
      .limit(BATCH)
      .all();
    if (!page.length) return;
    after = page[page.length - 1]!.id;
    yield page.map((f) => [
      f.id,
      f.room,
      f.seat,
      f.name,
      f.idNumber,
      word('type', f.type),
      word('source', f.source),
      word('status', f.status),
      f.note,
      f.raisedBy,
      localTime(f.raisedAt),
      f.decidedBy,
      localTime(f.decidedAt),
      f.decisionNote,
    ]);
    if (page.length < BATCH) return;
  }
}

/* ------------------------------------------------------------------ answers */

/** Registrations per page for the answers export: each brings one row per question. */
const CANDIDATES_PER_PAGE = 200;

/**
 * One row per candidate and question (answer, key, score, points), then one `total` row per
 * candidate with the objective score. Only candidates who entered the exam are listed: the
 * others have no answers to mark.
 */
function* answerBatches({ db, examId, locale }: Ctx): Generator<Rows> {
  const exam = examOrThrow(db, examId);
  if (exam.kind !== 'written') return;
  const totalLabel = serverTranslator(locale)('adminDashboard.exports.totalRow');
  const questions = db
    .select({ position: questionSheets.position, title: questionSheets.title, questions: questionSheets.questions })
    .from(questionSheets)
    .where(eq(questionSheets.examId, examId))
    .orderBy(asc(questionSheets.position))
    .all()
    .flatMap((s) => s.questions.map((q, i) => ({ sheet: s.title, number: `${s.position}.${i + 1}`, q })));
  const cell = (v: string | string[] | null | undefined) => (v == null ? '' : Array.isArray(v) ? v.join(' | ') : v);
  let after = 0;
  for (;;) {
    const regs = db
      .select({ id: registrations.id, room: examRooms.name, seat: registrations.seat, name: users.name, idNumber: users.idNumber })
      .from(registrations)
      .innerJoin(users, eq(users.id, registrations.candidateId))
      .leftJoin(examRooms, eq(examRooms.id, registrations.roomId))
      .where(and(eq(registrations.examId, examId), isNotNull(registrations.enteredAt), gt(registrations.id, after)))
      .orderBy(asc(registrations.id))
      .limit(CANDIDATES_PER_PAGE)
      .all();
    if (!regs.length) return;
    after = regs[regs.length - 1]!.id;
    const given = new Map<string, string | string[]>();
    for (const a of db
      .select({ registrationId: answers.registrationId, questionId: answers.questionId, value: answers.value })
      .from(answers)
      .where(
        inArray(
          answers.registrationId,
          regs.map((r) => r.id),
        ),
      )
      .all()) {
      given.set(`${a.registrationId}:${a.questionId}`, a.value);
    }
    const rows: Rows = [];
    for (const r of regs) {
      const who = [r.room, r.seat, r.name, r.idNumber];
      const scores: QuestionScore[] = [];
      for (const { sheet, number, q } of questions) {
        const value = given.get(`${r.id}:${q.id}`);
        const s = scoreAnswer(q, value);
        scores.push(s);
        rows.push([...who, sheet, number, q.id, q.kind, cell(value), cell(q.answer), s.score, s.points]);
      }
      const total = scoreTotal(scores);
      rows.push([...who, '', totalLabel, '', 'total', '', '', total.score, total.points]);
    }
    yield rows;
    if (regs.length < CANDIDATES_PER_PAGE) return;
  }
}

/* ------------------------------------------------------------------ uploads */

/** Gap ranges the export lists per recording; `count` still counts every missing chunk. */
const LISTED_GAP_RANGES = 200;

/**
 * Missing sequence numbers as ranges: `3-5 9`. Below `expected` when known, else below the highest
 * received. Walks the received seqs, not 0..expected, and lists at most LISTED_GAP_RANGES ranges
 * (then `…`), so a recording announced with a huge count stays one short line.
 */
export function gapRanges(seqs: number[], expected: number | null): { count: number; text: string } {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const upTo = expected ?? (sorted.length ? sorted[sorted.length - 1]! + 1 : 0);
  const ranges: string[] = [];
  let count = 0;
  let cut = false;
  const gap = (from: number, to: number) => {
    if (from > to) return;
    count += to - from + 1;
    if (ranges.length < LISTED_GAP_RANGES) ranges.push(from === to ? `${from}` : `${from}-${to}`);
    else cut = true;
  };
  let next = 0;
  for (const s of sorted) {
    if (s >= upTo) break;
    gap(next, s - 1);
    next = s + 1;
  }
  gap(next, upTo - 1);
  return { count, text: cut ? `${ranges.join(' ')} …` : ranges.join(' ') };
}

const RECORDINGS_PER_PAGE = 200;

function* uploadBatches({ db, examId, locale }: Ctx): Generator<Rows> {
  const t = serverTranslator(locale);
  const [yes, no] = [t('adminDashboard.exports.yes'), t('adminDashboard.exports.no')];
  let after = 0;
  for (;;) {
    const page = db
      .select({
        id: recordings.id,
        room: examRooms.name,
        seat: registrations.seat,
        name: users.name,
        idNumber: users.idNumber,
        track: recordings.track,
        startedAt: recordings.startedAt,
        endedAt: recordings.endedAt,
        expected: recordings.expectedChunks,
        received: recordings.receivedChunks,
        bytes: recordings.receivedBytes,
        completedAt: recordings.completedAt,
      })
      .from(recordings)
      .innerJoin(users, eq(users.id, recordings.candidateId))
      .leftJoin(registrations, and(eq(registrations.examId, examId), eq(registrations.candidateId, recordings.candidateId)))
      .leftJoin(examRooms, eq(examRooms.id, registrations.roomId))
      .where(and(eq(recordings.examId, examId), gt(recordings.id, after)))
      .orderBy(asc(recordings.id))
      .limit(RECORDINGS_PER_PAGE)
      .all();
    if (!page.length) return;
    after = page[page.length - 1]!.id;
    const seqs = new Map<number, number[]>(page.map((r) => [r.id, []]));
    for (const c of db
      .select({ recordingId: recordingChunks.recordingId, seq: recordingChunks.seq })
      .from(recordingChunks)
      .where(inArray(recordingChunks.recordingId, [...seqs.keys()]))
      .all()) {
      seqs.get(c.recordingId)!.push(c.seq);
    }
    yield page.map((r) => {
      const gaps = gapRanges(seqs.get(r.id)!, r.expected);
      return [
        r.room,
        r.seat,
        r.name,
        r.idNumber,
        r.track,
        localTime(r.startedAt),
        localTime(r.endedAt),
        r.expected,
        r.received,
        r.bytes,
        gaps.count,
        gaps.text,
        r.completedAt ? yes : no,
        localTime(r.completedAt),
      ];
    });
    if (page.length < RECORDINGS_PER_PAGE) return;
  }
}

/* ------------------------------------------------------------------ the exports */

const HEADERS: Record<ExportKind, string[]> = {
  timeline: ['time', 'room', 'seat', 'candidate', 'idNumber', 'eventType', 'device', 'payload'],
  flags: [
    'flagId',
    'room',
    'seat',
    'candidate',
    'idNumber',
    'flagType',
    'source',
    'status',
    'note',
    'raisedBy',
    'raisedAt',
    'decidedBy',
    'decidedAt',
    'decisionNote',
  ],
  answers: ['room', 'seat', 'candidate', 'idNumber', 'sheet', 'questionNumber', 'questionId', 'questionKind', 'answer', 'key', 'score', 'points'],
  uploads: [
    'room',
    'seat',
    'candidate',
    'idNumber',
    'track',
    'startedAt',
    'endedAt',
    'expectedChunks',
    'receivedChunks',
    'bytes',
    'gapCount',
    'gaps',
    'complete',
    'completedAt',
  ],
};

const BATCHES: Record<ExportKind, (ctx: Ctx) => Generator<Rows>> = {
  timeline: timelineBatches,
  flags: flagBatches,
  answers: answerBatches,
  uploads: uploadBatches,
};

/**
 * An export of one exam as CSV pieces, read batch by batch as the consumer pulls (a streamed
 * download never holds the whole file). NOT_FOUND for an unknown exam, checked before the first
 * piece. A written exam's answers only: an interview's answers export is the header alone.
 */
export function examExport({ db, examId, kind, locale }: Ctx & { kind: ExportKind }) {
  const exam = examOrThrow(db, examId);
  const stamp = localTime(new Date()).slice(0, 10);
  return {
    fileName: `${exam.title}-${serverTranslator(locale)(`adminDashboard.exports.fileNames.${kind}`)}-${stamp}.csv`,
    pieces: csvPieces(columns(locale, HEADERS[kind]), BATCHES[kind]({ db, examId, locale })),
  };
}

/** The whole export as one string (tests, small exams). */
export function examExportText(ctx: Ctx & { kind: ExportKind }) {
  return [...examExport(ctx).pieces].join('');
}

/** A web stream of CSV pieces for a download response: each pull reads one batch. */
export function piecesStream(pieces: Iterator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    pull(controller) {
      const next = pieces.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    cancel() {
      pieces.return?.(undefined);
    },
  });
}
