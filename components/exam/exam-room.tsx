'use client';

import type { TrackReference } from '@livekit/components-react';
import { ConnectionState, type Track } from 'livekit-client';
import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { UpdatePrompt } from '@/components/checks/update-prompt';
import { useFaceWatch } from '@/components/face/use-face-watch';
import { readDisplayState, useDisplayState } from '@/components/checks/use-display-state';
import { useHelpDockInset } from '@/components/help/help-dock';
import { PhoneWitnessPanel } from '@/components/phone/phone-witness-panel';
import { trpc } from '@/components/providers/trpc';
import { useExamRecordings } from '@/components/recording/use-exam-recordings';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { LanguageSwitcher } from '@/components/ui/language-switcher';
import { useErrorText } from '@/components/ui/use-error-text';
import { useAnswersQueue } from './answers-queue-hook';
import { ServerTimeOfDay } from './countdown';
import { useExamClock, useReached, type ServerNow } from './exam-clock';
import { useExamCommands } from './exam-commands';
import { ExtraTimeBanner, StaffEndedBanner } from './exam-commands-notice';
import { ExamDoneView } from './exam-done';
import { useExamFinish } from './exam-finish';
import { useQuestionMaterial } from './exam-questions';
import { ExamSidePanel } from './exam-side-panel';
import { useExamSteps, type ExamSession } from './exam-steps';
import { IntegrityBanners } from './integrity-banners';
import { useIntegrityMonitor } from './integrity-monitor';
import { InterviewStage } from './interview-stage';
import { OtherPageBanner } from './other-page-banner';
import { SpokenInstructions } from './spoken-instructions';
import { StaffMessageDialog } from './staff-message-dialog';
import { useExamPage } from './use-exam-page';
import { useExamPublisher, type PublishedSource } from './use-exam-publisher';
import { WrittenStage } from './written-stage';

/**
 * The exam page, full screen without the portal around it. Shows the "done" screen to a candidate
 * who already finished; otherwise enters the exam and runs the written or interview flow.
 */
export function ExamRoom({ examId, candidateId }: { examId: number; candidateId: number }) {
  const t = useTranslations('examRoom');
  const errorText = useErrorText();
  // Staff commands arrive live (`useExamCommands`); re-reading every 30 s still catches extra
  // time or an end by staff should the live channel be down.
  const session = trpc.exam.session.useQuery({ examId }, { refetchInterval: 30_000, refetchIntervalInBackground: true });

  if (!session.data) {
    return session.error ? <Refusal message={errorText(session.error)} /> : <FullScreenNote data-testid="exam-loading">{t('loading')}</FullScreenNote>;
  }
  if (session.data.phase === 'finished') return <ExamDoneView session={session.data} candidateId={candidateId} />;
  return <ExamLive examId={examId} candidateId={candidateId} session={session.data} receivedAt={session.dataUpdatedAt} />;
}

function FullScreenNote({ children, ...rest }: { children: ReactNode; 'data-testid'?: string }) {
  return (
    <div {...rest} className="flex min-h-screen items-center justify-center bg-slate-100 text-slate-500">
      {children}
    </div>
  );
}

function Refusal({ message, onRetry }: { message: string | null; onRetry?: () => void }) {
  const t = useTranslations('examRoom');
  return (
    <main className="mx-auto max-w-xl space-y-4 px-4 py-16" data-testid="entry-refused">
      <h1 className="text-lg font-semibold text-slate-900">{t('refusedTitle')}</h1>
      <Alert>{message}</Alert>
      <div className="flex items-center gap-4">
        {onRetry && (
          <Button variant="secondary" onClick={onRetry} data-testid="retry-enter">
            {t('retryEnter')}
          </Button>
        )}
        <Link href="/exams" className="text-sm text-blue-700 underline">
          {t('backToExams')}
        </Link>
      </div>
    </main>
  );
}

