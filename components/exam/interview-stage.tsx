'use client';

import { useTranslations } from 'next-intl';
import { useState, type ReactNode } from 'react';
import { DeviceConfirmation, type ConfirmedDevices } from '@/components/devices/device-confirmation';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { StartsIn, WaitingCountdown } from './countdown';
import type { ServerNow } from './exam-clock';
import { ConfirmDialog } from './exam-dialog';
import type { useExamFinish } from './exam-finish';
import type { useQuestionMaterial } from './exam-questions';
import { SheetTabs } from './exam-sheet-tabs';
import { SheetBody } from './sheet-body';
import type { ExamSession, ExamSteps } from './exam-steps';
import { ScreenShareStep } from './screen-share-step';
import type { useExamPublisher } from './use-exam-publisher';

function ReloadIcon({ spinning }: { spinning: boolean }) {
  return (
    <svg aria-hidden viewBox="0 0 20 20" className={`h-5 w-5 ${spinning ? 'animate-spin' : ''}`}>
      <path fill="currentColor" d="M10 3a7 7 0 0 1 6.3 4H14a1 1 0 1 0 0 2h4a1 1 0 0 0 1-1V4a1 1 0 1 0-2 0v1.4A9 9 0 1 0 19 10a1 1 0 1 0-2 0 7 7 0 1 1-7-7Z" />
    </svg>
  );
}

/**
 * The interview after entry: sharing the screen, device confirmation, the waiting stage with its countdown, then
 * the question material, which appears by itself when the countdown reaches zero.
 */
export function InterviewStage({
  session,
  steps,
  markStep,
  started,
  serverNow,
  questions,
  onDevicesConfirmed,
  screen,
  finish,
  frame,
}: {
  session: ExamSession;
  steps: ExamSteps;
  markStep: (s: keyof ExamSteps) => void;
  started: boolean;
  serverNow: ServerNow;
  questions: ReturnType<typeof useQuestionMaterial>;
  onDevicesConfirmed: (d: ConfirmedDevices) => void;
  screen: ReturnType<typeof useExamPublisher>['screen'];
  finish: ReturnType<typeof useExamFinish>;
  frame: (main: ReactNode, actions: ReactNode) => ReactNode;
}) {
  const t = useTranslations('interview');
  const errorText = useErrorText();
  const [sheet, setSheet] = useState(0);
  const [confirming, setConfirming] = useState(false);
  const sheets = questions.data?.sheets;
  const current = sheets?.[Math.min(sheet, sheets.length - 1)];

  let main: ReactNode;
  // A permission, not a step remembered: every new page asks again.
  if (!screen.shared) main = <ScreenShareStep pending={screen.pending} problem={screen.problem} onShare={screen.share} />;
  else if (!steps.devicesConfirmed)
    main = (
      <div className="space-y-3">
        <div className="flex items-baseline justify-between">
          <div>
            <h2 className="text-lg font-semibold text-slate-900">{t('devices.title')}</h2>
            <p className="text-sm text-slate-500">{t('devices.lead')}</p>
          </div>
          <StartsIn startsAt={session.exam.startsAt} serverNow={serverNow} />
        </div>
        <DeviceConfirmation
          onConfirmed={(d) => {
            onDevicesConfirmed(d);
            markStep('devicesConfirmed');
          }}
        />
      </div>
    );
  else if (!started)
    main = (
      <div className="flex h-full flex-col items-center justify-center rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <WaitingCountdown startsAt={session.exam.startsAt} serverNow={serverNow} />
        <ul className="mt-2 max-w-md list-disc space-y-1 pl-5 text-sm text-slate-600">
          <li>{t('waiting.auto')}</li>
          <li>{t('waiting.sit')}</li>
          <li>{t('waiting.stay')}</li>
        </ul>
      </div>
    );
  else
    main = (
      <div className="flex h-full min-h-0 flex-col rounded-lg border border-slate-200 bg-white shadow-sm">
        <div className="flex items-center gap-3 border-b border-slate-200 px-5 py-3">
          <h2 className="flex-1 text-lg font-semibold text-slate-900">{current?.title ?? t('material')}</h2>
          <button
            type="button"
            data-testid="reload-questions"
            title={t('reload')}
            aria-label={t('reload')}
            onClick={() => void questions.refetch()}
            disabled={questions.isFetching}
            className="rounded-md p-1.5 text-slate-500 hover:bg-slate-100 hover:text-slate-800 disabled:text-slate-300"
          >
            <ReloadIcon spinning={questions.isFetching} />
          </button>
        </div>
        <div className="min-h-0 flex-1 overflow-y-auto px-6 py-5">
          {current ? (
            <div data-testid="question-material" data-sheet={sheet + 1} className="text-xl leading-loose text-slate-900">
              <SheetBody body={current.body} />
            </div>
          ) : (
            <div className="space-y-3 text-center text-slate-600" data-testid="material-loading">
              <p>{t('loading')}</p>
              {questions.error && <Alert tone="warning">{t('retrying', { reason: errorText(questions.error) ?? '' })}</Alert>}
            </div>
          )}
        </div>
        {sheets && sheets.length > 1 && (
          <div className="border-t border-slate-200 px-5 py-2.5">
            <SheetTabs sheets={sheets} current={sheet} onSelect={setSheet} />
          </div>
        )}
      </div>
    );

  const actions = started && screen.shared && steps.devicesConfirmed && (
    <div className="space-y-2">
      <Button variant="danger" className="w-full py-2.5" data-testid="end-exam" onClick={() => setConfirming(true)} disabled={!!finish.busy}>
        {finish.busy ? t('ending') : t('end')}
      </Button>
      {finish.error != null && finish.busy !== 'timeout' && <Alert>{t('endFailed', { reason: errorText(finish.error) ?? '' })}</Alert>}
    </div>
  );

  return (
    <>
      {frame(main, actions)}
      <ConfirmDialog
        open={confirming}
        title={t('confirmEnd.title')}
        confirmLabel={t('confirmEnd.confirm')}
        cancelLabel={t('confirmEnd.cancel')}
        confirmTestId="confirm-end"
        tone="danger"
        onCancel={() => setConfirming(false)}
        onConfirm={() => {
          setConfirming(false);
          void finish.run('ended');
        }}
      >
        <p>{t('confirmEnd.body')}</p>
      </ConfirmDialog>
    </>
  );
}
