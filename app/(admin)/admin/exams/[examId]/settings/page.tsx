import { ExamSettings } from '@/components/admin/exams/exam-settings';

/** The exam layout has checked the id and that the exam exists. */
export default async function ExamSettingsPage({ params }: { params: Promise<{ examId: string }> }) {
  return <ExamSettings examId={Number((await params).examId)} />;
}