function ExamLive({ examId, candidateId, session, receivedAt }: { examId: number; candidateId: number; session: ExamSession; receivedAt: number }) {
  const t = useTranslations('examRoom');
  const errorText = useErrorText();
  const displays = useDisplayState();
  const publisher = useExamPublisher(examId, { readDisplays: readDisplayState });
  const { serverNow } = useExamClock({ serverNow: session.serverNow, receivedAt });
  const startsAt = session.exam.startsAt.getTime();
  const endsAt = session.exam.endsAt.getTime();
  const started = useReached(serverNow, startsAt);
  const ended = useReached(serverNow, endsAt);
  const entered = !!publisher.entry;
  const written = session.exam.kind === 'written';
  const { steps, mark } = useExamSteps(examId, candidateId);
  // Help docks (its button in the header, its panel beside the page), never over the countdown or the submit button.
  const helpInset = useHelpDockInset();
  // Past the entry steps (the notice read, here or on the server): the spoken instructions play from here.
  const atExam = written ? !!session.registration.noticeReadAt || !!steps.noticeRead : !!steps.devicesConfirmed;

  const questions = useQuestionMaterial(examId, entered && started);
  const answers = useAnswersQueue({ examId, candidateId, serverAnswers: written ? questions.data?.answers : undefined });
  const { queue } = answers;
  const page = useExamPage({ examId, candidateId, queue, active: written && entered });
  // A newer page (tab, browser, device) holds the exam: this one shows the paper read-only.
  const readOnly = answers.state.handedOver;
  const drain = useCallback(() => queue.drain(), [queue]);
  const recordings = useExamRecordings({
    examId,
    candidateId,
    ready: publisher.settled,
    sources: {
      screen: publisher.publication('screen_share')?.track?.mediaStreamTrack,
      camera: publisher.publication('camera')?.track?.mediaStreamTrack,
      microphone: publisher.publication('microphone')?.track?.mediaStreamTrack,
    },
  });
  const { leave: stopMedia } = publisher;
  const { stop: stopRecordings } = recordings;
  const leave = useCallback(async () => {
    // The recordings' last chunks first: they are stored on the device and upload from the done screen.
    await stopRecordings();
    await stopMedia();
    // Everything reached the server before the finish: the copy on this device can go.
    queue.clear();
  }, [stopRecordings, stopMedia, queue]);
  const finish = useExamFinish({ examId, flushAnswers: written ? drain : undefined, leave });

  // Ended by staff: the server has already finished the exam, so this is the finish path without
  // the finish call (saves would be refused now, so nothing is flushed).
  const router = useRouter();
  const utils = trpc.useUtils();
  const [staffEnded, setStaffEnded] = useState(false);
  const onStaffEnded = useCallback(() => setStaffEnded(true), []);
  const leaving = useRef(false);
  useEffect(() => {
    if (!staffEnded || leaving.current) return;
    leaving.current = true;
    void (async () => {
      await leave().catch(() => {});
      await Promise.all([utils.exam.session.invalidate({ examId }), utils.exam.listMine.invalidate()]);
      router.replace(`/exams/${examId}/done`);
    })();
  }, [staffEnded, leave, utils, examId, router]);

  const commands = useExamCommands({ examId, candidateId, active: entered && !staffEnded, onEnded: onStaffEnded });

  const integrity = useIntegrityMonitor({
    examId,
    candidateId,
    active: entered && !finish.busy && !staffEnded && !readOnly,
    serverNow,
    live: publisher.live,
    settled: publisher.settled,
    displays,
  });
  // Face checks on the candidate's own camera while they sit the exam (signals, not verdicts):
  // the models load on entry, the checks run from the start to the end.
  useFaceWatch({
    examId,
    candidateId,
    settings: publisher.entry?.face ?? null,
    track: publisher.publication('camera')?.track?.mediaStreamTrack,
    serverNow,
    load: entered && !ended && !staffEnded,
    active: entered && started && !ended && !finish.busy && !staffEnded,
  });

  // Time is up on the server's clock: send what is queued, then hand in.
  const { run } = finish;
  useEffect(() => {
    if (ended && entered && !staffEnded) void run('timeout');
  }, [ended, entered, staffEnded, run]);

  if (publisher.refusal) return <Refusal message={errorText(publisher.refusal)} onRetry={publisher.reenter} />;
  if (!entered) return <FullScreenNote data-testid="exam-entering">{t('entering')}</FullScreenNote>;

  // Once staff ended the exam, what they had to say is moot (it stays in the message centre).
  const message = staffEnded ? null : commands.message;

  const trackRef = (source: PublishedSource): TrackReference | null => {
    const pub = publisher.publication(source);
    return publisher.room && pub?.track ? { participant: publisher.room.localParticipant, publication: pub, source: pub.source as Track.Source } : null;
  };

  const frame = (main: ReactNode, actions: ReactNode) => (
    <div className={`flex h-screen flex-col bg-slate-100 text-slate-900 ${helpInset}`} data-testid="exam-room" data-kind={session.exam.kind}>
      <ExamHeader
        session={session}
        serverNow={serverNow}
        connection={publisher.connection}
        offline={integrity.offline}
        hasRoom={!!publisher.room}
        fullscreen={integrity.fullscreen}
        onFullscreen={integrity.goFullscreen}
      />
      {/* Inert under a staff message: no typing into the paper, no submit, until it is acknowledged. */}
      <div className="grid min-h-0 flex-1 grid-cols-[1fr_300px] gap-4 p-4" inert={!!message}>
        <section className="flex min-h-0 flex-col gap-3">
          <UpdatePrompt />
          {readOnly && <OtherPageBanner answers={answers.state} onTakeOver={page.takeOver} />}
          <IntegrityBanners
            settled={publisher.settled}
            live={publisher.live}
            everLive={integrity.everLive}
            onRestore={publisher.restore}
            screen={publisher.screen}
            extendedDisplay={displays === 'extended'}
            offline={integrity.offline}
            leftPage={integrity.leftPage}
            onDismissLeftPage={integrity.dismissLeftPage}
            displaced={publisher.displaced && !readOnly}
            onReenter={publisher.reenter}
          />
          {finish.busy === 'timeout' && (
            <div role="status" data-testid="timeout-submitting" className="rounded-lg border border-blue-200 bg-blue-50 px-4 py-2.5 text-sm text-blue-900">
              <p className="font-medium">{t(written ? 'timeUp.written' : 'timeUp.interview')}</p>
              {finish.error != null && <p>{t('timeUp.retrying')}</p>}
            </div>
          )}
          {staffEnded && <StaffEndedBanner />}
          {commands.extraTime && !staffEnded && <ExtraTimeBanner notice={commands.extraTime} onDismiss={commands.dismissExtraTime} />}
          {session.instructions && (
            <SpokenInstructions examId={examId} candidateId={candidateId} instructions={session.instructions} active={atExam && !ended && !staffEnded} />
          )}
          <div className="min-h-0 flex-1">{main}</div>
        </section>
        <ExamSidePanel
          room={publisher.room}
          publication={publisher.publication}
          live={publisher.live}
          candidate={{
            name: session.candidate.name,
            idNumber: session.candidate.idNumber,
            roomName: session.room.name,
            seat: session.room.seat,
            lotNumber: session.registration.lotNumber,
          }}
          endsAt={session.exam.endsAt}
          showRemaining={started}
          serverNow={serverNow}
        >
          <PhoneWitnessPanel examId={session.exam.id} compact />
          {actions}
        </ExamSidePanel>
      </div>
      {message && (
        <StaffMessageDialog
          message={message}
          queued={commands.queued}
          onAcknowledge={(id) => void commands.acknowledge(id)}
          busy={commands.acknowledging}
          error={commands.acknowledgeError}
        />
      )}
    </div>
  );

  return written ? (
    <WrittenStage
      session={session}
      steps={steps}
      markStep={mark}
      started={started}
      serverNow={serverNow}
      questions={questions}
      answers={answers.state}
      locked={ended || staffEnded || readOnly || !page.ready}
      onEdit={answers.edit}
      camera={trackRef('camera')}
      cameraLive={publisher.live.camera}
      restoreCamera={() => publisher.restore('camera')}
      screen={publisher.screen}
      finish={finish}
      frame={frame}
    />
  ) : (
    <InterviewStage
      session={session}
      steps={steps}
      markStep={mark}
      started={started}
      serverNow={serverNow}
      questions={questions}
      onDevicesConfirmed={(d) => void publisher.switchDevices(d)}
      screen={publisher.screen}
      finish={finish}
      frame={frame}
    />
  );
}

