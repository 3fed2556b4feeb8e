import { CandidatesPage } from '@/components/admin/candidates/candidates-page';

/** Candidates of one exam: import, list, edit, password login. The layout has checked the exam. */
export default async function AdminExamCandidatesPage({ params }: { params: Promise<{ examId: string }> }) {
  const examId = Number((await params).examId);
  return <CandidatesPage examId={examId} />;
}
