import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { examAttachments, exams } from '@/db/schema';
import { AppError } from '../../errors';
import { audit } from '../audit';
import { addAttachment } from '../setup';
import { editableExam, examOrThrow, examUnderWay, type Actor } from './common';
import { allowedExtensions, checkedUpload, INSTRUCTIONS_MAX_BYTES } from './exams';

/**
 * The spoken instructions of an exam: one audio file (an attachment of purpose `instructions`)
 * and its caption, the written version of what is said. Both are fixed once entry opens, like
 * the notice: every candidate in the exam hears and reads the same words, and the caption
 * never drifts from the audio it transcribes.
 */

export const INSTRUCTIONS_CAPTION_MAX = 2000;

const instructionsFile = (db: DbOrTx, examId: number) =>
  db
    .select({
      id: examAttachments.id,
      fileName: examAttachments.fileName,
      contentType: examAttachments.contentType,
      size: sql<number>`length(${examAttachments.content})`,
      createdAt: examAttachments.createdAt,
    })
    .from(examAttachments)
    .where(and(eq(examAttachments.examId, examId), eq(examAttachments.purpose, 'instructions')))
    .get() ?? null;

/** The audio (if any), the caption, whether they may still change, and the bounds the form checks before sending. */
export function examInstructions({ db, examId, now = new Date() }: { db: DbOrTx; examId: number; now?: Date }) {
  const exam = examOrThrow(db, examId);
  return {
    file: instructionsFile(db, examId),
    caption: exam.instructionsCaption,
    locked: !!exam.archivedAt || examUnderWay(exam, now),
    limits: { captionMax: INSTRUCTIONS_CAPTION_MAX, maxBytes: INSTRUCTIONS_MAX_BYTES, extensions: allowedExtensions('instructions') },
  };
}

function openExam(db: DbOrTx, examId: number, now: Date) {
  const exam = editableExam(db, examId);
  if (examUnderWay(exam, now)) throw new AppError('CONFLICT', 'adminExams.instructionsLocked');
  return exam;
}

/** Sets the audio, replacing the one before (an exam has at most one). */
export function uploadInstructions({
  db,
  actorId,
  examId,
  fileName,
  contentBase64,
  now = new Date(),
}: Actor & { examId: number; fileName: string; contentBase64: string }) {
  const { name, contentType, content } = checkedUpload({ fileName, contentBase64, purpose: 'instructions' });
  return db.transaction((tx) => {
    openExam(tx, examId, now);
    const replaced = instructionsFile(tx, examId);
    if (replaced) tx.delete(examAttachments).where(eq(examAttachments.id, replaced.id)).run();
    const row = addAttachment({ db: tx, examId, fileName: name, contentType, content, purpose: 'instructions' });
    audit(tx, {
      actorId,
      action: 'instructions.uploaded',
      examId,
      detail: {
        attachmentId: row.id,
        fileName: name,
        size: content.length,
        replaced: replaced ? { attachmentId: replaced.id, fileName: replaced.fileName } : null,
      },
      at: now,
    });
    return { id: row.id, fileName: name, contentType, size: content.length };
  });
}

export function removeInstructions({ db, actorId, examId, now = new Date() }: Actor & { examId: number }) {
  return db.transaction((tx) => {
    openExam(tx, examId, now);
    const file = instructionsFile(tx, examId);
    if (!file) throw new AppError('NOT_FOUND', 'adminExams.instructionsNotFound');
    tx.delete(examAttachments).where(eq(examAttachments.id, file.id)).run();
    audit(tx, { actorId, action: 'instructions.removed', examId, detail: { attachmentId: file.id, fileName: file.fileName }, at: now });
    return { ok: true as const };
  });
}

/** The caption; the router has trimmed it and bounded its length. */
export function setInstructionsCaption({ db, actorId, examId, caption, now = new Date() }: Actor & { examId: number; caption: string }) {
  return db.transaction((tx) => {
    const exam = openExam(tx, examId, now);
    if (exam.instructionsCaption === caption) return { caption };
    tx.update(exams).set({ instructionsCaption: caption }).where(eq(exams.id, examId)).run();
    audit(tx, { actorId, action: 'instructions.caption_changed', examId, detail: { from: exam.instructionsCaption, to: caption }, at: now });
    return { caption };
  });
}
