'use client';

import type { inferRouterOutputs } from '@trpc/server';
import { useFormatter, useTranslations } from 'next-intl';
import Link from 'next/link';
import { useMemo, useState } from 'react';
import { Alert } from '@/components/ui/alert';
import { useErrorText } from '@/components/ui/use-error-text';
import type { AppRouter } from '@/server/routers/_app';
import { useExamDashboard } from './use-exam-dashboard';

type Data = inferRouterOutputs<AppRouter>['admin']['dashboard']['byExam'];
type DashboardState = keyof Omit<Data['totals'], 'total'>;

export const STATES: readonly DashboardState[] = ['not_checked_in', 'device_ok', 'in_exam', 'problem', 'finished', 'upload_pending'];

/** Colours per state, the same in the cards and the room table. */
export const STATE_TONES: Record<DashboardState, { card: string; count: string; cell: string }> = {
  not_checked_in: { card: 'border-slate-200 bg-white', count: 'text-slate-700', cell: 'text-slate-700' },
  device_ok: { card: 'border-sky-200 bg-sky-50', count: 'text-sky-700', cell: 'text-sky-700' },
  in_exam: { card: 'border-green-200 bg-green-50', count: 'text-green-700', cell: 'text-green-700' },
  problem: { card: 'border-red-200 bg-red-50', count: 'text-red-700', cell: 'text-red-700 font-semibold' },
  finished: { card: 'border-indigo-200 bg-indigo-50', count: 'text-indigo-700', cell: 'text-indigo-700' },
  upload_pending: { card: 'border-amber-200 bg-amber-50', count: 'text-amber-700', cell: 'text-amber-700' },
};

const pad = (n: number) => String(n).padStart(2, '0');
/** A countdown as H:MM:SS (days, worded, as a prefix when far off). */
function countdown(ms: number, days: (count: number) => string) {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86_400);
  const clock = `${Math.floor((s % 86_400) / 3600)}:${pad(Math.floor((s % 3600) / 60))}:${pad(s % 60)}`;
  return d ? `${days(d)} ${clock}` : clock;
}

/** The exam overview: where every candidate stands, per room and in total, refreshed every few seconds. */
export function ExamDashboard({ examId }: { examId: number }) {
  const t = useTranslations('adminDashboard');
  const errorText = useErrorText();
  const { data, error, now } = useExamDashboard(examId);
  const [sortBy, setSortBy] = useState<DashboardState | null>(null);

  if (error) return <Alert>{errorText(error)}</Alert>;
  if (!data) return <p className="py-10 text-center text-slate-500">…</p>;

  return (
    <div className="space-y-5" data-testid="exam-dashboard">
      <ClockBar data={data} now={now} />
      {data.unplaced > 0 && (
        <div data-testid="dashboard-unplaced">
          <Alert tone="warning">
            {t('unplaced', { count: data.unplaced })}{' '}
            <Link href={`/admin/exams/${examId}/rooms`} className="font-medium underline">
              {t('unplacedLink')}
            </Link>
          </Alert>
        </div>
      )}
      <section>
        <div className="mb-2 flex flex-wrap items-baseline gap-x-3 text-sm text-slate-500">
          <span>
            {t('total')}{' '}
            <strong className="tabular-nums text-slate-800" data-testid="dashboard-total">
              {data.totals.total}
            </strong>
          </span>
          <span className="text-xs text-slate-400">{t('filterHint')}</span>
        </div>
        <div className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
          {STATES.map((state) => {
            const tone = STATE_TONES[state];
            const active = sortBy === state;
            return (
              <button
                key={state}
                type="button"
                onClick={() => setSortBy(active ? null : state)}
                aria-pressed={active}
                title={t(`stateHints.${state}`)}
                data-testid={`dashboard-count-${state}`}
                data-count={data.totals[state]}
                className={`rounded-lg border p-4 text-left shadow-sm transition ${tone.card} ${active ? 'ring-2 ring-blue-500' : 'hover:shadow'}`}
              >
                <div className="text-sm font-medium text-slate-600">{t(`states.${state}`)}</div>
                <div className={`mt-1 text-3xl font-semibold tabular-nums ${tone.count}`}>{data.totals[state]}</div>
                <div className="mt-1 text-xs text-slate-500">{t(`stateHints.${state}`)}</div>
              </button>
            );
          })}
        </div>
      </section>
      <div className="grid gap-3 sm:grid-cols-2">
        <div
          className={`rounded-lg border p-4 ${data.openFlags ? 'border-red-200 bg-white' : 'border-slate-200 bg-white'}`}
          data-testid="dashboard-open-flags"
          data-count={data.openFlags}
        >
          <div className="text-sm text-slate-600">{t('openFlags')}</div>
          <div className={`text-2xl font-semibold tabular-nums ${data.openFlags ? 'text-red-700' : 'text-slate-700'}`}>{data.openFlags}</div>
        </div>
        <Link
          href="/desk"
          className="rounded-lg border border-slate-200 bg-white p-4 hover:border-blue-300"
          data-testid="dashboard-open-help"
          data-count={data.help.queued + data.help.assigned}
        >
          <div className="text-sm text-slate-600">{t('openHelp')}</div>
          <div className="flex items-baseline gap-3">
            <span className="text-2xl font-semibold tabular-nums text-slate-700">{data.help.queued + data.help.assigned}</span>
            <span className="text-xs text-slate-500">{t('helpDetail', data.help)}</span>
          </div>
        </Link>
      </div>
      <RoomsTable data={data} sortBy={sortBy} />
    </div>
  );
}

