'use client';

import type { TrackReference } from '@livekit/components-react';
import { useTranslations } from 'next-intl';
import { useMemo, useState, type ReactNode } from 'react';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import type { AnswerValue, QueueState } from './answers-queue';
import { WaitingCountdown } from './countdown';
import type { ServerNow } from './exam-clock';
import { ConfirmDialog } from './exam-dialog';
import type { useExamFinish } from './exam-finish';
import type { useQuestionMaterial } from './exam-questions';
import { writtenSteps, type ExamSession, type ExamSteps } from './exam-steps';
import { ScreenShareStep } from './screen-share-step';
import type { useExamPublisher } from './use-exam-publisher';
import { isAnswered, numberQuestions, WrittenPaper } from './written-paper';
import { CameraStep, ConfirmInfoStep, NoticeStep, WrittenStepper } from './written-steps';

/**
 * The written exam after entry: share the screen, confirm personal info, adjust the camera, read
 * the notice, wait for the start if early, then answer and submit. A candidate coming back skips
 * what the server knows was done (`writtenSteps`). `children` renders the two-column frame.
 */
export function WrittenStage({
  session,
  steps,
  markStep,
  started,
  serverNow,
  questions,
  answers,
  locked,
  onEdit,
  camera,
  cameraLive,
  restoreCamera,
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
  answers: QueueState;
  /** Time is up, or another page holds the exam: the paper stays visible but takes no more edits. */
  locked: boolean;
  onEdit: (questionId: string, value: AnswerValue) => void;
  camera: TrackReference | null;
  cameraLive: boolean;
  restoreCamera: () => void;
  screen: ReturnType<typeof useExamPublisher>['screen'];
  finish: ReturnType<typeof useExamFinish>;
  frame: (main: ReactNode, actions: ReactNode) => ReactNode;
}) {
  const t = useTranslations('written');
  const errorText = useErrorText();
  const [infoConfirmed, setInfoConfirmed] = useState(!!session.registration.infoConfirmedAt);
  // Decided once, when the page opens: reading the notice now does not make this visit a return.
  const [returning] = useState(!!session.registration.noticeReadAt);
  const [confirming, setConfirming] = useState(false);

  const { shown, current: step } = writtenSteps({
    infoConfirmed: infoConfirmed || !!session.registration.infoConfirmedAt,
    noticeRead: !!session.registration.noticeReadAt || !!steps.noticeRead,
    returning,
    cameraRecheckOnReturn: session.exam.cameraRecheckOnReturn,
    cameraOk: !!steps.cameraOk,
    screenShared: screen.shared,
  });
  const sheets = questions.data?.sheets;
  const unanswered = useMemo(() => (sheets ? numberQuestions(sheets).filter((q) => !isAnswered(answers.values[q.id])) : []), [sheets, answers.values]);
  const paperOpen = step === 'exam' && started && !!sheets;

  let main: ReactNode;
  if (step === 'info') main = <ConfirmInfoStep session={session} onDone={() => setInfoConfirmed(true)} />;
  else if (step === 'screen') main = <ScreenShareStep pending={screen.pending} problem={screen.problem} onShare={screen.share} />;
  else if (step === 'camera') main = <CameraStep camera={camera} live={cameraLive} onRestore={restoreCamera} onDone={() => markStep('cameraOk')} />;
  else if (step === 'notice') main = <NoticeStep examId={session.exam.id} notice={session.exam.notice} onDone={() => markStep('noticeRead')} />;
  else if (!started)
    main = (
      <div className="rounded-lg border border-slate-200 bg-white p-6 shadow-sm">
        <WaitingCountdown startsAt={session.exam.startsAt} serverNow={serverNow} />
        <p className="text-center text-sm text-slate-500">{t('waitingHint')}</p>
      </div>
    );
  else if (!sheets)
    main = (
      <div className="flex flex-col items-center gap-3 rounded-lg border border-slate-200 bg-white p-10 text-center shadow-sm" data-testid="paper-loading">
        <p className="text-slate-600">{t('loadingPaper')}</p>
        {questions.error && (
          <>
            <Alert tone="warning">{t('paperRetrying', { reason: errorText(questions.error) ?? '' })}</Alert>
            <Button variant="secondary" data-testid="reload-questions" onClick={() => void questions.refetch()}>
              {t('reloadPaper')}
            </Button>
          </>
        )}
      </div>
    );
  else main = <WrittenPaper sheets={sheets} values={answers.values} saveState={answers} onEdit={onEdit} locked={locked} />;

  const actions = paperOpen && (
    <div className="space-y-2">
      <Button className="w-full py-2.5" data-testid="submit-exam" onClick={() => setConfirming(true)} disabled={!!finish.busy || locked}>
        {finish.busy ? t('submitting') : t('submit')}
      </Button>
      {finish.error != null && finish.busy !== 'timeout' && <Alert>{t('submitFailed', { reason: errorText(finish.error) ?? '' })}</Alert>}
    </div>
  );

  return (
    <>
      {frame(
        <div className="flex h-full min-h-0 flex-col gap-3">
          {step !== 'exam' && (
            <div className="flex justify-center py-1">
              <WrittenStepper shown={shown} current={step} />
            </div>
          )}
          <div className={`min-h-0 flex-1 ${paperOpen ? '' : 'overflow-y-auto'}`}>{main}</div>
        </div>,
        actions,
      )}
      <ConfirmDialog
        open={confirming}
        title={t('confirmSubmit.title')}
        confirmLabel={t('confirmSubmit.confirm')}
        cancelLabel={t('confirmSubmit.cancel')}
        confirmTestId="confirm-submit"
        busy={finish.busy === 'submitted'}
        onCancel={() => setConfirming(false)}
        onConfirm={() => {
          setConfirming(false);
          void finish.run('submitted');
        }}
      >
        {unanswered.length > 0 ? (
          <p data-testid="unanswered-list" className="font-medium text-amber-800">
            {t('confirmSubmit.unanswered', { count: unanswered.length, list: unanswered.map((q) => q.number).join('、') })}
          </p>
        ) : (
          <p>{t('confirmSubmit.allAnswered')}</p>
        )}
        <p>{t('confirmSubmit.final')}</p>
      </ConfirmDialog>
    </>
  );
}