function ExamHeader({
  session,
  serverNow,
  connection,
  offline,
  hasRoom,
  fullscreen,
  onFullscreen,
}: {
  session: ExamSession;
  serverNow: ServerNow;
  connection: ConnectionState;
  offline: boolean;
  hasRoom: boolean;
  fullscreen: boolean;
  onFullscreen: () => void;
}) {
  const t = useTranslations('examRoom');
  const ok = connection === ConnectionState.Connected && !offline;
  const connectionText = offline
    ? t('offline')
    : connection === ConnectionState.Connected
      ? t('connected')
      : connection === ConnectionState.Reconnecting || connection === ConnectionState.SignalReconnecting
        ? t('reconnecting')
        : connection === ConnectionState.Disconnected && hasRoom
          ? t('disconnected')
          : t('connecting');
  return (
    <header className="flex h-12 shrink-0 items-center gap-4 border-b border-slate-200 bg-white px-4">
      <span className="rounded bg-blue-50 px-2 py-0.5 text-xs font-medium text-blue-700">{t(`kind.${session.exam.kind}`)}</span>
      <span className="truncate font-semibold">{session.exam.title}</span>
      <span className="ml-auto flex items-center gap-1.5 text-sm text-slate-500" title={t('serverTime')}>
        {t('clock')} <ServerTimeOfDay serverNow={serverNow} />
      </span>
      <span data-testid="connection-state" data-state={connection} className={`flex items-center gap-1.5 text-sm ${ok ? 'text-green-700' : 'text-amber-700'}`}>
        <span aria-hidden className={`h-2 w-2 rounded-full ${ok ? 'bg-green-500' : 'bg-amber-500'}`} />
        {connectionText}
      </span>
      {!fullscreen && (
        <Button variant="secondary" className="py-1" onClick={onFullscreen} data-testid="go-fullscreen">
          {t('fullscreen')}
        </Button>
      )}
      <LanguageSwitcher />
    </header>
  );
}
