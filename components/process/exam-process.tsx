'use client';

import { useFormatter, useTranslations } from 'next-intl';
import Link from 'next/link';
import { useEffect } from 'react';
import { useServerClock } from '@/components/checks/use-server-clock';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { useErrorText } from '@/components/ui/use-error-text';
import { examSteps, prepareSteps, type Step } from './process-steps';

const DAY = 24 * 60 * 60_000;

export function ExamProcess() {
  const t = useTranslations('process');
  const tExams = useTranslations('exams');
  const format = useFormatter();
  const errorText = useErrorText();
  const { now } = useServerClock(60_000);
  const checks = trpc.candidate.checks.useQuery();
  const exams = trpc.exam.listMine.useQuery(undefined, { refetchInterval: 30_000 });
  // Exams still ahead, and those that ended within a day (their recordings are still uploading).
  const upcoming = exams.data?.filter((e) => !e.finishedAt || now - e.finishedAt.getTime() < DAY) ?? [];
  // The first login lands here once; the server remembers the visit, so later logins go to My exams.
  const seen = trpc.candidate.processSeen.useMutation();
  const { mutate: markSeen } = seen;
  useEffect(() => markSeen(), [markSeen]);

  return (
    <div className="space-y-6">
      <div className="flex items-start justify-between gap-4">
        <div>
          <h1 className="text-2xl font-semibold">{t('title')}</h1>
          <p className="mt-1 text-sm text-slate-500">{t('intro')}</p>
        </div>
        <Link
          href="/exams"
          data-testid="process-continue"
          className="shrink-0 rounded-md bg-blue-600 px-4 py-2 text-sm font-medium text-white hover:bg-blue-700"
        >
          {t('continue')} →
        </Link>
      </div>
      {seen.data?.firstTime && (
        <div data-testid="process-welcome">
          <Alert tone="info">{t('welcome')}</Alert>
        </div>
      )}
      {(checks.error || exams.error) && <Alert>{errorText(checks.error ?? exams.error)}</Alert>}

      <section aria-labelledby="prepare-heading">
        <h2 id="prepare-heading" className="mb-2 text-sm font-medium text-slate-600">
          {t('prepare')}
        </h2>
        <ol className="grid grid-cols-3 gap-3">
          {prepareSteps(checks.data).map((step, i) => (
            <li
              key={step.key}
              data-testid={`step-${step.key}`}
              data-status={step.status}
              className={`flex items-start gap-3 rounded-lg border p-3 ${CARD[step.status]}`}
            >
              <Marker step={step} index={i + 1} />
              <StepText step={step} />
            </li>
          ))}
        </ol>
      </section>

      {exams.data && upcoming.length === 0 && (
        <p className="rounded-lg border border-dashed border-slate-300 p-6 text-center text-sm text-slate-500">{t('empty')}</p>
      )}
      <div className="grid gap-4 lg:grid-cols-2">
        {upcoming.map((exam) => (
          <section key={exam.id} data-testid={`process-exam-${exam.id}`} className="rounded-lg border border-slate-200 bg-white p-4 shadow-sm">
            <h2 className="truncate font-medium">{t('examHeading', { kind: tExams(`kind.${exam.kind}`), title: exam.title })}</h2>
            <p className="mt-0.5 text-xs text-slate-500">
              {tExams('startsAt')} {format.dateTime(exam.startsAt, 'dayTime')} · {exam.roomName}
            </p>
            <ol className="relative ml-3 mt-4 border-l border-slate-200">
              {examSteps(exam).map((step, i) => (
                <li key={step.key} data-testid={`step-${step.key}`} data-status={step.status} className="relative pb-2 pl-6 last:pb-0">
                  <span className="absolute -left-3 top-1">
                    <Marker step={step} index={i + 1} />
                  </span>
                  <div
                    className={`rounded-md px-2 py-1 ${step.status === 'current' ? 'bg-blue-50 ring-1 ring-blue-200' : step.status === 'failed' ? 'bg-red-50' : ''}`}
                  >
                    <StepText step={step} />
                  </div>
                </li>
              ))}
            </ol>
          </section>
        ))}
      </div>
    </div>
  );
}

const CARD = {
  done: 'border-slate-200 bg-white',
  current: 'border-blue-300 bg-blue-50',
  failed: 'border-red-200 bg-red-50',
  todo: 'border-slate-200 bg-white',
} as const;

function Marker({ step, index }: { step: Step; index: number }) {
  const tone = {
    done: 'bg-green-600 text-white',
    current: 'bg-blue-600 text-white',
    failed: 'bg-red-600 text-white',
    todo: 'bg-white text-slate-500 ring-1 ring-slate-300',
  }[step.status];
  return (
    <span aria-hidden className={`flex h-6 w-6 shrink-0 items-center justify-center rounded-full text-xs font-medium ${tone}`}>
      {step.status === 'done' ? (
        <svg viewBox="0 0 20 20" className="h-3.5 w-3.5">
          <path fill="currentColor" d="M16.7 5.3a1 1 0 0 1 0 1.4l-8 8a1 1 0 0 1-1.4 0l-4-4a1 1 0 1 1 1.4-1.4L8 12.6l7.3-7.3a1 1 0 0 1 1.4 0Z" />
        </svg>
      ) : step.status === 'failed' ? (
        '!'
      ) : (
        index
      )}
    </span>
  );
}

function StepText({ step }: { step: Step }) {
  const t = useTranslations('process');
  const format = useFormatter();
  const title = t(`steps.${step.key}.title`);
  const statusTone = { done: 'text-green-700', current: 'text-blue-700', failed: 'text-red-700', todo: 'text-slate-400' }[step.status];
  return (
    <div className="min-w-0 flex-1">
      <div className="flex items-center gap-2">
        {step.href ? (
          <Link href={step.href} className="font-medium text-slate-800 underline-offset-2 hover:text-blue-700 hover:underline">
            {title}
          </Link>
        ) : (
          <span className="font-medium text-slate-800">{title}</span>
        )}
        <span className={`text-xs ${statusTone}`}>{t(`status.${step.status}`)}</span>
        {step.href && (step.status === 'current' || step.status === 'failed') && (
          <Link href={step.href} className="ml-auto shrink-0 rounded bg-blue-600 px-2 py-0.5 text-xs font-medium text-white hover:bg-blue-700">
            {t('go')} →
          </Link>
        )}
      </div>
      <p className="mt-0.5 text-xs text-slate-500">
        {step.at && step.status === 'done' ? t('checkedAt', { time: format.dateTime(step.at, 'dayTime') }) : t(`steps.${step.key}.desc`)}
      </p>
    </div>
  );
}
