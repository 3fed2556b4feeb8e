'use client';

import { useTranslations } from 'next-intl';

/**
 * The manual's green level bar: moves with the microphone's sound. `peak` draws a marker at
 * the loudest level seen.
 */
export function LevelBar({ level, peak, className = '' }: { level: number; peak?: number; className?: string }) {
  const t = useTranslations('deviceCheck');
  const pct = Math.round(Math.min(1, Math.max(0, level)) * 100);
  return (
    <div
      role="meter"
      aria-label={t('micLevel')}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={pct}
      data-testid="level-bar"
      data-level={level.toFixed(2)}
      className={`relative h-3 w-full overflow-hidden rounded-full bg-slate-200 ${className}`}
    >
      <div className="h-full rounded-full bg-green-500 transition-[width] duration-100 ease-out" style={{ width: `${pct}%` }} />
      {peak !== undefined && peak > 0 && (
        <div aria-hidden className="absolute inset-y-0 w-0.5 bg-green-700" style={{ left: `calc(${Math.round(Math.min(1, peak) * 100)}% - 1px)` }} />
      )}
    </div>
  );
}
