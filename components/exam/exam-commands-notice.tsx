'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useEffect } from 'react';
import type { ExtraTimeNotice } from './exam-commands';

const SHOWN_MS = 20_000;

/** "The invigilator gave you N more minutes", for a while; the countdown has already moved. */
export function ExtraTimeBanner({ notice, onDismiss }: { notice: ExtraTimeNotice; onDismiss: () => void }) {
  const t = useTranslations('examRoom.extraTime');
  const format = useFormatter();

  useEffect(() => {
    const timer = setTimeout(onDismiss, SHOWN_MS);
    return () => clearTimeout(timer);
  }, [notice.key, onDismiss]);

  return (
    <div
      role="status"
      data-testid="extra-time-notice"
      data-minutes={notice.minutes}
      className="flex items-center gap-3 rounded-lg border border-green-200 bg-green-50 px-4 py-2.5 text-sm text-green-900"
    >
      <span aria-hidden className="flex h-6 w-6 shrink-0 items-center justify-center rounded-full bg-green-100 text-green-700">
        +
      </span>
      <p className="flex-1">
        <span className="font-medium">{t('title', { minutes: notice.minutes })}</span>
        <span className="ml-2 text-green-800">{t('endsAt', { time: format.dateTime(notice.endsAt, 'timeSeconds') })}</span>
      </p>
      <button
        type="button"
        onClick={onDismiss}
        className="shrink-0 rounded-md px-2 py-1 text-sm text-green-800 hover:bg-green-100"
        data-testid="extra-time-dismiss"
      >
        {t('dismiss')}
      </button>
    </div>
  );
}

/** The exam was ended by staff: shown for the moment it takes to stop the media and leave. */
export function StaffEndedBanner() {
  const t = useTranslations('examRoom');
  return (
    <div role="alert" data-testid="staff-ended" className="rounded-lg border border-blue-200 bg-blue-50 px-4 py-2.5 text-sm font-medium text-blue-900">
      {t('staffEnded')}
    </div>
  );
}
