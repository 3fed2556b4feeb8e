'use client';

import { useFormatter, useTranslations } from 'next-intl';
import Link from 'next/link';
import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { DisplayState } from '@/components/checks/use-display-state';
import { PhoneWitnessPanel } from '@/components/phone/phone-witness-panel';
import { trpc } from '@/components/providers/trpc';
import { ExamRecordings } from '@/components/recording/my-recordings';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { ExamPath } from './exam-path';
import { DrawLotButton, LotNumber } from './lot-number';
import { enterGate, pathHref, pathView, type EntryState, type MyExam } from './my-exams-gate';
import { NoticeDialog } from './notice-dialog';

const BADGE = {
  not_yet_open: 'bg-slate-100 text-slate-600',
  open: 'bg-green-100 text-green-800',
  closed: 'bg-red-50 text-red-700',
  entered: 'bg-blue-100 text-blue-800',
  finished: 'bg-slate-200 text-slate-700',
} as const;

export function MyExamCard({ exam, entry, displays }: { exam: MyExam; entry: EntryState; displays: DisplayState }) {
  const t = useTranslations('exams');
  const format = useFormatter();
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const [noticeOpen, setNoticeOpen] = useState(false);

  // isPending only flips after React re-renders; the ref stops a fast double click sending twice.
  const drawing = useRef(false);
  const draw = trpc.exam.drawLot.useMutation({
    onSuccess: ({ lotNumber }) => {
      utils.exam.listMine.setData(undefined, (list) => list?.map((e) => (e.id === exam.id ? { ...e, lotNumber } : e)));
      void utils.exam.notice.invalidate({ examId: exam.id });
    },
    onSettled: () => {
      drawing.current = false;
    },
  });
  const onDraw = () => {
    if (drawing.current) return;
    drawing.current = true;
    draw.mutate({ examId: exam.id });
  };

  const gate = enterGate(exam, entry, displays);
  const sameDay = format.dateTime(exam.entryOpensAt, 'date') === format.dateTime(exam.entryClosesAt, 'date');
  const badge = exam.finishedAt
    ? { tone: BADGE.finished, text: t(`state.finished.${exam.finishReason ?? 'ended'}`) }
    : exam.enteredAt
      ? { tone: BADGE.entered, text: t('state.entered') }
      : { tone: BADGE[entry], text: t(`entry.${entry}`) };
  const isInterview = exam.kind === 'interview';
  const beforeEntry = !exam.enteredAt && !exam.finishedAt;
  // The phone panel polls the witness every few seconds (same query); when it changes, the path does too.
  const witness = trpc.phone.status.useQuery({ examId: exam.id }, { enabled: beforeEntry, refetchInterval: 5000 }).data?.state;
  const witnessDone = exam.path.find((s) => s.key === 'phoneWitness')?.done ?? false;
  useEffect(() => {
    if (beforeEntry && witness && (witness === 'live') !== witnessDone) void utils.exam.listMine.invalidate();
  }, [beforeEntry, witness, witnessDone, utils]);
  const blockingStep = gate.kind === 'blocked' && (gate.reason === 'deviceCheck' || gate.reason === 'phoneWitness') ? gate.reason : null;
  const stepHref = blockingStep && pathHref(blockingStep, exam.id);

  return (
    <li data-testid={`exam-${exam.id}`} data-entry={entry} className="rounded-lg border border-slate-200 bg-white shadow-sm">
      <div className="p-4">
        <div className="flex items-center gap-2">
          <span className={`shrink-0 rounded px-2 py-0.5 text-xs font-medium ${isInterview ? 'bg-violet-50 text-violet-700' : 'bg-blue-50 text-blue-700'}`}>
            {t(`kind.${exam.kind}`)}
          </span>
          <h2 className="min-w-0 truncate text-lg font-medium">{exam.title}</h2>
          <span data-testid="exam-state" className={`ml-auto shrink-0 rounded-full px-2.5 py-0.5 text-xs font-medium ${badge.tone}`}>
            {badge.text}
          </span>
        </div>
        <dl className="mt-3 grid grid-cols-4 gap-x-6 gap-y-3 text-sm">
          <Field label={t('entryWindow')}>
            {format.dateTime(exam.entryOpensAt, 'dayTime')} – {format.dateTime(exam.entryClosesAt, sameDay ? 'time' : 'dayTime')}
          </Field>
          <Field label={t('startsAt')}>{format.dateTime(exam.startsAt, 'dayTime')}</Field>
          <Field label={t('duration')}>{t('minutes', { count: exam.durationMinutes })}</Field>
          <Field label={t('room')}>
            {exam.roomName} · {t('seatValue', { seat: exam.seat })}
          </Field>
          <Field label={t('attachments')} wide>
            {exam.attachments.length === 0 ? (
              <span className="text-slate-400">{t('noAttachments')}</span>
            ) : (
              <span className="flex flex-wrap gap-x-3">
                {exam.attachments.map((a) => (
                  <a key={a.id} href={`/api/attachments/${a.id}`} download={a.fileName} className="text-blue-700 underline-offset-2 hover:underline">
                    {a.fileName}
                  </a>
                ))}
              </span>
            )}
          </Field>
          <Field label={t('recordings')} wide>
            <ExamRecordings examId={exam.id} />
          </Field>
        </dl>
        {beforeEntry && (
          <div className="mt-3">
            <ExamPath examId={exam.id} steps={pathView(exam, gate)} onNotice={() => setNoticeOpen(true)} />
          </div>
        )}
        {!exam.finishedAt && (
          <div className="mt-2 scroll-mt-4" id={`phone-${exam.id}`}>
            <PhoneWitnessPanel examId={exam.id} />
          </div>
        )}
      </div>

      <div className="flex min-h-16 flex-wrap items-center gap-3 rounded-b-lg border-t border-slate-100 bg-slate-50 px-4 py-3">
        {gate.kind === 'finished' ? (
          <p className="text-sm text-slate-600">
            <span className="font-medium text-slate-800">{badge.text}</span>
            {exam.finishedAt && <> · {t('finishedAt', { time: format.dateTime(exam.finishedAt, 'dayTime') })}</>}
            <span className="ml-2 text-slate-500">{t('finishedHint')}</span>
          </p>
        ) : (
          <>
            {isInterview &&
              (exam.lotNumber != null ? <LotNumber lotNumber={exam.lotNumber} /> : beforeEntry && <DrawLotButton pending={draw.isPending} onDraw={onDraw} />)}
            {isInterview && <Chevron />}
            {exam.acceptedAt ? (
              <button
                type="button"
                data-testid="read-notice"
                onClick={() => setNoticeOpen(true)}
                className="flex items-center gap-1 rounded-md px-2 py-1.5 text-sm text-green-700 hover:bg-green-50"
              >
                <Check /> {t('notice.accepted')}
                <span className="text-slate-500 underline-offset-2 hover:underline">· {t('notice.view')}</span>
              </button>
            ) : (
              <Button data-testid="read-notice" variant={isInterview && exam.lotNumber == null ? 'secondary' : 'primary'} onClick={() => setNoticeOpen(true)}>
                {t('notice.open')}
              </Button>
            )}
            <div className="ml-auto flex items-center gap-3">
              {gate.kind === 'blocked' && (
                <span data-testid="enter-reason" className={`text-sm ${gate.reason === 'extended' ? 'text-red-700' : 'text-slate-500'}`}>
                  {gate.reason === 'notYetOpen'
                    ? t('blocked.notYetOpen', { time: format.dateTime(exam.entryOpensAt, 'dayTime') })
                    : t(`blocked.${gate.reason}`)}
                </span>
              )}
              {blockingStep && stepHref && (
                <a
                  href={stepHref.startsWith('/exams#') ? stepHref.slice('/exams'.length) : stepHref}
                  data-testid="enter-step-link"
                  className="text-sm font-medium text-blue-700 underline-offset-2 hover:underline"
                >
                  {t(`path.go.${blockingStep}`)} →
                </a>
              )}
              {gate.kind === 'open' && gate.reentry && <span className="text-sm text-slate-500">{t('reenterHint')}</span>}
              {gate.kind === 'open' ? (
                <Link
                  href={`/exams/${exam.id}`}
                  data-testid="enter-exam"
                  className="rounded-md bg-blue-600 px-4 py-2 text-sm font-medium text-white hover:bg-blue-700"
                >
                  {gate.reentry ? t('reenter') : t('enter')}
                </Link>
              ) : (
                <Button data-testid="enter-exam" disabled>
                  {t('enter')}
                </Button>
              )}
            </div>
          </>
        )}
      </div>
      {draw.error && (
        <div className="px-4 pb-3">
          <Alert>{errorText(draw.error)}</Alert>
        </div>
      )}
      {noticeOpen && <NoticeDialog examId={exam.id} onClose={() => setNoticeOpen(false)} />}
    </li>
  );
}

function Field({ label, wide = false, children }: { label: string; wide?: boolean; children: ReactNode }) {
  return (
    <div className={wide ? 'col-span-2' : undefined}>
      <dt className="text-slate-500">{label}</dt>
      <dd className="mt-0.5 text-slate-800">{children}</dd>
    </div>
  );
}

function Chevron() {
  return (
    <svg aria-hidden viewBox="0 0 20 20" className="h-4 w-4 shrink-0 text-slate-300">
      <path fill="currentColor" d="M7.3 14.7a1 1 0 0 1 0-1.4L10.6 10 7.3 6.7a1 1 0 0 1 1.4-1.4l4 4a1 1 0 0 1 0 1.4l-4 4a1 1 0 0 1-1.4 0Z" />
    </svg>
  );
}

function Check() {
  return (
    <svg aria-hidden viewBox="0 0 20 20" className="h-4 w-4 shrink-0">
      <path fill="currentColor" d="M16.7 5.3a1 1 0 0 1 0 1.4l-8 8a1 1 0 0 1-1.4 0l-4-4a1 1 0 1 1 1.4-1.4L8 12.6l7.3-7.3a1 1 0 0 1 1.4 0Z" />
    </svg>
  );
}
