'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { formatClock, useTick, type ServerNow } from './exam-clock';

/** The waiting stage's big countdown to the start, on server time. */
export function WaitingCountdown({ startsAt, serverNow }: { startsAt: Date; serverNow: ServerNow }) {
  const t = useTranslations('examRoom.waiting');
  const format = useFormatter();
  const now = useTick(serverNow, 250);
  const left = startsAt.getTime() - now;
  return (
    <div className="flex flex-col items-center gap-3 py-6 text-center">
      <p className="text-base text-slate-600">{t('title')}</p>
      <p
        data-testid="waiting-countdown"
        data-ms={Math.max(0, left)}
        className="font-mono text-7xl font-semibold tracking-wider text-blue-700 tabular-nums"
        role="timer"
        aria-live="off"
      >
        {formatClock(left)}
      </p>
      <p className="text-sm text-slate-500">{t('startsAt', { time: format.dateTime(startsAt, 'timeSeconds') })}</p>
    </div>
  );
}

/** Time left until the end (including extra time staff granted); turns red in the last five minutes. */
export function RemainingTime({ endsAt, serverNow }: { endsAt: Date; serverNow: ServerNow }) {
  const t = useTranslations('examRoom');
  const now = useTick(serverNow, 500);
  const left = endsAt.getTime() - now;
  const urgent = left <= 5 * 60_000;
  return (
    <div className={`rounded-lg border px-3 py-2 ${urgent ? 'border-red-200 bg-red-50' : 'border-slate-200 bg-white'}`}>
      <p className="text-xs text-slate-500">{t('remaining')}</p>
      <p
        data-testid="remaining-time"
        data-ms={Math.max(0, left)}
        role="timer"
        className={`font-mono text-3xl font-semibold tabular-nums ${urgent ? 'text-red-600' : 'text-slate-900'}`}
      >
        {formatClock(left)}
      </p>
    </div>
  );
}

/** The server's time of day, in the header under the label "server time" (not the exam's own times). */
export function ServerTimeOfDay({ serverNow }: { serverNow: ServerNow }) {
  const format = useFormatter();
  const now = useTick(serverNow, 1000);
  return <span className="font-mono tabular-nums">{format.dateTime(new Date(now), 'timeSeconds')}</span>;
}

/** "Starts in 04:12" in a line of text, for steps before the waiting stage. */
export function StartsIn({ startsAt, serverNow }: { startsAt: Date; serverNow: ServerNow }) {
  const t = useTranslations('examRoom.waiting');
  const now = useTick(serverNow, 1000);
  const left = startsAt.getTime() - now;
  return <span className="font-medium text-blue-700">{left > 0 ? t('startsIn', { time: formatClock(left) }) : t('started')}</span>;
}
