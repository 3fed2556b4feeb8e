import { notFound } from 'next/navigation';
import { RoomGrid } from '@/components/grid/room-grid';
import { AppHeader } from '@/components/ui/app-header';
import { requireRole } from '@/server/page-auth';

export default async function RoomPage({ params }: { params: Promise<{ roomId: string }> }) {
  const user = await requireRole('invigilator');
  const roomId = Number((await params).roomId);
  if (!Number.isInteger(roomId) || roomId <= 0) notFound();
  return (
    <>
      <AppHeader user={user} wide />
      <RoomGrid roomId={roomId} />
    </>
  );
}
