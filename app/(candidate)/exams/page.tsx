import { getTranslations } from 'next-intl/server';
import { MyExams } from '@/components/exam/my-exams';
import { AppHeader } from '@/components/ui/app-header';
import { requireRole } from '@/server/page-auth';

export default async function MyExamsPage() {
  const user = await requireRole('candidate');
  const t = await getTranslations('exams');
  return (
    <>
      <AppHeader userName={user.name} />
      <main className="mx-auto max-w-5xl px-4 py-6">
        <h1 className="mb-4 text-2xl font-semibold">{t('title')}</h1>
        <MyExams />
      </main>
    </>
  );
}
