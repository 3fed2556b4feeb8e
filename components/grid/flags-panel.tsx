'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { useErrorText } from '@/components/ui/use-error-text';

/**
 * The room's flags: every one is a suggestion someone confirms or dismisses. Counts per type
 * include the resolved ones, so a pattern (ten dismissed "tab hidden") stays visible.
 */
export function FlagsPanel({ roomId, onClose, onOpenCandidate }: { roomId: number; onClose: () => void; onOpenCandidate: (candidateId: number) => void }) {
  const t = useTranslations('flags');
  const format = useFormatter();
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const flags = trpc.invigilate.flags.useQuery({ roomId }, { staleTime: Infinity, refetchOnWindowFocus: false });
  // Resolved at once on screen: the buttons go before a second click can find them, and a
  // refusal (someone else was quicker) is corrected by the refetch.
  const resolve = trpc.invigilate.resolveFlag.useMutation({
    onMutate: ({ flagId, resolution }) => {
      utils.invigilate.flags.setData({ roomId }, (prev) => prev?.map((f) => (f.id === flagId ? { ...f, status: resolution, resolvedAt: new Date() } : f)));
    },
    onSettled: () => {
      void utils.invigilate.flags.invalidate({ roomId });
    },
  });
  const [filter, setFilter] = useState<'open' | 'all'>('open');
  const all = flags.data ?? [];
  const list = filter === 'open' ? all.filter((f) => f.status === 'open') : all;
  const counts = new Map<string, { open: number; confirmed: number; dismissed: number }>();
  for (const f of all) {
    const c = counts.get(f.type) ?? { open: 0, confirmed: 0, dismissed: 0 };
    c[f.status]++;
    counts.set(f.type, c);
  }
  const openCount = all.filter((f) => f.status === 'open').length;

  return (
    <aside
      data-testid="flags-panel"
      className="absolute inset-y-0 right-0 z-30 flex w-[400px] max-w-full flex-col rounded-lg border border-slate-200 bg-white shadow-xl"
    >
      <header className="flex shrink-0 items-center gap-2 border-b border-slate-200 px-4 py-2.5">
        <h2 className="font-semibold">{t('title')}</h2>
        <div className="ml-2 flex rounded-md border border-slate-300 text-sm" role="tablist">
          {(['open', 'all'] as const).map((f) => (
            <button
              key={f}
              type="button"
              role="tab"
              aria-selected={filter === f}
              data-testid={`flags-filter-${f}`}
              className={`px-2.5 py-0.5 first:rounded-l-md last:rounded-r-md ${filter === f ? 'bg-slate-800 text-white' : 'text-slate-600 hover:bg-slate-50'}`}
              onClick={() => setFilter(f)}
            >
              {f === 'open' ? t('filterOpen', { count: openCount }) : t('filterAll', { count: all.length })}
            </button>
          ))}
        </div>
        <button type="button" data-testid="flags-close" className="ml-auto rounded px-2 py-0.5 text-sm text-slate-500 hover:bg-slate-100" onClick={onClose}>
          {t('close')}
        </button>
      </header>
      {counts.size > 0 && (
        <table className="mx-4 mt-2 shrink-0 text-xs text-slate-600" data-testid="flag-counts">
          <thead>
            <tr className="text-slate-400">
              <th className="py-0.5 text-left font-normal">{t('countType')}</th>
              <th className="w-12 text-right font-normal">{t('status.open')}</th>
              <th className="w-12 text-right font-normal">{t('status.confirmed')}</th>
              <th className="w-12 text-right font-normal">{t('status.dismissed')}</th>
            </tr>
          </thead>
          <tbody>
            {[...counts].map(([type, c]) => (
              <tr key={type} data-testid={`flag-count-${type}`} data-open={c.open} data-confirmed={c.confirmed} data-dismissed={c.dismissed}>
                <td className="py-0.5">{t(`type.${type}`)}</td>
                <td className={`text-right tabular-nums ${c.open ? 'font-semibold text-amber-700' : ''}`}>{c.open}</td>
                <td className="text-right tabular-nums">{c.confirmed}</td>
                <td className="text-right tabular-nums">{c.dismissed}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {flags.error && (
        <div className="px-4 pt-2">
          <Alert>{errorText(flags.error)}</Alert>
        </div>
      )}
      {resolve.error && resolve.error.data?.httpStatus !== 409 && (
        <div className="px-4 pt-2">
          <Alert>{errorText(resolve.error)}</Alert>
        </div>
      )}
      <ul className="mt-2 min-h-0 flex-1 space-y-2 overflow-y-auto px-4 pb-4">
        {list.map((f) => (
          <li key={f.id} data-testid={`flag-${f.id}`} data-status={f.status} data-type={f.type} className="rounded-md border border-slate-200 p-2.5 text-sm">
            <div className="flex items-baseline gap-2">
              <button type="button" className="font-medium text-blue-700 hover:underline" onClick={() => onOpenCandidate(f.candidateId)}>
                {t('who', { seat: f.seat, name: f.candidateName })}
              </button>
              <span className="ml-auto shrink-0 text-xs tabular-nums text-slate-400">{format.dateTime(f.createdAt, 'timeSeconds')}</span>
            </div>
            <p className="mt-0.5 flex items-center gap-1.5">
              <span className={`rounded px-1.5 text-xs font-medium ${f.source === 'manual' ? 'bg-purple-100 text-purple-800' : 'bg-amber-100 text-amber-900'}`}>
                {t(`source.${f.source}`)}
              </span>
              <span className="text-slate-800">{t(`type.${f.type}`)}</span>
            </p>
            {f.note && <p className="mt-1 break-words text-xs text-slate-600">{f.note}</p>}
            {f.hasStill && (
              <a href={`/api/flags/${f.id}/still`} target="_blank" rel="noreferrer" className="mt-1.5 block">
                <img
                  src={`/api/flags/${f.id}/still`}
                  alt={t(f.source === 'manual' ? 'stillAlt' : 'cameraStillAlt')}
                  loading="lazy"
                  className="max-h-28 rounded border border-slate-200 bg-slate-900 object-contain"
                />
              </a>
            )}
            {f.status === 'open' ? (
              <div className="mt-2 flex gap-2">
                <button
                  type="button"
                  data-testid={`flag-confirm-${f.id}`}
                  className="rounded-md bg-red-600 px-2.5 py-1 text-xs font-medium text-white hover:bg-red-700 disabled:bg-red-300"
                  onClick={() => resolve.mutate({ flagId: f.id, resolution: 'confirmed' })}
                >
                  {t('confirm')}
                </button>
                <button
                  type="button"
                  data-testid={`flag-dismiss-${f.id}`}
                  className="rounded-md border border-slate-300 px-2.5 py-1 text-xs font-medium text-slate-700 hover:bg-slate-50 disabled:text-slate-400"
                  onClick={() => resolve.mutate({ flagId: f.id, resolution: 'dismissed' })}
                >
                  {t('dismiss')}
                </button>
              </div>
            ) : (
              <p className="mt-1 text-xs text-slate-500">
                {t(`status.${f.status}`)}
                {f.resolvedAt && ` · ${format.dateTime(f.resolvedAt, 'time')}`}
                {f.resolutionNote && ` · ${f.resolutionNote}`}
              </p>
            )}
          </li>
        ))}
        {flags.data && list.length === 0 && <li className="py-8 text-center text-sm text-slate-400">{filter === 'open' ? t('emptyOpen') : t('empty')}</li>}
      </ul>
    </aside>
  );
}
