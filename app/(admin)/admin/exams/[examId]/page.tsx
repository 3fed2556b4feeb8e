import { notFound } from 'next/navigation';
import { ExamDashboard } from '@/components/admin/dashboard/exam-dashboard';

/** The exam overview: the live dashboard of the day (the layout has checked the exam exists). */
export default async function AdminExamOverviewPage({ params }: { params: Promise<{ examId: string }> }) {
  const examId = Number((await params).examId);
  if (!Number.isInteger(examId) || examId <= 0) notFound();
  return <ExamDashboard examId={examId} />;
}
