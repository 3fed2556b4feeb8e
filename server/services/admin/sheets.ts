import { and, asc, eq, gt, inArray, ne, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { examAttachments, questionSheets, type Exam, type Question } from '@/db/schema';
import { AppError } from '../../errors';
import { audit } from '../audit';
import { addQuestionSheet } from '../setup';
import { editableExam, examOrThrow, type Actor } from './common';

/**
 * An image in a sheet's body: `![caption](/api/attachments/<id>)`, the id of an attachment of
 * the exam with purpose 'sheet'. The candidate page renders these (components/exam/sheet-body.tsx,
 * which parses the same syntax) and everything else as plain text.
 */
export const SHEET_IMAGE_TOKEN = /!\[([^\]\n]*)\]\(\/api\/attachments\/(\d+)\)/g;

export const sheetImageIds = (body: string) => [...body.matchAll(SHEET_IMAGE_TOKEN)].map((m) => Number(m[2]));

export type SheetInput = { title: string; body: string; questions: Question[] };

/** The paper is frozen from the start time: candidates have it. */
function sheetsOpen(db: DbOrTx, examId: number, now: Date): Exam {
  const exam = editableExam(db, examId);
  if (now >= exam.startsAt) throw new AppError('CONFLICT', 'adminExams.sheetsLocked');
  return exam;
}

/**
 * Question rules: interviews carry reading material only; ids unique across the exam's sheets
 * (answers are stored by question id); choices have at least two distinct, non-empty options
 * and a key among them (one for single, a non-empty set for multiple); free text has neither.
 */
function checkSheet(db: DbOrTx, exam: Exam, input: SheetInput, sheetId: number | null) {
  if (exam.kind === 'interview' && input.questions.length) throw new AppError('BAD_REQUEST', 'adminExams.interviewNoQuestions');
  const taken = new Set(
    db
      .select({ questions: questionSheets.questions })
      .from(questionSheets)
      .where(and(eq(questionSheets.examId, exam.id), sheetId == null ? undefined : ne(questionSheets.id, sheetId)))
      .all()
      .flatMap((s) => s.questions.map((q) => q.id)),
  );
  for (const q of input.questions) {
    const p = { questionId: q.id };
    if (taken.has(q.id)) throw new AppError('BAD_REQUEST', 'adminExams.duplicateQuestionId', p);
    taken.add(q.id);
    if (!q.prompt.trim()) throw new AppError('BAD_REQUEST', 'adminExams.promptEmpty', p);
    if (q.kind === 'text') {
      if (q.options?.length || q.answer !== undefined) throw new AppError('BAD_REQUEST', 'adminExams.textNoKey', p);
      continue;
    }
    const options = q.options ?? [];
    if (options.length < 2) throw new AppError('BAD_REQUEST', 'adminExams.optionsTooFew', p);
    if (options.some((o) => !o.trim())) throw new AppError('BAD_REQUEST', 'adminExams.optionEmpty', p);
    if (new Set(options).size !== options.length) throw new AppError('BAD_REQUEST', 'adminExams.optionsDuplicate', p);
    if (q.kind === 'single') {
      if (typeof q.answer !== 'string' || !q.answer) throw new AppError('BAD_REQUEST', 'adminExams.keyMissing', p);
      if (!options.includes(q.answer)) throw new AppError('BAD_REQUEST', 'adminExams.keyNotOption', p);
    } else {
      if (!Array.isArray(q.answer) || !q.answer.length) throw new AppError('BAD_REQUEST', 'adminExams.keyMissing', p);
      if (new Set(q.answer).size !== q.answer.length || q.answer.some((a) => !options.includes(a)))
        throw new AppError('BAD_REQUEST', 'adminExams.keyNotOption', p);
    }
  }
  const imageIds = [...new Set(sheetImageIds(input.body))];
  if (imageIds.length) {
    const found = new Set(
      db
        .select({ id: examAttachments.id })
        .from(examAttachments)
        .where(and(eq(examAttachments.examId, exam.id), eq(examAttachments.purpose, 'sheet'), inArray(examAttachments.id, imageIds)))
        .all()
        .map((r) => r.id),
    );
    const missing = imageIds.find((id) => !found.has(id));
    if (missing !== undefined) throw new AppError('BAD_REQUEST', 'adminExams.imageNotFound', { id: missing });
  }
}

/** Keys in the stored shape: choices in option order, so the export compares like with like. */
function normalised(questions: Question[]): Question[] {
  return questions.map((q) => {
    const base = { id: q.id, kind: q.kind, prompt: q.prompt, ...(q.points != null ? { points: q.points } : {}) };
    if (q.kind === 'text') return base;
    const options = q.options!;
    const answer = q.kind === 'multiple' ? options.filter((o) => (q.answer as string[]).includes(o)) : q.answer;
    return { ...base, options, answer };
  });
}

