'use client';

import { useTranslations } from 'next-intl';
import type { QueueState } from './answers-queue';
import { ACTION, Banner } from './integrity-banners';

/**
 * Shown once a newer page (another tab, browser or device) holds the exam: this page is
 * read-only, says whether what was typed here has reached the server, and can take the exam back.
 */
export function OtherPageBanner({ answers, onTakeOver }: { answers: QueueState; onTakeOver: () => void }) {
  const t = useTranslations('written.otherPage');
  const pending = answers.pendingCount;
  return (
    <Banner
      tone="danger"
      testId="banner-other-page"
      action={
        <button type="button" className={ACTION} data-testid="take-over" title={t('actionHint')} onClick={onTakeOver}>
          {t('action')}
        </button>
      }
    >
      <p className="font-medium">{t('title')}</p>
      <p data-testid="other-page-save" data-pending={pending}>
        {pending === 0 ? t('saved') : answers.status === 'saving' ? t('saving', { count: pending }) : t('failed', { count: pending })}
      </p>
    </Banner>
  );
}
