import { and, eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { examAttachments, registrations } from '@/db/schema';
import type { SessionUser } from './auth';

/** An attachment for a candidate registered for its exam (staff may read any), or null. */
export function attachmentFor({ db, user, attachmentId }: { db: Db; user: SessionUser; attachmentId: number }) {
  const file = db.select().from(examAttachments).where(eq(examAttachments.id, attachmentId)).get();
  if (!file) return null;
  if (user.role === 'candidate') {
    const reg = db
      .select({ id: registrations.id })
      .from(registrations)
      .where(and(eq(registrations.examId, file.examId), eq(registrations.candidateId, user.id)))
      .get();
    if (!reg) return null;
  }
  return file;
}
