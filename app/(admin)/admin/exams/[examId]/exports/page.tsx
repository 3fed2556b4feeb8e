import { ExportCards } from '@/components/admin/dashboard/export-cards';
import { examFromParams } from '@/server/admin-http';

/** The exam's CSV exports. */
export default async function AdminExamExportsPage({ params }: { params: Promise<{ examId: string }> }) {
  const exam = await examFromParams(params);
  return <ExportCards examId={exam.id} kind={exam.kind} />;
}