/** The sheets with their answer keys: staff only. */
export function listSheets({ db, examId }: { db: DbOrTx; examId: number }) {
  examOrThrow(db, examId);
  return db
    .select({
      id: questionSheets.id,
      position: questionSheets.position,
      title: questionSheets.title,
      body: questionSheets.body,
      questions: questionSheets.questions,
    })
    .from(questionSheets)
    .where(eq(questionSheets.examId, examId))
    .orderBy(asc(questionSheets.position))
    .all();
}

export function createSheet({ db, actorId, examId, now = new Date(), ...input }: Actor & { examId: number } & SheetInput) {
  return db.transaction((tx) => {
    const exam = sheetsOpen(tx, examId, now);
    checkSheet(tx, exam, input, null);
    const last = tx
      .select({ p: sql<number | null>`max(${questionSheets.position})` })
      .from(questionSheets)
      .where(eq(questionSheets.examId, examId))
      .get()?.p;
    const sheet = addQuestionSheet({ db: tx, examId, position: (last ?? 0) + 1, title: input.title, body: input.body, questions: normalised(input.questions) });
    audit(tx, { actorId, action: 'sheet.created', examId, detail: { sheetId: sheet.id, title: sheet.title, questions: sheet.questions.length }, at: now });
    return sheet;
  });
}

function sheetOf(db: DbOrTx, examId: number, sheetId: number) {
  const sheet = db
    .select()
    .from(questionSheets)
    .where(and(eq(questionSheets.id, sheetId), eq(questionSheets.examId, examId)))
    .get();
  if (!sheet) throw new AppError('NOT_FOUND', 'adminExams.sheetNotFound');
  return sheet;
}

export function updateSheet({ db, actorId, examId, sheetId, now = new Date(), ...input }: Actor & { examId: number; sheetId: number } & SheetInput) {
  return db.transaction((tx) => {
    const exam = sheetsOpen(tx, examId, now);
    const before = sheetOf(tx, examId, sheetId);
    checkSheet(tx, exam, input, sheetId);
    const sheet = tx
      .update(questionSheets)
      .set({ title: input.title, body: input.body, questions: normalised(input.questions) })
      .where(eq(questionSheets.id, sheetId))
      .returning()
      .get();
    const changed = (['title', 'body', 'questions'] as const).filter((f) => JSON.stringify(before[f]) !== JSON.stringify(sheet[f]));
    audit(tx, { actorId, action: 'sheet.updated', examId, detail: { sheetId, title: sheet.title, changed, questions: sheet.questions.length }, at: now });
    return sheet;
  });
}

/** Deletes a sheet and closes the gap, so positions stay 1..n. */
export function deleteSheet({ db, actorId, examId, sheetId, now = new Date() }: Actor & { examId: number; sheetId: number }) {
  return db.transaction((tx) => {
    sheetsOpen(tx, examId, now);
    const sheet = sheetOf(tx, examId, sheetId);
    tx.delete(questionSheets).where(eq(questionSheets.id, sheetId)).run();
    // Ascending, so each sheet moves into the place just freed: the (exam, position) index never sees a clash.
    const after = tx
      .select({ id: questionSheets.id, position: questionSheets.position })
      .from(questionSheets)
      .where(and(eq(questionSheets.examId, examId), gt(questionSheets.position, sheet.position)))
      .orderBy(asc(questionSheets.position))
      .all();
    for (const s of after)
      tx.update(questionSheets)
        .set({ position: s.position - 1 })
        .where(eq(questionSheets.id, s.id))
        .run();
    audit(tx, { actorId, action: 'sheet.deleted', examId, detail: { sheetId, title: sheet.title }, at: now });
    return { ok: true as const };
  });
}

/** Swaps a sheet with its neighbour above or below; at either end nothing moves. */
export function moveSheet({
  db,
  actorId,
  examId,
  sheetId,
  direction,
  now = new Date(),
}: Actor & { examId: number; sheetId: number; direction: 'up' | 'down' }) {
  return db.transaction((tx) => {
    sheetsOpen(tx, examId, now);
    const sheet = sheetOf(tx, examId, sheetId);
    const sheets = listSheets({ db: tx, examId });
    const at = sheets.findIndex((s) => s.id === sheetId);
    const other = sheets[direction === 'up' ? at - 1 : at + 1];
    if (!other) return listSheets({ db: tx, examId });
    // Through a free position: the unique (exam, position) index holds at every step.
    tx.update(questionSheets).set({ position: -1 }).where(eq(questionSheets.id, sheet.id)).run();
    tx.update(questionSheets).set({ position: sheet.position }).where(eq(questionSheets.id, other.id)).run();
    tx.update(questionSheets).set({ position: other.position }).where(eq(questionSheets.id, sheet.id)).run();
    audit(tx, { actorId, action: 'sheet.moved', examId, detail: { sheetId, title: sheet.title, from: sheet.position, to: other.position }, at: now });
    return listSheets({ db: tx, examId });
  });
}
