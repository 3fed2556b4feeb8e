'use client';

import { ConnectionQuality } from 'livekit-client';
import { useTranslations } from 'next-intl';
import { memo, useEffect, useRef, type ReactNode } from 'react';
import { RecordingBacklogBadge } from '@/components/recording/backlog-badge';
import { WitnessBadge } from '@/components/phone/witness-badge';
import { FaceBadge } from './face-badge';
import { CameraIcon, FlagIcon, MicIcon, PhoneIcon, QualityBars, ScreenIcon } from './icons';
import { LiveVideo, newFrameWatch, type FrameWatch } from './live-video';
import type { CandidateMedia, RoomMedia, SlotMode, VideoFeed } from './room-media';
import { useTicking } from './ticker';
import type { HealthLevel, HealthReason } from './tile-health';
import { useCandidateMedia } from './use-room-media';
import type { GridTile } from './use-room-tiles';

export type DisplayStatus = 'not_joined' | 'live' | 'reconnecting' | 'left';

const STATUS_STYLE: Record<DisplayStatus | 'finished', string> = {
  not_joined: 'bg-slate-600/90 text-white',
  live: 'bg-green-600 text-white',
  reconnecting: 'bg-amber-500 text-white',
  left: 'bg-red-600 text-white',
  finished: 'bg-slate-500 text-white',
};

const LEVEL_FRAME: Record<HealthLevel, string> = {
  urgent: 'border-red-500 ring-2 ring-red-400',
  warn: 'border-amber-400 ring-1 ring-amber-300',
  ok: 'border-slate-200',
  idle: 'border-slate-200',
  done: 'border-slate-200 opacity-80',
};

/** The server's status (from webhooks), made more urgent by what the SFU connection shows now. */
export function displayStatus(tile: GridTile, media: CandidateMedia | null): DisplayStatus {
  const status = tile.pc.status;
  if (status === 'live' && media?.pc?.quality === ConnectionQuality.Lost) return 'reconnecting';
  return status;
}

/** A camera without a new frame for this long is frozen, whatever the SFU says. */
const STALL_MS = 6000;
const FIRST_FRAME_MS = 10_000;

const QUALITY_BARS: Record<ConnectionQuality, 0 | 1 | 2 | 3> = {
  [ConnectionQuality.Excellent]: 3,
  [ConnectionQuality.Good]: 2,
  [ConnectionQuality.Poor]: 1,
  [ConnectionQuality.Lost]: 0,
  [ConnectionQuality.Unknown]: 0,
};

const NO_MODES: Record<'screen' | 'camera' | 'witness', SlotMode> = { screen: 'off', camera: 'off', witness: 'off' };

const feedTrack = (feed: VideoFeed | null) => (feed && !feed.muted ? feed.track : null);

/** Seconds since the last frame, bucketed so the strip re-renders rarely; null when fresh. */
function frameAge(watch: FrameWatch, now: number): number | null {
  const last = Math.max(watch.lastFrameAt, watch.attachedAt);
  if (!last) return null;
  const s = Math.floor((now - last) / 1000);
  if (s < 3) return null;
  return s < 60 ? s : Math.floor(s / 60) * 60;
}

/** Side: camera and witness beside the screen (wide tiles); overlay: over its corner. */
export type TileLayout = 'side' | 'overlay';

export type TileProps = {
  tile: GridTile;
  media: RoomMedia | null;
  level: HealthLevel;
  /** Comma-joined health reasons: a string, so the memo compares by value. */
  reasons: string;
  layout: TileLayout;
  /** The candidate's open help thread, if any: a badge that opens it on the desk. */
  helpThreadId?: number | null;
  onOpen: (candidateId: number) => void;
  onStalled: (candidateId: number, stalled: boolean) => void;
};