function ClockBar({ data, now }: { data: Data; now: number }) {
  const t = useTranslations('adminDashboard');
  const format = useFormatter();
  const time = (d: Date) => format.dateTime(d, 'dayTime');
  const { exam, clock } = data;
  const line =
    clock === 'scheduled'
      ? t('opensIn', { time: countdown(exam.entryOpensAt.getTime() - now, (count) => t('days', { count })) })
      : clock === 'entry_open'
        ? t('startsIn', { time: countdown(exam.startsAt.getTime() - now, (count) => t('days', { count })) })
        : clock === 'in_progress'
          ? t('endsIn', { time: countdown(exam.latestEndsAt.getTime() - now, (count) => t('days', { count })) })
          : t('endedAt', { time: time(exam.latestEndsAt) });
  const badge = {
    scheduled: 'bg-slate-100 text-slate-700',
    entry_open: 'bg-blue-100 text-blue-800',
    in_progress: 'bg-green-100 text-green-800',
    ended: 'bg-slate-200 text-slate-700',
  }[clock];
  return (
    <div className="flex flex-wrap items-center gap-x-4 gap-y-2 rounded-lg border border-slate-200 bg-white px-4 py-3">
      <span className={`rounded-full px-3 py-1 text-sm font-medium ${badge}`} data-testid="dashboard-clock" data-clock={clock}>
        {t(`clock.${clock}`)}
      </span>
      <span className="text-lg font-semibold tabular-nums text-slate-800">{line}</span>
      <span className="text-sm text-slate-500">
        {t('schedule', { opens: time(exam.entryOpensAt), closes: time(exam.entryClosesAt), starts: time(exam.startsAt), ends: time(exam.endsAt) })}
      </span>
      <span className="ml-auto text-xs text-slate-400">
        {t('refreshNote')} · {t('updatedAt', { time: format.dateTime(data.now, 'timeSeconds') })}
      </span>
    </div>
  );
}

