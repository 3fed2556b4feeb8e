import { getTranslations } from 'next-intl/server';
import { MyExams } from '@/components/exam/my-exams';

export default async function MyExamsPage() {
  const t = await getTranslations('exams');
  return (
    <>
      <h1 className="mb-4 text-2xl font-semibold">{t('title')}</h1>
      <MyExams />
    </>
  );
}
