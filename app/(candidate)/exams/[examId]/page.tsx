import { notFound } from 'next/navigation';
import { ExamRoom } from '@/components/exam/exam-room';
import { requireRole } from '@/server/page-auth';

export default async function ExamPage({ params }: { params: Promise<{ examId: string }> }) {
  const user = await requireRole('candidate');
  const examId = Number((await params).examId);
  if (!Number.isInteger(examId) || examId <= 0) notFound();
  // The candidate's id keys the answers kept on this device, so two people sharing a computer never mix.
  return <ExamRoom examId={examId} candidateId={user.id} />;
}
