import { notFound } from 'next/navigation';
import { ExportCards } from '@/components/admin/dashboard/export-cards';
import { getDb } from '@/server/db';
import { AppError } from '@/server/errors';
import { examOrThrow } from '@/server/services/admin/common';

/** The exam's CSV exports. */
export default async function AdminExamExportsPage({ params }: { params: Promise<{ examId: string }> }) {
  const examId = Number((await params).examId);
  if (!Number.isInteger(examId) || examId <= 0) notFound();
  let exam;
  try {
    exam = examOrThrow(getDb(), examId);
  } catch (err) {
    if (err instanceof AppError) notFound();
    throw err;
  }
  return <ExportCards examId={examId} kind={exam.kind} />;
}
