'use client';

import { useFormatter, useTranslations } from 'next-intl';
import Link from 'next/link';
import { useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { useErrorText } from '@/components/ui/use-error-text';
import { StatusBadge } from './status-badge';

/** All exams: title, kind, times, status, counts; archived ones behind a toggle. */
export function ExamList() {
  const t = useTranslations('adminExams.list');
  const tAdmin = useTranslations('admin');
  const format = useFormatter();
  const errorText = useErrorText();
  const [includeArchived, setIncludeArchived] = useState(false);
  const list = trpc.admin.exams.list.useQuery({ includeArchived }, { refetchInterval: 30_000 });

  return (
    <div>
      <div className="flex flex-wrap items-center gap-4">
        <h1 className="flex-1 text-2xl font-semibold">{t('title')}</h1>
        <label className="flex items-center gap-2 text-sm text-slate-600">
          <input type="checkbox" checked={includeArchived} onChange={(e) => setIncludeArchived(e.target.checked)} data-testid="exams-show-archived" />
          {t('showArchived')}
        </label>
        <Link href="/admin/exams/new" className="rounded-md bg-blue-600 px-3.5 py-2 text-sm font-medium text-white hover:bg-blue-700" data-testid="exams-new">
          {t('new')}
        </Link>
      </div>
      {list.error && (
        <div className="mt-4">
          <Alert>{errorText(list.error)}</Alert>
        </div>
      )}
      <div className="mt-5 overflow-x-auto rounded-lg border border-slate-200 bg-white shadow-sm">
        <table className="w-full min-w-[900px] text-left text-sm" data-testid="exams-table">
          <thead className="border-b border-slate-200 bg-slate-50 text-xs uppercase tracking-wide text-slate-500">
            <tr>
              <th className="px-4 py-2.5 font-medium">{t('columns.title')}</th>
              <th className="px-4 py-2.5 font-medium">{t('columns.kind')}</th>
              <th className="px-4 py-2.5 font-medium">{t('columns.entry')}</th>
              <th className="px-4 py-2.5 font-medium">{t('columns.startsAt')}</th>
              <th className="px-4 py-2.5 font-medium">{t('columns.duration')}</th>
              <th className="px-4 py-2.5 font-medium">{t('columns.status')}</th>
              <th className="px-4 py-2.5 text-right font-medium">{t('columns.candidates')}</th>
              <th className="px-4 py-2.5 text-right font-medium">{t('columns.rooms')}</th>
              <th className="px-4 py-2.5 font-medium">
                <span className="sr-only">{tAdmin('common.actions')}</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {list.data?.map((exam) => (
              <tr key={exam.id} className="hover:bg-slate-50" data-testid={`exam-row-${exam.id}`}>
                <td className="px-4 py-3">
                  <Link href={`/admin/exams/${exam.id}`} className="font-medium text-blue-700 hover:underline" data-testid="exam-row-link">
                    {exam.title}
                  </Link>
                </td>
                <td className="whitespace-nowrap px-4 py-3 text-slate-600">{tAdmin(`kind.${exam.kind}`)}</td>
                <td className="whitespace-nowrap px-4 py-3 tabular-nums text-slate-600">
                  {format.dateTime(exam.entryOpensAt, 'dateTime')}
                  <span className="px-1 text-slate-400">–</span>
                  {format.dateTime(exam.entryClosesAt, 'time')}
                </td>
                <td className="whitespace-nowrap px-4 py-3 tabular-nums text-slate-900">{format.dateTime(exam.startsAt, 'dateTime')}</td>
                <td className="whitespace-nowrap px-4 py-3 tabular-nums text-slate-600">{t('minutes', { minutes: exam.durationMinutes })}</td>
                <td className="px-4 py-3">
                  <StatusBadge status={exam.status} />
                </td>
                <td className="px-4 py-3 text-right tabular-nums">{exam.registrations}</td>
                <td className="px-4 py-3 text-right tabular-nums">{exam.rooms}</td>
                <td className="whitespace-nowrap px-4 py-3 text-right">
                  <Link href={`/admin/exams/${exam.id}/settings`} className="text-sm text-slate-600 hover:text-slate-900 hover:underline">
                    {t('settings')}
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        {list.isLoading && <p className="px-4 py-8 text-center text-sm text-slate-500">{tAdmin('common.loading')}</p>}
        {list.data?.length === 0 && (
          <div className="px-4 py-10 text-center text-sm text-slate-500" data-testid="exams-empty">
            <p>{t('empty')}</p>
            <Link href="/admin/exams/new" className="mt-2 inline-block text-blue-700 hover:underline">
              {t('emptyAction')}
            </Link>
          </div>
        )}
      </div>
    </div>
  );
}
