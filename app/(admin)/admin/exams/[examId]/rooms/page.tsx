import { RoomsConsole } from '@/components/admin/rooms/rooms-console';

/** The exam layout has checked the id and that the exam exists. */
export default async function ExamRoomsPage({ params }: { params: Promise<{ examId: string }> }) {
  return <RoomsConsole examId={Number((await params).examId)} />;
}
