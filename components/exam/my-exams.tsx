'use client';

import { useTranslations } from 'next-intl';
import { useDisplayState } from '@/components/checks/use-display-state';
import { useServerClock } from '@/components/checks/use-server-clock';
import { trpc } from '@/components/providers/trpc';
import { PendingRecordingUploads } from '@/components/recording/my-recordings';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { MyExamCard } from './my-exams-card';
import { entryStateAt } from './my-exams-gate';

export function MyExams() {
  const t = useTranslations('exams');
  const errorText = useErrorText();
  const exams = trpc.exam.listMine.useQuery(undefined, { refetchInterval: 30_000 });
  const displays = useDisplayState();
  // Entry opens and closes on the server's clock; until it is measured, trust the server's word.
  const clock = useServerClock();
  const unfinished = exams.data?.some((e) => !e.finishedAt) ?? false;

  return (
    <div className="space-y-3">
      <div className="flex items-center justify-between gap-4">
        <h1 className="text-2xl font-semibold">{t('title')}</h1>
        <Button variant="secondary" data-testid="refresh-exams" onClick={() => exams.refetch()} disabled={exams.isFetching}>
          <svg aria-hidden viewBox="0 0 20 20" className={`h-4 w-4 ${exams.isFetching ? 'animate-spin' : ''}`}>
            <path
              fill="currentColor"
              d="M10 3a7 7 0 0 1 6.3 4H14a1 1 0 1 0 0 2h4a1 1 0 0 0 1-1V4a1 1 0 1 0-2 0v1.3A9 9 0 1 0 19 10a1 1 0 1 0-2 0 7 7 0 1 1-7-7Z"
            />
          </svg>
          {exams.isFetching ? t('refreshing') : t('refresh')}
        </Button>
      </div>
      {displays === 'extended' && unfinished && (
        <div data-testid="extended-display-warning">
          <Alert tone="error">{t('extendedDisplay')}</Alert>
        </div>
      )}
      <PendingRecordingUploads />
      {exams.error && <Alert>{errorText(exams.error)}</Alert>}
      {exams.data?.length === 0 && <p className="py-10 text-center text-slate-500">{t('empty')}</p>}
      <ul className="space-y-3">
        {exams.data?.map((exam) => (
          <MyExamCard key={exam.id} exam={exam} entry={clock.ready ? entryStateAt(exam, clock.now) : exam.entry} displays={displays} />
        ))}
      </ul>
    </div>
  );
}
