import { NewExam } from '@/components/admin/exams/new-exam';

export default function NewExamPage() {
  return <NewExam />;
}
