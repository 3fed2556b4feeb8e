import { MyExams } from '@/components/exam/my-exams';

export default function MyExamsPage() {
  return <MyExams />;
}
