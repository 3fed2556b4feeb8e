'use client';

import { VideoTrack } from '@livekit/components-react';
import type { LocalTrackPublication, Room, Track } from 'livekit-client';
import { useTranslations } from 'next-intl';
import type { ReactNode } from 'react';
import { RemainingTime } from './countdown';
import type { ServerNow } from './exam-clock';
import { PUBLISHED_SOURCES, type PublishedSource } from './use-exam-publisher';

const SOURCE_LABEL: Record<PublishedSource, 'screen' | 'camera' | 'microphone'> = {
  screen_share: 'screen',
  camera: 'camera',
  microphone: 'microphone',
};

export type CandidateCard = { name: string; idNumber: string; roomName: string; seat: number; lotNumber: number | null };

/**
 * The right-hand column of the exam: the live camera picture, what the invigilator sees of the
 * screen, personal info, the time left and the exam's main action.
 */
export function ExamSidePanel({
  room,
  publication,
  live,
  candidate,
  endsAt,
  showRemaining,
  serverNow,
  children,
}: {
  room: Room | null;
  publication: (s: PublishedSource) => LocalTrackPublication | undefined;
  live: Record<PublishedSource, boolean>;
  candidate: CandidateCard;
  endsAt: Date;
  showRemaining: boolean;
  serverNow: ServerNow;
  children?: ReactNode;
}) {
  const t = useTranslations('examRoom');
  const trackRef = (source: PublishedSource) => {
    const pub = publication(source);
    return room && pub?.track ? { participant: room.localParticipant, publication: pub, source: pub.source as Track.Source } : null;
  };
  const screen = trackRef('screen_share');
  const camera = trackRef('camera');

  return (
    <aside className="flex min-h-0 flex-col gap-3 overflow-y-auto pb-20">
      <div className="relative aspect-[4/3] shrink-0 overflow-hidden rounded-lg bg-slate-900">
        {camera && <VideoTrack trackRef={camera} data-testid="local-camera" className="h-full w-full -scale-x-100 object-cover" />}
        {!live.camera && <p className="absolute inset-0 flex items-center justify-center bg-slate-900 text-sm text-slate-400">{t('noCamera')}</p>}
        <span className="absolute left-2 top-2 flex items-center gap-1 rounded bg-black/50 px-1.5 py-0.5 text-xs text-white">
          <span className={`h-1.5 w-1.5 rounded-full ${live.camera ? 'bg-red-500' : 'bg-slate-400'}`} />
          {t('recording')}
        </span>
      </div>
      <div className="flex shrink-0 gap-3">
        <div className="relative aspect-video w-32 shrink-0 overflow-hidden rounded-md bg-slate-900" title={t('sharing')}>
          {screen && <VideoTrack trackRef={screen} data-testid="local-screen" className="h-full w-full object-contain" />}
        </div>
        <ul className="flex-1 space-y-0.5 text-xs">
          {PUBLISHED_SOURCES.map((s) => (
            <li key={s} className="flex items-center justify-between" data-testid={`source-${s}`} data-on={live[s]}>
              <span className="text-slate-600">{t(SOURCE_LABEL[s])}</span>
              <span className={live[s] ? 'text-green-700' : 'font-medium text-red-600'}>{live[s] ? t('on') : t('off')}</span>
            </li>
          ))}
        </ul>
      </div>
      <dl
        className="grid shrink-0 grid-cols-[auto_1fr] gap-x-3 gap-y-1 rounded-lg border border-slate-200 bg-white px-3 py-2 text-sm"
        data-testid="candidate-info"
      >
        <dt className="text-slate-500">{t('info.name')}</dt>
        <dd className="font-medium">{candidate.name}</dd>
        <dt className="text-slate-500">{t('info.idNumber')}</dt>
        <dd className="font-mono">{candidate.idNumber}</dd>
        <dt className="text-slate-500">{t('info.room')}</dt>
        <dd>{t('seatInfo', { room: candidate.roomName, seat: candidate.seat })}</dd>
        {candidate.lotNumber != null && (
          <>
            <dt className="text-slate-500">{t('info.lot')}</dt>
            <dd className="font-medium">{candidate.lotNumber}</dd>
          </>
        )}
      </dl>
      {showRemaining && <RemainingTime endsAt={endsAt} serverNow={serverNow} />}
      {children}
    </aside>
  );
}
