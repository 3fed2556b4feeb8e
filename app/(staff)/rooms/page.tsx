import { getTranslations } from 'next-intl/server';
import { MyRooms } from '@/components/grid/my-rooms';
import { AppHeader } from '@/components/ui/app-header';
import { requireRole } from '@/server/page-auth';

export default async function MyRoomsPage() {
  const user = await requireRole('invigilator');
  const t = await getTranslations('rooms');
  return (
    <>
      <AppHeader user={user} />
      <main className="mx-auto max-w-5xl px-4 py-6">
        <h1 className="mb-4 text-2xl font-semibold">{t('title')}</h1>
        <MyRooms />
      </main>
    </>
  );
}
