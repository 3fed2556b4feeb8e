'use client';

import { useTranslations } from 'next-intl';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import type { ScreenShareProblem } from './use-exam-publisher';
import { StepCard } from './written-steps';

/** The three kinds of thing a browser's picker offers; only the first is accepted. */
function PickerChoices() {
  const t = useTranslations('screenShare.choices');
  const choices = [
    { key: 'screen', ok: true },
    { key: 'window', ok: false },
    { key: 'tab', ok: false },
  ] as const;
  return (
    <ul className="grid grid-cols-3 gap-3" aria-label={t('label')}>
      {choices.map(({ key, ok }) => (
        <li
          key={key}
          className={`flex flex-col items-center gap-2 rounded-lg border p-3 text-center text-sm ${ok ? 'border-blue-500 bg-blue-50 text-blue-900' : 'border-slate-200 bg-slate-50 text-slate-400'}`}
        >
          <svg aria-hidden viewBox="0 0 64 44" className="h-10 w-14">
            <rect x="2" y="2" width="60" height="34" rx="3" fill="none" stroke="currentColor" strokeWidth="3" />
            {key === 'window' && <rect x="14" y="10" width="30" height="18" fill="currentColor" opacity="0.5" />}
            {key === 'tab' && <rect x="6" y="6" width="18" height="6" fill="currentColor" opacity="0.5" />}
            {key === 'screen' && <rect x="6" y="6" width="52" height="26" fill="currentColor" opacity="0.35" />}
            <path d="M24 42h16" stroke="currentColor" strokeWidth="3" />
          </svg>
          <span className={ok ? 'font-semibold' : 'line-through'}>{t(key)}</span>
          <span className="text-xs">{ok ? t('choose') : t('notThis')}</span>
        </li>
      ))}
    </ul>
  );
}

/**
 * Says what will be shared and why before the browser asks, then asks from the candidate's click
 * (`onShare` must call getDisplayMedia at once, see `useExamPublisher`). A cancelled picker or a
 * window or tab instead of the whole screen is explained here and offered again.
 */
export function ScreenShareStep({ pending, problem, onShare }: { pending: boolean; problem: ScreenShareProblem | null; onShare: () => void }) {
  const t = useTranslations('screenShare');
  return (
    <StepCard title={t('title')} lead={t('lead')} testId="screen-share-step">
      <div className="space-y-4 text-sm text-slate-700">
        <dl className="grid grid-cols-[6rem_1fr] gap-x-4 gap-y-2">
          <dt className="text-slate-500">{t('whatLabel')}</dt>
          <dd>{t('what')}</dd>
          <dt className="text-slate-500">{t('whyLabel')}</dt>
          <dd>{t('why')}</dd>
          <dt className="text-slate-500">{t('howLabel')}</dt>
          <dd>{t('how')}</dd>
        </dl>
        <PickerChoices />
        <p className="text-xs text-slate-500">{t('keep')}</p>
      </div>
      {problem && (
        <div className="mt-4" data-testid="screen-share-problem" data-problem={problem}>
          <Alert tone="warning">{t(`problem.${problem}`)}</Alert>
        </div>
      )}
      <div className="mt-5 flex items-center justify-end gap-3">
        {pending && (
          <span role="status" className="text-sm text-slate-500">
            {t('pending')}
          </span>
        )}
        <Button data-testid="share-screen" onClick={onShare} disabled={pending}>
          {problem ? t('again') : t('share')}
        </Button>
      </div>
    </StepCard>
  );
}
