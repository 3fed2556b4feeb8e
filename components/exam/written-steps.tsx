'use client';

import { VideoTrack, type TrackReference } from '@livekit/components-react';
import { useTranslations } from 'next-intl';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Stepper } from '@/components/ui/stepper';
import { useErrorText } from '@/components/ui/use-error-text';
import type { ExamSession, WrittenStep } from './exam-steps';

/** Where the candidate is in "share screen -> confirm info -> camera -> notice -> answer" (the steps this visit shows, see `writtenSteps`). */
export function WrittenStepper({ shown, current }: { shown: readonly WrittenStep[]; current: WrittenStep }) {
  const t = useTranslations('written.steps');
  return <Stepper labels={shown.map((s) => t(s))} at={shown.indexOf(current)} testId="written-steps" />;
}

export function StepCard({ title, lead, children, testId }: { title: string; lead?: string; children: React.ReactNode; testId?: string }) {
  return (
    <div className="mx-auto w-full max-w-2xl rounded-lg border border-slate-200 bg-white p-6 shadow-sm" data-testid={testId}>
      <h2 className="text-lg font-semibold text-slate-900">{title}</h2>
      {lead && <p className="mt-1 text-sm text-slate-500">{lead}</p>}
      <div className="mt-4">{children}</div>
    </div>
  );
}

export function ConfirmInfoStep({ session, onDone }: { session: ExamSession; onDone: () => void }) {
  const t = useTranslations('written.info');
  const errorText = useErrorText();
  const confirm = trpc.exam.confirmInfo.useMutation({ onSuccess: onDone });
  const rows: [string, string][] = [
    [t('name'), session.candidate.name],
    [t('idNumber'), session.candidate.idNumber],
    [t('exam'), session.exam.title],
    [t('room'), t('roomSeat', { room: session.room.name, seat: session.room.seat })],
    [t('phone'), session.candidate.phone ?? t('none')],
    [t('email'), session.candidate.email ?? t('none')],
  ];
  return (
    <StepCard title={t('title')} lead={t('lead')}>
      <dl className="grid grid-cols-[7rem_1fr] gap-x-4 gap-y-2.5 text-sm">
        {rows.map(([k, v]) => (
          <div key={k} className="contents">
            <dt className="text-slate-500">{k}</dt>
            <dd className="font-medium text-slate-900">{v}</dd>
          </div>
        ))}
      </dl>
      <p className="mt-4 text-xs text-slate-500">{t('wrong')}</p>
      {confirm.error && (
        <div className="mt-3">
          <Alert>{errorText(confirm.error)}</Alert>
        </div>
      )}
      <div className="mt-5 flex justify-end">
        <Button data-testid="confirm-info" onClick={() => confirm.mutate({ examId: session.exam.id })} disabled={confirm.isPending}>
          {t('confirm')}
        </Button>
      </div>
    </StepCard>
  );
}

/** A head-and-shoulders outline over the live picture: where the candidate should sit. */
function FramingGuide() {
  return (
    <svg aria-hidden viewBox="0 0 400 300" className="pointer-events-none absolute inset-0 h-full w-full" preserveAspectRatio="xMidYMid meet">
      <g fill="none" stroke="white" strokeOpacity="0.9" strokeWidth="3" strokeDasharray="10 8">
        <ellipse cx="200" cy="120" rx="62" ry="78" />
        <path d="M70 300 C 80 225, 130 205, 165 198 M330 300 C 320 225, 270 205, 235 198" />
      </g>
    </svg>
  );
}

export function CameraStep({ camera, live, onRestore, onDone }: { camera: TrackReference | null; live: boolean; onRestore: () => void; onDone: () => void }) {
  const t = useTranslations('written.camera');
  return (
    <StepCard title={t('title')} lead={t('lead')}>
      <div className="grid grid-cols-[1fr_14rem] gap-5">
        <div className="relative aspect-[4/3] overflow-hidden rounded-lg bg-slate-900">
          {camera && <VideoTrack trackRef={camera} className="h-full w-full -scale-x-100 object-cover" />}
          {live ? (
            <FramingGuide />
          ) : (
            <div className="absolute inset-0 flex flex-col items-center justify-center gap-3 bg-slate-900 p-4 text-center text-sm text-slate-300">
              <p>{t('noCamera')}</p>
              <Button variant="secondary" onClick={onRestore}>
                {t('retry')}
              </Button>
            </div>
          )}
        </div>
        <ul className="list-disc space-y-2 pl-4 text-sm text-slate-600">
          <li>{t('tipFace')}</li>
          <li>{t('tipLight')}</li>
          <li>{t('tipAlone')}</li>
          <li>{t('tipPhone')}</li>
        </ul>
      </div>
      <div className="mt-5 flex justify-end">
        <Button data-testid="camera-ok" onClick={onDone} disabled={!live}>
          {t('ok')}
        </Button>
      </div>
    </StepCard>
  );
}

export function NoticeStep({ examId, notice, onDone }: { examId: number; notice: string; onDone: () => void }) {
  const t = useTranslations('written.notice');
  const errorText = useErrorText();
  // On the server, so a candidate coming back from another browser is not shown the notice again.
  const read = trpc.exam.readNotice.useMutation({ onSuccess: onDone });
  return (
    <StepCard title={t('title')} lead={t('lead')}>
      <div className="max-h-[40vh] overflow-y-auto whitespace-pre-wrap rounded-md border border-slate-200 bg-slate-50 p-4 text-sm leading-relaxed text-slate-800">
        {notice || t('empty')}
      </div>
      {read.error && (
        <div className="mt-3">
          <Alert>{errorText(read.error)}</Alert>
        </div>
      )}
      <div className="mt-5 flex justify-end">
        <Button data-testid="notice-read" onClick={() => read.mutate({ examId })} disabled={read.isPending}>
          {t('ok')}
        </Button>
      </div>
    </StepCard>
  );
}