export const CandidateTile = memo(function CandidateTile({ tile, media: store, level, reasons, layout, helpThreadId = null, onOpen, onStalled }: TileProps) {
  const t = useTranslations('grid');
  const media = useCandidateMedia(store, tile.candidateId);
  const watches = useRef({ screen: newFrameWatch(), camera: newFrameWatch(), witness: newFrameWatch() }).current;
  const status = displayStatus(tile, media);
  const finished = tile.phase === 'finished';
  const { screen: screenMode, camera: cameraMode, witness: witnessMode } = media?.modes ?? NO_MODES;

  const screenTrack = screenMode === 'live' || screenMode === 'high' ? feedTrack(media?.screen ?? null) : null;
  const cameraTrack = cameraMode === 'live' || cameraMode === 'high' ? feedTrack(media?.camera ?? null) : null;
  const witnessTrack = witnessMode === 'live' || witnessMode === 'high' ? feedTrack(media?.witness ?? null) : null;

  const stalled = useTicking(() => {
    if (!cameraTrack) return false;
    const { lastFrameAt, attachedAt } = watches.camera;
    // The first frame waits for a keyframe and a decoder: more patience than between frames.
    return lastFrameAt ? Date.now() - lastFrameAt > STALL_MS : attachedAt > 0 && Date.now() - attachedAt > FIRST_FRAME_MS;
  });
  useEffect(() => {
    onStalled(tile.candidateId, stalled);
  }, [stalled, tile.candidateId, onStalled]);
  useEffect(() => () => onStalled(tile.candidateId, false), [tile.candidateId, onStalled]);

  const age = useTicking(() => {
    const now = Date.now();
    if (cameraTrack) return frameAge(watches.camera, now);
    if (screenTrack) return frameAge(watches.screen, now);
    return null;
  });

  const reasonList = reasons ? (reasons.split(',') as HealthReason[]) : [];
  const banner = level === 'urgent' ? reasonList[0] : undefined;
  const tracks = tile.pc.tracks;
  const phoneBound = tile.phone.status !== 'not_joined' || media?.phone != null || tile.witness != null;
  // Never joined, or finished and gone: a quiet tile, so the live ones stand out.
  const idle = (status === 'not_joined' || finished) && !media?.pc;

  return (
    <article
      data-testid={`tile-${tile.candidateId}`}
      data-status={status}
      data-tracks={tracks.join(',')}
      data-subscribed={media?.subscribed ?? ''}
      data-level={level}
      data-reasons={reasons}
      role="button"
      tabIndex={0}
      aria-label={t('openFocus', { name: tile.name })}
      onClick={() => onOpen(tile.candidateId)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault();
          onOpen(tile.candidateId);
        }
      }}
      className={`flex min-h-0 cursor-pointer flex-col overflow-hidden rounded-lg border bg-white shadow-sm outline-none focus-visible:ring-2 focus-visible:ring-blue-500 ${LEVEL_FRAME[level]}`}
    >
      <div className={`relative flex min-h-0 flex-1 ${idle ? 'bg-slate-100' : 'bg-slate-900'}`}>
        <div className="relative min-w-0 flex-1">
          <Picture
            track={screenTrack}
            still={screenMode === 'still' ? media?.stills.screen?.url : undefined}
            watch={watches.screen}
            testId="tile-screen"
            fit="object-contain"
            empty={finished ? t('finishedLong') : status === 'not_joined' ? t('notJoined') : t('noScreen')}
          />
          <span
            className={`absolute left-1 top-1 rounded px-1.5 py-0.5 text-xs font-medium leading-4 ${STATUS_STYLE[finished ? 'finished' : status]}`}
            data-testid="tile-status"
          >
            {finished ? t('finished') : t(`status.${status}`)}
          </span>
          {helpThreadId != null && <HelpBadge threadId={helpThreadId} />}
          {banner && (
            <span
              className="absolute inset-x-0 top-7 mx-auto w-fit max-w-[90%] truncate rounded bg-red-600/95 px-2 py-0.5 text-xs font-medium text-white shadow"
              data-testid="tile-alert"
            >
              {t(`reason.${banner}`)}
            </span>
          )}
        </div>
        <div
          hidden={idle && !phoneBound}
          className={
            layout === 'side'
              ? 'flex w-[var(--inset-w,120px)] shrink-0 flex-col justify-end gap-1 p-1'
              : 'absolute bottom-1 right-1 flex w-[28%] min-w-14 max-w-40 flex-col gap-1'
          }
        >
          {(tile.openFlags.length > 0 || tile.pendingAcks > 0) && (
            <div className={`flex justify-end gap-1 ${layout === 'side' ? 'mb-auto' : ''}`}>
              {tile.pendingAcks > 0 && (
                <span
                  className="rounded bg-blue-600 px-1 text-[11px] font-medium leading-4 text-white"
                  data-testid="tile-pending-acks"
                  title={t('pendingAcks', { count: tile.pendingAcks })}
                >
                  {t('pendingAcksShort', { count: tile.pendingAcks })}
                </span>
              )}
              {tile.openFlags.length > 0 && (
                <span
                  className="flex items-center gap-0.5 rounded bg-amber-400 px-1 text-[11px] font-semibold leading-4 text-amber-950"
                  data-testid="tile-flags"
                  data-count={tile.openFlags.length}
                  title={t('openFlags', { count: tile.openFlags.length })}
                >
                  <FlagIcon />
                  {tile.openFlags.length}
                </span>
              )}
            </div>
          )}
          {phoneBound ? (
            <Inset label={t('witness')} caption={!!witnessTrack || (witnessMode === 'still' && !!media?.stills.witness?.url)}>
              <Picture
                track={witnessTrack}
                still={witnessMode === 'still' ? media?.stills.witness?.url : undefined}
                watch={watches.witness}
                testId="tile-witness"
                fit="object-cover"
                empty={t('noWitness')}
                small
              />
              <WitnessBadge witness={tile.witness} />
            </Inset>
          ) : (
            <span className="self-end whitespace-nowrap rounded bg-slate-800/80 px-1 text-[10px] leading-4 text-slate-300" data-testid="tile-witness-unbound">
              {t('witnessUnbound')}
            </span>
          )}
          <Inset label={t('tracks.camera')}>
            <Picture
              track={cameraTrack}
              still={cameraMode === 'still' ? media?.stills.camera?.url : undefined}
              watch={watches.camera}
              testId="tile-camera"
              fit="object-cover"
              empty={t('noCamera')}
              small
            />
          </Inset>
        </div>
      </div>
      <footer className="shrink-0 space-y-0.5 px-2 py-1 text-xs leading-4">
        <div className="flex items-center gap-1.5">
          <span className="font-semibold tabular-nums text-slate-500">{t('seat', { seat: tile.seat })}</span>
          <span className="min-w-0 truncate font-medium text-slate-800">{tile.name}</span>
          {tile.lotNumber != null && <span className="shrink-0 rounded bg-blue-50 px-1 text-blue-700">{t('lot', { lot: tile.lotNumber })}</span>}
          <RecordingBacklogBadge candidateId={tile.candidateId} />
          {reasonList.includes('not_seen') && (
            <span className="ml-auto shrink-0 rounded bg-amber-100 px-1 text-amber-800" data-testid="tile-unseen">
              {t('reason.not_seen')}
            </span>
          )}
        </div>
        <HealthStrip
          tracks={tracks}
          quiet={idle || finished}
          media={media}
          phoneStatus={tile.phone.status}
          phoneBound={phoneBound}
          age={age}
          clockOffsetMs={tile.clockOffsetMs ?? null}
          stalled={stalled}
          face={tile.face}
          phase={tile.phase}
        />
      </footer>
    </article>
  );
});

