'use client';

import type { inferRouterOutputs } from '@trpc/server';
import { useFormatter, useTranslations } from 'next-intl';
import { useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import type { AppRouter } from '@/server/routers/_app';

type Item = inferRouterOutputs<AppRouter>['admin']['audit']['list']['items'][number];
type Filters = { examId?: number; actorId?: number; action?: string; from?: string; to?: string };

const PAGE = 50;
/** Date inputs give exam-local days (China Standard Time); the range covers whole days. */
const dayStart = (d: string) => new Date(`${d}T00:00:00+08:00`);
const dayEnd = (d: string) => new Date(`${d}T23:59:59.999+08:00`);

/** The audit log: filters, newest entries first, more on demand, and the same selection as CSV. */
export function AuditLog() {
  const t = useTranslations('adminAudit');
  const errorText = useErrorText();
  const [filters, setFilters] = useState<Filters>({});
  const options = trpc.admin.audit.filters.useQuery();
  const input = {
    examId: filters.examId,
    actorId: filters.actorId,
    action: filters.action,
    from: filters.from ? dayStart(filters.from) : undefined,
    to: filters.to ? dayEnd(filters.to) : undefined,
    limit: PAGE,
  };
  const list = trpc.admin.audit.list.useInfiniteQuery(input, { getNextPageParam: (p) => p.nextCursor ?? undefined, retry: false });
  const items = list.data?.pages.flatMap((p) => p.items) ?? [];

  const exportParams = new URLSearchParams();
  if (input.examId) exportParams.set('examId', String(input.examId));
  if (input.actorId) exportParams.set('actorId', String(input.actorId));
  if (input.action) exportParams.set('action', input.action);
  if (input.from) exportParams.set('from', input.from.toISOString());
  if (input.to) exportParams.set('to', input.to.toISOString());
  const set = (patch: Filters) => setFilters((f) => ({ ...f, ...patch }));
  const actorName = filters.actorId ? items.find((i) => i.actorId === filters.actorId)?.actorName : undefined;
  const field = 'rounded-md border border-slate-300 bg-white px-2.5 py-1.5 text-sm';

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-end gap-3 rounded-lg border border-slate-200 bg-white p-3" data-testid="audit-filters">
        <label className="flex flex-col gap-1 text-xs text-slate-500">
          {t('filters.exam')}
          <select
            className={`${field} max-w-72`}
            value={filters.examId ?? ''}
            onChange={(e) => set({ examId: e.target.value ? Number(e.target.value) : undefined })}
            data-testid="audit-filter-exam"
          >
            <option value="">{t('filters.allExams')}</option>
            {options.data?.exams.map((e) => (
              <option key={e.id} value={e.id}>
                {e.title}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1 text-xs text-slate-500">
          {t('filters.action')}
          <select
            className={field}
            value={filters.action ?? ''}
            onChange={(e) => set({ action: e.target.value || undefined })}
            data-testid="audit-filter-action"
          >
            <option value="">{t('filters.allActions')}</option>
            {options.data?.actions.map((a) => (
              <option key={a} value={a}>
                {options.data?.actionLabels[a] ?? a}
              </option>
            ))}
          </select>
        </label>
        <label className="flex flex-col gap-1 text-xs text-slate-500">
          {t('filters.from')}
          <input
            type="date"
            className={field}
            value={filters.from ?? ''}
            onChange={(e) => set({ from: e.target.value || undefined })}
            data-testid="audit-filter-from"
          />
        </label>
        <label className="flex flex-col gap-1 text-xs text-slate-500">
          {t('filters.to')}
          <input
            type="date"
            className={field}
            value={filters.to ?? ''}
            onChange={(e) => set({ to: e.target.value || undefined })}
            data-testid="audit-filter-to"
          />
        </label>
        {filters.actorId && (
          <span className="flex items-center gap-1 rounded-full bg-blue-50 px-3 py-1 text-sm text-blue-800">
            {t('columns.actor')}: {actorName ?? filters.actorId}
            <button
              type="button"
              className="ml-1 text-blue-500 hover:text-blue-800"
              onClick={() => set({ actorId: undefined })}
              aria-label={t('filters.reset')}
            >
              ×
            </button>
          </span>
        )}
        <Button variant="ghost" onClick={() => setFilters({})} disabled={!Object.values(filters).some(Boolean)}>
          {t('filters.reset')}
        </Button>
        <a
          href={`/api/admin/audit${exportParams.size ? `?${exportParams}` : ''}`}
          download
          className="ml-auto rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50"
          data-testid="audit-export"
        >
          {t('export')}
        </a>
      </div>
      {list.error && <Alert>{errorText(list.error)}</Alert>}
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="min-w-full text-sm" data-testid="audit-table">
          <thead className="border-b border-slate-200 bg-slate-50 text-left text-xs font-medium text-slate-500">
            <tr>
              {(['time', 'actor', 'action', 'exam', 'room', 'candidate', 'detail'] as const).map((c) => (
                <th key={c} className="whitespace-nowrap px-3 py-2">
                  {t(`columns.${c}`)}
                </th>
              ))}
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {items.map((item) => (
              <AuditRow key={item.id} item={item} onActor={() => set({ actorId: item.actorId })} />
            ))}
          </tbody>
        </table>
        {list.isSuccess && items.length === 0 && (
          <p className="py-10 text-center text-slate-500" data-testid="audit-empty">
            {t('empty')}
          </p>
        )}
      </div>
      <div className="flex items-center gap-3">
        <span className="text-sm text-slate-500">{t('count', { count: items.length })}</span>
        {list.hasNextPage && (
          <Button variant="secondary" onClick={() => list.fetchNextPage()} disabled={list.isFetchingNextPage} data-testid="audit-load-more">
            {t('loadMore')}
          </Button>
        )}
      </div>
    </div>
  );
}

function AuditRow({ item, onActor }: { item: Item; onActor: () => void }) {
  const t = useTranslations('adminAudit');
  const tf = useTranslations('flags.status');
  const format = useFormatter();
  // Ids are for machines (the CSV keeps them); the row shows what a person reads.
  const detail = Object.entries(item.detail ?? {}).filter(([k]) => !/Id$/.test(k));
  const value = (k: string, v: unknown) => {
    if (k.endsWith('At') && typeof v === 'number') return format.dateTime(new Date(v), 'dayTime');
    if (typeof v === 'boolean') return v ? t('yes') : t('no');
    if (k === 'resolution' && typeof v === 'string' && tf.has(v as 'open')) return tf(v as 'open');
    return typeof v === 'string' || typeof v === 'number' ? String(v) : JSON.stringify(v);
  };
  return (
    <tr data-testid="audit-row" data-action={item.action} className="align-top">
      <td className="whitespace-nowrap px-3 py-2 tabular-nums text-slate-600">{format.dateTime(item.at, 'dateTimeSeconds')}</td>
      <td className="whitespace-nowrap px-3 py-2">
        <button type="button" className="text-left hover:text-blue-700 hover:underline" onClick={onActor}>
          {item.actorName}
        </button>
        <div className="text-xs text-slate-400">{t(`roles.${item.actorRole}`)}</div>
      </td>
      <td className="whitespace-nowrap px-3 py-2 font-medium" title={item.action}>
        {item.actionLabel}
      </td>
      <td className="max-w-56 px-3 py-2 text-slate-600">{item.examTitle ?? '—'}</td>
      <td className="whitespace-nowrap px-3 py-2 text-slate-600">{item.roomName ?? '—'}</td>
      <td className="whitespace-nowrap px-3 py-2">
        {item.candidateName ? (
          <>
            {item.candidateName}
            <div className="text-xs tabular-nums text-slate-400">{item.candidateIdNumber}</div>
          </>
        ) : (
          '—'
        )}
      </td>
      <td className="max-w-md px-3 py-2 text-xs text-slate-600">
        {detail.map(([k, v]) => (
          <div key={k} className="break-words">
            <span className="text-slate-400">{t.has(`detailKeys.${k}`) ? t(`detailKeys.${k}` as 'detailKeys.reason') : k}:</span> {value(k, v)}
          </div>
        ))}
      </td>
    </tr>
  );
}
