import { notFound } from 'next/navigation';
import { ExamRoom } from '@/components/exam/exam-room';
import { requireRole } from '@/server/page-auth';

export default async function ExamPage({ params }: { params: Promise<{ examId: string }> }) {
  await requireRole('candidate');
  const examId = Number((await params).examId);
  if (!Number.isInteger(examId) || examId <= 0) notFound();
  return <ExamRoom examId={examId} />;
}
