import { notFound } from 'next/navigation';
import { ChiefOverview } from '@/components/grid/chief-overview';
import { AppHeader } from '@/components/ui/app-header';
import { requireRole } from '@/server/page-auth';

export default async function ChiefPage({ params }: { params: Promise<{ examId: string }> }) {
  const user = await requireRole('invigilator');
  const examId = Number((await params).examId);
  if (!Number.isInteger(examId) || examId <= 0) notFound();
  return (
    <>
      <AppHeader user={user} />
      <ChiefOverview examId={examId} />
    </>
  );
}
