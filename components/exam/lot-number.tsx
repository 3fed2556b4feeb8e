'use client';

import { useTranslations } from 'next-intl';
import { Button } from '@/components/ui/button';

export function LotNumber({ lotNumber }: { lotNumber: number }) {
  const t = useTranslations('exams.lot');
  return (
    <div className="flex items-baseline gap-2 rounded-md border border-blue-200 bg-blue-50 px-3 py-1" title={t('hint')}>
      <span className="text-xs text-blue-800">{t('label')}</span>
      <span data-testid="lot-number" className="text-3xl font-bold tabular-nums leading-tight text-blue-700">
        {lotNumber}
      </span>
    </div>
  );
}

export function DrawLotButton({ pending, onDraw }: { pending: boolean; onDraw: () => void }) {
  const t = useTranslations('exams.lot');
  return (
    <Button data-testid="draw-lot" onClick={onDraw} disabled={pending}>
      {pending ? t('drawing') : t('draw')}
    </Button>
  );
}
