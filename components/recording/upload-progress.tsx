'use client';

import { useTranslations } from 'next-intl';
import { useEffect } from 'react';
import { formatMb as mb } from './ledger-summary';
import { uploadPhase } from './upload-queue';
import { candidateOwner, useUploadBacklog } from './use-upload-backlog';

/**
 * The end-of-exam upload: a progress bar and "do not close this page" until every recorded chunk
 * on this device is confirmed by the server. Mounting it is what drains the backlog (also one a
 * crashed page left behind). While anything is pending, closing the tab asks first.
 */
export function UploadProgress({ candidateId }: { candidateId: number }) {
  const t = useTranslations('recording.upload');
  const backlog = useUploadBacklog(candidateOwner(candidateId));
  const phase = uploadPhase(backlog);
  const busy = phase === 'uploading' || phase === 'offline' || phase === 'login';

  useEffect(() => {
    if (!busy) return;
    const warn = (e: BeforeUnloadEvent) => e.preventDefault();
    window.addEventListener('beforeunload', warn);
    return () => window.removeEventListener('beforeunload', warn);
  }, [busy]);

  const total = backlog.uploadedBytes + backlog.bytes;
  const percent = total > 0 ? Math.floor((backlog.uploadedBytes / total) * 100) : phase === 'done' ? 100 : 0;

  return (
    <section
      data-testid="upload-progress"
      data-phase={phase}
      data-pending={backlog.chunks}
      className={`rounded-md border px-4 py-3 ${phase === 'done' ? 'border-green-200 bg-green-50' : 'border-blue-200 bg-blue-50'}`}
    >
      <div className="flex items-center justify-between gap-3 text-sm">
        <span className={`font-medium ${phase === 'done' ? 'text-green-800' : 'text-blue-900'}`}>{t(`title.${phase}`)}</span>
        {busy && (
          <span className="tabular-nums text-slate-600" data-testid="upload-amount">
            {t('amount', { done: mb(backlog.uploadedBytes), total: mb(total), chunks: backlog.chunks })}
          </span>
        )}
      </div>
      <div
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-label={t('barLabel')}
        className="mt-2 h-2 overflow-hidden rounded-full bg-white"
      >
        <div className={`h-full rounded-full transition-[width] ${phase === 'done' ? 'bg-green-500' : 'bg-blue-500'}`} style={{ width: `${percent}%` }} />
      </div>
      {busy && (
        <p role="alert" data-testid="do-not-close" className="mt-2 text-sm font-semibold text-red-700">
          {t('doNotClose')}
        </p>
      )}
      {phase === 'offline' && <p className="mt-1 text-sm text-amber-800">{t('offline')}</p>}
      {phase === 'login' && <p className="mt-1 text-sm text-amber-800">{t('login')}</p>}
      {backlog.refused > 0 && <p className="mt-1 text-sm text-red-700">{t('refused', { count: backlog.refused })}</p>}
    </section>
  );
}
