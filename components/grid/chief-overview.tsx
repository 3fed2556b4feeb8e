'use client';

import { useFormatter, useTranslations } from 'next-intl';
import Link from 'next/link';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { useErrorText } from '@/components/ui/use-error-text';

const COUNTS = [
  { key: 'notJoined', tone: 'text-slate-700', bg: 'bg-slate-50' },
  { key: 'live', tone: 'text-green-700', bg: 'bg-green-50' },
  { key: 'problem', tone: 'text-red-700', bg: 'bg-red-50' },
  { key: 'finished', tone: 'text-slate-500', bg: 'bg-slate-50' },
] as const;

/**
 * Every room of an exam with where its candidates stand, for the chief invigilator. Polled:
 * one subscription per room would cost more than a small query every few seconds.
 */
export function ChiefOverview({ examId }: { examId: number }) {
  const t = useTranslations('rooms.chief');
  const tk = useTranslations('exams.kind');
  const ti = useTranslations('incidents');
  const format = useFormatter();
  const errorText = useErrorText();
  const overview = trpc.invigilate.chiefOverview.useQuery({ examId }, { refetchInterval: 10_000, retry: false });

  if (overview.error) {
    return (
      <main className="mx-auto max-w-xl space-y-4 px-4 py-16">
        <Alert>{errorText(overview.error)}</Alert>
        <Link href="/rooms" className="text-sm text-blue-700 underline">
          {t('back')}
        </Link>
      </main>
    );
  }
  const data = overview.data;
  const total = data?.rooms.reduce((n, r) => n + r.counts.total, 0) ?? 0;
  const sum = (key: (typeof COUNTS)[number]['key']) => data?.rooms.reduce((n, r) => n + r.counts[key], 0) ?? 0;

  return (
    <main className="mx-auto max-w-6xl px-4 py-6">
      <Link href="/rooms" className="text-sm text-blue-700 hover:underline">
        ← {t('back')}
      </Link>
      {data && (
        <>
          <div className="mt-2 flex flex-wrap items-baseline gap-x-3 gap-y-1">
            <h1 className="text-2xl font-semibold">{t('title', { exam: data.exam.title })}</h1>
            <span className="text-sm text-slate-500">
              {tk(data.exam.kind)} · {format.dateTime(data.exam.startsAt, 'dayTime')}
            </span>
          </div>
          <div className="mt-4 flex flex-wrap items-center gap-3" data-testid="chief-totals">
            <span className="text-sm text-slate-600">{t('summary', { rooms: data.rooms.length, total })}</span>
            {COUNTS.map(({ key, tone, bg }) => (
              <span key={key} className={`rounded-md px-2.5 py-1 text-sm ${bg} ${tone}`} data-testid={`chief-total-${key}`} data-count={sum(key)}>
                {t(key)} <strong className="tabular-nums">{sum(key)}</strong>
              </span>
            ))}
            <span className="ml-auto text-xs text-slate-400">{t('refreshNote')}</span>
          </div>
          {data.rooms.length === 0 && <p className="py-10 text-center text-slate-500">{t('empty')}</p>}
          <ul className="mt-4 grid gap-3 md:grid-cols-2 xl:grid-cols-3">
            {data.rooms.map((room) => (
              <li
                key={room.id}
                data-testid={`chief-room-${room.id}`}
                className={`rounded-lg border bg-white p-4 shadow-sm ${room.counts.problem > 0 ? 'border-red-300 ring-1 ring-red-200' : 'border-slate-200'}`}
              >
                <div className="flex items-baseline gap-2">
                  <h2 className="text-lg font-medium">{room.name}</h2>
                  <span className="text-sm text-slate-500">
                    {t('total')} {room.counts.total}
                  </span>
                  {room.node && (
                    <span
                      className="ml-auto rounded bg-indigo-50 px-1.5 py-0.5 font-mono text-xs text-indigo-700"
                      title={t('nodeHint')}
                      data-testid={`chief-room-${room.id}-node`}
                      data-node={room.node}
                    >
                      {t('node', { node: room.node })}
                    </span>
                  )}
                </div>
                {room.incidents.map((incident) => (
                  <p
                    key={incident.id}
                    data-testid={`chief-incident-${room.id}`}
                    data-state={incident.state}
                    data-affected={incident.candidateIds.length}
                    className={`mt-2 rounded-md px-2 py-1 text-xs font-medium ${incident.state === 'open' ? 'bg-red-50 text-red-800' : 'bg-amber-50 text-amber-900'}`}
                  >
                    {incident.state === 'open'
                      ? ti('chiefOpen', { count: incident.candidateIds.length, time: format.dateTime(incident.startedAt, 'timeSeconds') })
                      : ti('chiefCleared', {
                          time: format.dateTime(incident.startedAt, 'timeSeconds'),
                          back: incident.back,
                          missing: incident.candidateIds.length - incident.back,
                        })}
                  </p>
                ))}
                <dl className="mt-3 grid grid-cols-4 gap-2 text-center">
                  {COUNTS.map(({ key, tone, bg }) => (
                    <div key={key} className={`rounded-md py-1.5 ${bg}`} data-testid={`chief-room-${room.id}-${key}`} data-count={room.counts[key]}>
                      <dt className="text-xs text-slate-500">{t(key)}</dt>
                      <dd className={`text-xl font-semibold tabular-nums ${room.counts[key] > 0 ? tone : 'text-slate-300'}`}>{room.counts[key]}</dd>
                    </div>
                  ))}
                </dl>
                <p className="mt-3 truncate text-xs text-slate-500">
                  {room.invigilators.length ? t('invigilators', { names: room.invigilators.map((i) => i.name).join('、') }) : t('noInvigilators')}
                </p>
                <Link
                  href={`/rooms/${room.id}`}
                  className="mt-3 inline-block rounded-md bg-blue-600 px-4 py-1.5 text-sm font-medium text-white hover:bg-blue-700"
                >
                  {t('openRoom')}
                </Link>
              </li>
            ))}
          </ul>
        </>
      )}
    </main>
  );
}

/** The exams where the caller is chief invigilator. */
export function ChiefExams() {
  const t = useTranslations('rooms');
  const tk = useTranslations('exams.kind');
  const errorText = useErrorText();
  const exams = trpc.invigilate.myChiefExams.useQuery();
  return (
    <div className="space-y-3">
      {exams.error && <Alert>{errorText(exams.error)}</Alert>}
      {exams.data?.length === 0 && <p className="py-10 text-center text-slate-500">{t('chief.listEmpty')}</p>}
      <ul className="grid gap-3 sm:grid-cols-2">
        {exams.data?.map((exam) => (
          <li key={exam.id} data-testid={`chief-exam-${exam.id}`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <p className="text-xs text-slate-500">
              {tk(exam.kind)} · {t('chiefRooms', { count: exam.rooms })}
            </p>
            <h2 className="mt-1 text-lg font-medium">{exam.title}</h2>
            <Link href={`/chief/${exam.id}`} className="mt-3 inline-block rounded-md bg-blue-600 px-4 py-2 text-sm font-medium text-white hover:bg-blue-700">
              {t('chiefOpen')}
            </Link>
          </li>
        ))}
      </ul>
    </div>
  );
}
