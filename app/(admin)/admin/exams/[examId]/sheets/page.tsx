import { SheetEditor } from '@/components/admin/exams/sheet-editor';

/** The exam layout has checked the id and that the exam exists. */
export default async function ExamSheetsPage({ params }: { params: Promise<{ examId: string }> }) {
  return <SheetEditor examId={Number((await params).examId)} />;
}