/** Opens the thread on the desk in another tab: leaving the grid would drop its video. */
function HelpBadge({ threadId }: { threadId: number }) {
  const td = useTranslations('desk');
  return (
    <a
      href={`/desk?thread=${threadId}`}
      target="_blank"
      rel="noopener"
      data-testid="tile-help"
      data-thread-id={threadId}
      title={td('tileHelpTitle')}
      aria-label={td('tileHelpTitle')}
      onClick={(e) => e.stopPropagation()}
      onKeyDown={(e) => e.stopPropagation()}
      className="absolute right-1 top-1 rounded bg-fuchsia-600 px-1.5 py-0.5 text-xs font-semibold leading-4 text-white shadow hover:bg-fuchsia-700"
    >
      {td('tileHelp')}
    </a>
  );
}

function Inset({ label, caption = false, children }: { label: string; caption?: boolean; children: ReactNode }) {
  return (
    <div className="relative aspect-[4/3] overflow-hidden rounded border border-white/40 bg-slate-800" title={label}>
      {children}
      {caption && <span className="absolute left-0.5 top-0.5 rounded bg-slate-900/70 px-0.5 text-[9px] leading-3 text-slate-200">{label}</span>}
    </div>
  );
}

function Picture({
  track,
  still,
  watch,
  testId,
  fit,
  empty,
  small = false,
}: {
  track: VideoFeed['track'];
  still: string | undefined;
  watch: FrameWatch;
  testId: string;
  fit: string;
  empty: string;
  small?: boolean;
}) {
  const t = useTranslations('grid');
  if (track) return <LiveVideo track={track} watch={watch} testId={testId} className={`absolute inset-0 h-full w-full ${fit}`} />;
  if (still) {
    return (
      <>
        <img src={still} alt="" data-testid={`${testId}-still`} className={`absolute inset-0 h-full w-full ${fit}`} />
        {!small && <span className="absolute bottom-1 left-1 rounded bg-slate-900/70 px-1 text-[10px] text-slate-200">{t('still')}</span>}
      </>
    );
  }
  return (
    <span className={`absolute inset-0 flex items-center justify-center text-center text-slate-400 ${small ? 'text-[10px] leading-3' : 'text-xs'}`}>
      {empty}
    </span>
  );
}

