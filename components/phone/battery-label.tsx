'use client';

import { useTranslations } from 'next-intl';

/** "Battery 80% · charging", in the wording of the place it is shown. */
export function BatteryLabel({ level, charging, ns }: { level: number; charging: boolean | null; ns: 'phone.mobile' | 'phone.panel' | 'phone.tile' }) {
  const t = useTranslations(ns);
  const percent = Math.round(level * 100);
  return (
    <span data-battery={percent} data-charging={!!charging} className={percent < 20 && !charging ? 'font-medium text-red-600' : undefined}>
      {t('battery', { percent })}
      {charging ? ` · ${t('charging')}` : ''}
    </span>
  );
}
