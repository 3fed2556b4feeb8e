'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useState } from 'react';
import { useLive } from '@/components/live/live-provider';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { useErrorText } from '@/components/ui/use-error-text';
import type { MessageStats } from '@/server/events/bus';
import type { AppRouter } from '@/server/routers/_app';
import type { inferRouterOutputs } from '@trpc/server';

type Sent = inferRouterOutputs<AppRouter>['messages']['sent'][number];

/**
 * Live counts stream for the newest few messages only: each is one SSE connection, and a browser
 * holds six per server over HTTP/1.1. Older ones refresh with the list.
 */
const LIVE_ROWS = 3;

export function SentMessages() {
  const t = useTranslations('notices.sent');
  const errorText = useErrorText();
  const sent = trpc.messages.sent.useQuery(undefined, { refetchInterval: 15_000 });
  if (sent.error) return <Alert>{errorText(sent.error)}</Alert>;
  return (
    <section className="space-y-3">
      <h2 className="text-lg font-semibold">{t('heading')}</h2>
      {sent.data?.length === 0 && <p className="py-6 text-center text-sm text-slate-500">{t('empty')}</p>}
      <ul className="space-y-3">
        {sent.data?.map((m, i) => (
          <SentRow key={m.id} message={m} live={i < LIVE_ROWS} />
        ))}
      </ul>
    </section>
  );
}

function SentRow({ message: m, live }: { message: Sent; live: boolean }) {
  const t = useTranslations('notices');
  const format = useFormatter();
  const [stats, setStats] = useState<MessageStats | null>(null);
  useLive(live ? `stats:${m.id}` : null, { onData: setStats });
  // The stream's newest counts, unless the list was refetched since with higher ones.
  const s = stats && stats.delivered + stats.read + stats.acknowledged >= m.stats.delivered + m.stats.read + m.stats.acknowledged ? stats : m.stats;
  const audience = m.audience === 'all' ? t('sent.everyone') : `${t(`compose.audiences.${m.audience}`)} · ${m.targetName ?? ''}`;

  return (
    <li className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm" data-testid={`sent-${m.id}`}>
      <div className="flex flex-wrap items-center gap-2">
        {m.priority === 'urgent' && <span className="rounded bg-red-100 px-1.5 py-0.5 text-xs font-medium text-red-700">{t('sent.urgent')}</span>}
        {m.mustAcknowledge && (
          <span className="rounded border border-amber-300 bg-amber-50 px-1.5 py-0.5 text-xs text-amber-800">{t('sent.mustAcknowledge')}</span>
        )}
        <h3 className="min-w-0 flex-1 truncate font-medium">{m.title}</h3>
        {live && stats && (
          <span className="flex items-center gap-1 text-xs text-green-700" data-testid="sent-live">
            <span aria-hidden className="h-1.5 w-1.5 animate-pulse rounded-full bg-green-600" />
            {t('sent.live')}
          </span>
        )}
        <time dateTime={m.createdAt.toISOString()} className="text-xs text-slate-400">
          {format.dateTime(m.createdAt, 'dayTime')}
        </time>
      </div>
      <p className="mt-1 text-xs text-slate-500">
        {audience} · {t('sent.recipients', { count: s.recipients })}
        {m.senderName && <> · {t('sent.by', { name: m.senderName })}</>}
      </p>
      <p className="mt-1 line-clamp-2 whitespace-pre-line text-sm text-slate-600">{m.body}</p>
      <div className="mt-3 grid gap-2 sm:grid-cols-3">
        <Progress label={t('sent.delivered')} value={s.delivered} of={s.recipients} tone="bg-blue-600" testId="stat-delivered" />
        <Progress label={t('sent.read')} value={s.read} of={s.recipients} tone="bg-sky-500" testId="stat-read" />
        {m.mustAcknowledge && (
          <Progress label={t('sent.acknowledged')} value={s.acknowledged} of={s.recipients} tone="bg-green-600" testId="stat-acknowledged" />
        )}
      </div>
    </li>
  );
}

function Progress({ label, value, of, tone, testId }: { label: string; value: number; of: number; tone: string; testId: string }) {
  const pct = of > 0 ? Math.min(100, Math.round((value / of) * 100)) : 0;
  return (
    <div data-testid={testId} data-value={value} data-of={of}>
      <div className="flex items-baseline justify-between text-xs">
        <span className="text-slate-600">{label}</span>
        <span className="tabular-nums text-slate-700">
          {value}/{of}
        </span>
      </div>
      <div
        className="mt-1 h-2 overflow-hidden rounded-full bg-slate-100"
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={of}
        aria-valuenow={value}
      >
        <div className={`h-full rounded-full transition-[width] duration-300 ${tone}`} style={{ width: `${pct}%` }} />
      </div>
    </div>
  );
}