type StripProps = {
  tracks: string[];
  /** Never joined or finished: a missing feed is expected, not alarming. */
  quiet: boolean;
  media: CandidateMedia | null;
  phoneStatus: DisplayStatus;
  phoneBound: boolean;
  age: number | null;
  clockOffsetMs: number | null;
  stalled: boolean;
  face: GridTile['face'];
  phase: GridTile['phase'];
};

/** Which feeds are live, network quality, the face checks, picture age and clock offset, in one line. */
function HealthStrip({ tracks, quiet, media, phoneStatus, phoneBound, age, clockOffsetMs, stalled, face, phase }: StripProps) {
  const t = useTranslations('grid');
  const feed = (on: boolean, label: string, icon: ReactNode, testId: string) => (
    <span
      title={`${label}: ${on ? t('feedOn') : t('feedOff')}`}
      data-testid={testId}
      data-on={on}
      className={`inline-flex items-center rounded px-0.5 ${on ? 'text-green-700' : quiet ? 'text-slate-300' : 'bg-red-50 text-red-600'}`}
    >
      {icon}
    </span>
  );
  const quality = media?.pc?.quality ?? ConnectionQuality.Unknown;
  const bars = QUALITY_BARS[quality];
  const offset = clockOffsetMs == null ? null : clockOffsetMs / 1000;
  return (
    <div className="flex items-center gap-1 text-slate-500">
      {feed(tracks.includes('screen_share') && !media?.screen?.muted, t('tracks.screen_share'), <ScreenIcon />, 'health-screen')}
      {feed(tracks.includes('camera') && !media?.camera?.muted && !stalled, t('tracks.camera'), <CameraIcon />, 'health-camera')}
      {feed(tracks.includes('microphone') && !media?.mic?.muted, t('tracks.microphone'), <MicIcon />, 'health-mic')}
      {phoneBound ? (
        feed(phoneStatus === 'live', t('witness'), <PhoneIcon />, 'health-witness')
      ) : (
        <span title={t('witnessUnbound')} className="inline-flex items-center px-0.5 text-slate-300" data-testid="health-witness" data-on="unbound">
          <PhoneIcon />
        </span>
      )}
      {media?.pc && (
        <span
          title={t(`quality.${quality}`)}
          data-testid="health-quality"
          data-quality={quality}
          className={bars >= 2 ? 'text-green-600' : bars === 1 ? 'text-amber-500' : 'text-red-500'}
        >
          <QualityBars level={bars} />
        </span>
      )}
      <FaceBadge face={face} phase={phase} />
      <span className="ml-auto flex items-center gap-1.5 tabular-nums">
        {age != null && (
          <span data-testid="health-frame-age" className={age >= 6 ? 'font-medium text-red-600' : 'text-slate-500'} title={t('frameAgeTitle')}>
            {age < 60 ? t('ageSeconds', { s: age }) : t('ageMinutes', { m: Math.floor(age / 60) })}
          </span>
        )}
        {offset != null && (
          <span data-testid="health-clock" title={t('clockOffsetTitle')} className={Math.abs(offset) >= 5 ? 'text-amber-600' : 'text-slate-400'}>
            {t('clockOffset', { s: (offset >= 0 ? '+' : '') + offset.toFixed(1) })}
          </span>
        )}
      </span>
    </div>
  );
}
