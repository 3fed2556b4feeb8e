import { ExamProcess } from '@/components/process/exam-process';

export default function ExamProcessPage() {
  return <ExamProcess />;
}
