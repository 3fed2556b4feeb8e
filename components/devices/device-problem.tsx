'use client';

import { useTranslations } from 'next-intl';
import { Button } from '@/components/ui/button';
import type { DeviceErrorKind } from './use-local-stream';

/** What went wrong with a camera or microphone and how to fix it, with a retry. */
export function DeviceProblem({
  kind,
  error,
  onRetry,
  dark = false,
}: {
  kind: 'camera' | 'microphone';
  error: DeviceErrorKind;
  onRetry?: () => void;
  dark?: boolean;
}) {
  const t = useTranslations('deviceCheck');
  const device = t(`deviceName.${kind}`);
  return (
    <div
      role="alert"
      data-testid={`${kind}-problem`}
      data-error={error}
      className={`max-w-md space-y-2 text-sm ${dark ? 'text-center text-slate-100' : 'rounded-md border border-red-200 bg-red-50 px-3 py-2 text-red-800'}`}
    >
      <p className="font-medium">{t(`problem.${error}.title`, { device })}</p>
      <p className={`leading-relaxed ${dark ? 'text-slate-300' : ''}`}>{t(`problem.${error}.help`, { device })}</p>
      {onRetry && (
        <Button variant="secondary" onClick={onRetry} className="mt-1">
          {t('retry')}
        </Button>
      )}
    </div>
  );
}
