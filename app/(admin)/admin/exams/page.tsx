import { ExamList } from '@/components/admin/exams/exam-list';

/** All exams (the admin layout has checked the role). */
export default function AdminExamsPage() {
  return <ExamList />;
}