function RoomsTable({ data, sortBy }: { data: Data; sortBy: DashboardState | null }) {
  const t = useTranslations('adminDashboard');
  const rooms = useMemo(() => (sortBy ? [...data.rooms].sort((a, b) => b.counts[sortBy] - a.counts[sortBy]) : data.rooms), [data.rooms, sortBy]);
  if (!data.rooms.length) {
    return (
      <p className="rounded-lg border border-dashed border-slate-300 py-8 text-center text-slate-500">
        {t('rooms.empty')}{' '}
        <Link href={`/admin/exams/${data.exam.id}/rooms`} className="text-blue-700 underline">
          {t('rooms.emptyLink')}
        </Link>
      </p>
    );
  }
  const th = 'px-3 py-2 text-left text-xs font-medium uppercase tracking-wide text-slate-500';
  const num = 'px-3 py-2 text-right tabular-nums';
  return (
    <section>
      <h2 className="mb-2 text-lg font-medium">{t('rooms.title')}</h2>
      <div className="overflow-x-auto rounded-lg border border-slate-200 bg-white">
        <table className="min-w-full text-sm" data-testid="dashboard-rooms">
          <thead className="border-b border-slate-200 bg-slate-50">
            <tr>
              <th className={th}>{t('rooms.room')}</th>
              <th className={`${th} text-right`}>{t('rooms.capacity')}</th>
              <th className={`${th} text-right`}>{t('rooms.placed')}</th>
              {STATES.map((s) => (
                <th key={s} className={`${th} text-right ${sortBy === s ? 'bg-blue-50 text-blue-700' : ''}`}>
                  {t(`states.${s}`)}
                </th>
              ))}
              <th className={`${th} text-right`}>{t('rooms.flags')}</th>
              <th className={`${th} text-right`}>{t('rooms.help')}</th>
              <th className={th}>{t('rooms.invigilators')}</th>
              <th className={th}>{t('rooms.links')}</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-slate-100">
            {rooms.map((room) => (
              <tr key={room.id} data-testid={`dashboard-room-${room.id}`} className={room.counts.problem > 0 ? 'bg-red-50/40' : ''}>
                <td className="whitespace-nowrap px-3 py-2 font-medium">
                  {room.name}
                  {room.archived && <span className="ml-2 rounded bg-amber-100 px-1.5 py-0.5 text-xs text-amber-800">{t('rooms.archived')}</span>}
                </td>
                <td className={`${num} text-slate-500`}>{room.capacity}</td>
                <td className={num}>{room.counts.total}</td>
                {STATES.map((s) => (
                  <td
                    key={s}
                    data-testid={`dashboard-room-${room.id}-${s}`}
                    data-count={room.counts[s]}
                    className={`${num} ${room.counts[s] ? STATE_TONES[s].cell : 'text-slate-300'} ${sortBy === s ? 'bg-blue-50' : ''}`}
                  >
                    {room.counts[s]}
                  </td>
                ))}
                <td className={`${num} ${room.openFlags ? 'font-semibold text-red-700' : 'text-slate-300'}`}>{room.openFlags}</td>
                <td className={`${num} ${room.openHelp ? 'font-semibold text-amber-700' : 'text-slate-300'}`}>{room.openHelp}</td>
                <td className="px-3 py-2 text-slate-600">
                  {room.invigilators.length ? (
                    room.invigilators.map((i) => i.name).join('、')
                  ) : (
                    <span className="text-amber-700">{t('rooms.noInvigilator')}</span>
                  )}
                </td>
                <td className="whitespace-nowrap px-3 py-2">
                  <Link href={`/rooms/${room.id}`} className="text-blue-700 hover:underline" data-testid={`dashboard-room-${room.id}-grid`}>
                    {t('rooms.grid')}
                  </Link>
                  <span className="mx-2 text-slate-300">|</span>
                  <Link href="/desk" className="text-blue-700 hover:underline">
                    {t('rooms.desk')}
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot className="border-t border-slate-200 bg-slate-50 font-medium">
            <tr>
              <td className="px-3 py-2">{t('rooms.sum')}</td>
              <td className={`${num} text-slate-500`}>{data.rooms.reduce((n, r) => n + r.capacity, 0)}</td>
              <td className={num}>{data.totals.total}</td>
              {STATES.map((s) => (
                <td key={s} className={`${num} ${STATE_TONES[s].cell}`}>
                  {data.totals[s]}
                </td>
              ))}
              <td className={num}>{data.openFlags}</td>
              <td className={num}>{data.help.queued + data.help.assigned}</td>
              <td colSpan={2} />
            </tr>
          </tfoot>
        </table>
      </div>
    </section>
  );
}
