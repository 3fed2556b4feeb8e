import { notFound } from 'next/navigation';
import { RecordingPlayback } from '@/components/recording/playback';
import { AppHeader } from '@/components/ui/app-header';
import { requireRole } from '@/server/page-auth';

const positiveInt = (s: string | undefined) => {
  const n = Number(s);
  return Number.isInteger(n) && n > 0 ? n : null;
};

/** A candidate's recordings of one exam, played side by side; `?room=` adds their timeline as markers. */
export default async function RecordingsPage({
  params,
  searchParams,
}: {
  params: Promise<{ examId: string; candidateId: string }>;
  searchParams: Promise<{ room?: string }>;
}) {
  const user = await requireRole('invigilator');
  const { examId: e, candidateId: c } = await params;
  const examId = positiveInt(e);
  const candidateId = positiveInt(c);
  if (!examId || !candidateId) notFound();
  const roomId = positiveInt((await searchParams).room);
  return (
    <>
      <AppHeader user={user} />
      <RecordingPlayback examId={examId} candidateId={candidateId} roomId={roomId} />
    </>
  );
}
