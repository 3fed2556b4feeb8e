import { notFound } from 'next/navigation';
import { ExamDone } from '@/components/exam/exam-done';
import { requireRole } from '@/server/page-auth';

export default async function ExamDonePage({ params }: { params: Promise<{ examId: string }> }) {
  const user = await requireRole('candidate');
  const examId = Number((await params).examId);
  if (!Number.isInteger(examId) || examId <= 0) notFound();
  return <ExamDone examId={examId} candidateId={user.id} />;
}
