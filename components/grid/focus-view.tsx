'use client';

import type { RemoteAudioTrack } from 'livekit-client';
import { useFormatter, useTranslations } from 'next-intl';
import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ReferencePhoto } from '@/components/photos/reference-photo';
import { PlaybackLink } from '@/components/recording/backlog-badge';
import { CandidateActions } from './candidate-actions';
import { displayStatus } from './candidate-tile';
import { FaceBadge } from './face-badge';
import { SpeakerIcon } from './icons';
import { LiveVideo } from './live-video';
import type { RoomMedia, VideoFeed } from './room-media';
import { CandidateTimeline } from './candidate-timeline';
import { URGENT_REASONS, type Health } from './tile-health';
import { useCandidateMedia } from './use-room-media';
import type { GridTile } from './use-room-tiles';

const track = (feed: VideoFeed | null | undefined) => (feed && !feed.muted ? feed.track : null);

/**
 * One candidate up close: the page asks for HIGH layers and the microphone while this is open
 * (the plan in RoomMedia follows focusId) and drops back to LOW and silence when it closes.
 */
export function FocusView({
  roomId,
  examId,
  tile,
  health,
  media: store,
  onClose,
}: {
  roomId: number;
  examId: number;
  tile: GridTile;
  health: Health | undefined;
  media: RoomMedia | null;
  onClose: () => void;
}) {
  const t = useTranslations('grid');
  const tPhoto = useTranslations('adminPhotos.reference');
  const format = useFormatter();
  const media = useCandidateMedia(store, tile.candidateId);
  const screenEl = useRef<HTMLVideoElement | null>(null);
  const onScreenElement = useCallback((el: HTMLVideoElement | null) => {
    screenEl.current = el;
  }, []);
  const [audioOn, setAudioOn] = useState(true);
  const [dialogOpen, setDialogOpen] = useState(false);

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !dialogOpen && !e.defaultPrevented) onClose();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [onClose, dialogOpen]);

  const status = displayStatus(tile, media);
  const screen = track(media?.screen);
  const camera = track(media?.camera);
  const witness = track(media?.witness);
  const mic = media?.mic && !media.mic.muted ? media.mic.track : null;
  const phoneBound = tile.phone.status !== 'not_joined' || media?.phone != null;

  return (
    <div className="fixed inset-0 z-40 flex bg-slate-900/60 p-3" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <section
        role="dialog"
        aria-modal="true"
        aria-label={t('focusTitle', { name: tile.name })}
        data-testid="focus-view"
        data-candidate={tile.candidateId}
        data-subscribed={media?.subscribed ?? ''}
        className="flex min-h-0 w-full overflow-hidden rounded-lg bg-white shadow-2xl"
      >
        <div className="flex min-w-0 flex-1 flex-col bg-slate-950">
          <header className="flex shrink-0 items-center gap-3 px-4 py-2 text-white">
            <span className="font-semibold tabular-nums text-slate-300">{t('seat', { seat: tile.seat })}</span>
            <h2 className="text-lg font-semibold">{tile.name}</h2>
            {tile.lotNumber != null && <span className="rounded bg-blue-500/30 px-1.5 text-sm text-blue-100">{t('lot', { lot: tile.lotNumber })}</span>}
            <span className="rounded bg-white/10 px-1.5 py-0.5 text-xs" data-testid="focus-status" data-status={status}>
              {tile.phase === 'finished' ? t('finished') : t(`status.${status}`)}
            </span>
            {health?.reasons.map((r) => (
              <span key={r} className={`rounded px-1.5 py-0.5 text-xs font-medium ${URGENT_REASONS.has(r) ? 'bg-red-600' : 'bg-amber-500 text-amber-950'}`}>
                {t(`reason.${r}`)}
              </span>
            ))}
            <FaceBadge face={tile.face} phase={tile.phase} onDark className="px-1.5 py-0.5 text-xs" />
            <div className="ml-auto flex items-center gap-2">
              <PlaybackLink examId={examId} roomId={roomId} candidateId={tile.candidateId} />
              <button
                type="button"
                data-testid="focus-audio"
                aria-pressed={audioOn}
                disabled={!mic}
                className="inline-flex items-center gap-1 rounded-md border border-white/20 px-2 py-1 text-sm text-slate-100 hover:bg-white/10 disabled:text-slate-500"
                onClick={() => setAudioOn((a) => !a)}
              >
                <SpeakerIcon muted={!audioOn || !mic} />
                {!mic ? t('noAudio') : audioOn ? t('audioOn') : t('audioOff')}
              </button>
              <button
                type="button"
                data-testid="focus-close"
                className="rounded-md bg-white/10 px-3 py-1 text-sm font-medium text-white hover:bg-white/20"
                onClick={onClose}
              >
                {t('closeFocus')}
              </button>
            </div>
          </header>
          <div className="relative min-h-0 flex-1">
            {screen ? (
              <LiveVideo track={screen} testId="focus-screen" className="absolute inset-0 h-full w-full object-contain" onElement={onScreenElement} />
            ) : (
              <span className="absolute inset-0 flex items-center justify-center text-sm text-slate-500">{t('noScreen')}</span>
            )}
          </div>
          <div className="flex h-[28%] min-h-28 shrink-0 gap-2 p-2">
            <FocusInset label={t('tracks.camera')}>
              {camera ? <LiveVideo track={camera} testId="focus-camera" className="h-full w-full object-contain" /> : <Empty text={t('noCamera')} />}
            </FocusInset>
            {/* Beside the live camera: is this the person whose photo the office holds? */}
            <FocusInset label={tPhoto('label')}>
              <ReferencePhoto candidateId={tile.candidateId} name={tile.name} />
            </FocusInset>
            <FocusInset label={t('witness')}>
              {witness ? (
                <LiveVideo track={witness} testId="focus-witness" className="h-full w-full object-contain" />
              ) : (
                <Empty text={phoneBound ? t('noWitness') : t('witnessUnbound')} />
              )}
            </FocusInset>
            <div className="ml-auto flex flex-col justify-end gap-0.5 text-right text-xs text-slate-400">
              {tile.endsAt && (
                <span data-testid="focus-ends-at">
                  {t('endsAt', { time: format.dateTime(tile.endsAt, 'timeSeconds') })}
                  {tile.extraMinutes > 0 && ` · ${t('extraMinutes', { m: tile.extraMinutes })}`}
                </span>
              )}
              {tile.clockOffsetMs != null && <span>{t('clockOffsetLong', { s: (tile.clockOffsetMs / 1000).toFixed(1) })}</span>}
            </div>
          </div>
          {mic && <FocusAudio track={mic} enabled={audioOn} />}
        </div>
        <aside className="flex w-[380px] shrink-0 flex-col border-l border-slate-200">
          <CandidateActions roomId={roomId} examId={examId} tile={tile} screenElement={screenEl} onDialogChange={setDialogOpen} />
          <CandidateTimeline roomId={roomId} candidateId={tile.candidateId} />
        </aside>
      </section>
    </div>
  );
}

function FocusInset({ label, children }: { label: string; children: ReactNode }) {
  return (
    <figure className="relative aspect-[4/3] h-full overflow-hidden rounded-md border border-white/15 bg-slate-900">
      {children}
      <figcaption className="absolute left-1 top-1 rounded bg-slate-900/70 px-1 text-[11px] text-slate-200">{label}</figcaption>
    </figure>
  );
}

const Empty = ({ text }: { text: string }) => <span className="flex h-full items-center justify-center text-xs text-slate-500">{text}</span>;

/** The candidate's microphone: only the focus view plays it, so one voice is heard at a time. */
function FocusAudio({ track, enabled }: { track: RemoteAudioTrack; enabled: boolean }) {
  const ref = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    track.attach(el);
    return () => {
      track.detach(el);
    };
  }, [track]);
  useEffect(() => {
    if (ref.current) ref.current.muted = !enabled;
  }, [enabled]);
  return <audio ref={ref} data-testid="focus-audio-element" autoPlay />;
}
