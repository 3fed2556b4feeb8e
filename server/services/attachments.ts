import { and, eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { examAttachments, exams, registrations } from '@/db/schema';
import type { SessionUser } from './auth';

/**
 * An attachment for a candidate registered for its exam (staff may read any), or null. Images of
 * question sheets are the question material: a candidate gets them only from the start time.
 */
export function attachmentFor({ db, user, attachmentId, now = new Date() }: { db: Db; user: SessionUser; attachmentId: number; now?: Date }) {
  const file = db.select().from(examAttachments).where(eq(examAttachments.id, attachmentId)).get();
  if (!file) return null;
  if (user.role === 'candidate') {
    const reg = db
      .select({ id: registrations.id })
      .from(registrations)
      .where(and(eq(registrations.examId, file.examId), eq(registrations.candidateId, user.id)))
      .get();
    if (!reg) return null;
    if (file.purpose === 'sheet') {
      const exam = db.select({ startsAt: exams.startsAt }).from(exams).where(eq(exams.id, file.examId)).get();
      if (!exam || now < exam.startsAt) return null;
    }
  }
  return file;
}
