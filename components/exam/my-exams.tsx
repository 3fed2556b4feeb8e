'use client';

import { useFormatter, useTranslations } from 'next-intl';
import Link from 'next/link';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';

const ENTRY_BADGE = {
  not_yet_open: 'bg-slate-100 text-slate-600',
  open: 'bg-green-100 text-green-800',
  closed: 'bg-red-50 text-red-700',
} as const;

export function MyExams() {
  const t = useTranslations('exams');
  const format = useFormatter();
  const errorText = useErrorText();
  const exams = trpc.exam.listMine.useQuery(undefined, { refetchInterval: 30_000 });
  const when = (d: Date) => format.dateTime(d, { month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit' });

  return (
    <div className="space-y-3">
      <div className="flex justify-end">
        <Button variant="secondary" onClick={() => exams.refetch()} disabled={exams.isFetching}>
          {t('refresh')}
        </Button>
      </div>
      {exams.error && <Alert>{errorText(exams.error)}</Alert>}
      {exams.data?.length === 0 && <p className="py-10 text-center text-slate-500">{t('empty')}</p>}
      <ul className="space-y-3">
        {exams.data?.map((exam) => (
          <li key={exam.id} data-testid={`exam-${exam.id}`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <div className="flex flex-wrap items-center gap-2">
              <span className="rounded bg-blue-50 px-2 py-0.5 text-xs font-medium text-blue-700">{t(`kind.${exam.kind}`)}</span>
              <h2 className="text-lg font-medium">{exam.title}</h2>
              <span className={`ml-auto rounded-full px-2.5 py-0.5 text-xs font-medium ${ENTRY_BADGE[exam.entry]}`}>
                {t(`entry.${exam.entry}`)}
              </span>
            </div>
            <dl className="mt-3 grid grid-cols-2 gap-x-6 gap-y-2 text-sm sm:grid-cols-4">
              <div>
                <dt className="text-slate-500">{t('entryWindow')}</dt>
                <dd>
                  {when(exam.entryOpensAt)} – {format.dateTime(exam.entryClosesAt, { hour: '2-digit', minute: '2-digit' })}
                </dd>
              </div>
              <div>
                <dt className="text-slate-500">{t('startsAt')}</dt>
                <dd>{when(exam.startsAt)}</dd>
              </div>
              <div>
                <dt className="text-slate-500">{t('duration')}</dt>
                <dd>{t('minutes', { count: exam.durationMinutes })}</dd>
              </div>
              <div>
                <dt className="text-slate-500">{t('room')}</dt>
                <dd>
                  {exam.roomName} · {t('seatValue', { seat: exam.seat })}
                </dd>
              </div>
            </dl>
            <div className="mt-4 flex justify-end">
              {exam.entry === 'open' ? (
                <Link
                  href={`/exams/${exam.id}`}
                  className="rounded-md bg-blue-600 px-4 py-2 text-sm font-medium text-white hover:bg-blue-700"
                >
                  {t('enter')}
                </Link>
              ) : (
                <Button disabled>{t('enter')}</Button>
              )}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}
