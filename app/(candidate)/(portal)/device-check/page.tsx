import { getTranslations } from 'next-intl/server';
import { DeviceCheck } from '@/components/devices/device-check';
import { RECORD_SECONDS } from '@/components/devices/recorder';

export default async function DeviceCheckPage() {
  const t = await getTranslations('deviceCheck');
  return (
    <>
      <h1 className="mb-1 text-2xl font-semibold">{t('title')}</h1>
      <p className="mb-4 text-sm text-slate-500">{t('intro', { seconds: RECORD_SECONDS })}</p>
      <DeviceCheck />
    </>
  );
}
