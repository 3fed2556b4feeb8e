import { getTranslations } from 'next-intl/server';
import { SystemCheck } from '@/components/checks/system-check';

export default async function SystemCheckPage() {
  const t = await getTranslations('systemCheck');
  return (
    <>
      <h1 className="mb-1 text-2xl font-semibold">{t('title')}</h1>
      <p className="mb-4 text-sm text-slate-500">{t('pageIntro')}</p>
      <SystemCheck autoReport />
    </>
  );
}
