'use client';

import { VideoTrack } from '@livekit/components-react';
import { ConnectionQuality } from 'livekit-client';
import { useTranslations } from 'next-intl';
import type { CandidateFeeds } from './use-room-feeds';
import type { Tile } from './use-room-tiles';

export type DisplayStatus = 'not_joined' | 'live' | 'reconnecting' | 'left';

const STATUS_STYLE: Record<DisplayStatus, string> = {
  not_joined: 'bg-slate-200 text-slate-700',
  live: 'bg-green-600 text-white',
  reconnecting: 'bg-amber-500 text-white',
  left: 'bg-red-600 text-white',
};

const TRACKS = ['screen_share', 'camera', 'microphone'] as const;

/** The server's status (from webhooks), made more urgent by what the SFU connection shows now. */
export function displayStatus(tile: Tile, feeds: CandidateFeeds | null): DisplayStatus {
  const status = tile.pc.status;
  if (status === 'live' && feeds?.quality === ConnectionQuality.Lost) return 'reconnecting';
  return status;
}

export function CandidateTile({ tile, feeds }: { tile: Tile; feeds: CandidateFeeds | null }) {
  const t = useTranslations('grid');
  const status = displayStatus(tile, feeds);
  const urgent = status === 'reconnecting' || status === 'left';
  return (
    <article
      data-testid={`tile-${tile.candidateId}`}
      data-status={status}
      data-tracks={tile.pc.tracks.join(',')}
      className={`flex flex-col overflow-hidden rounded-lg border bg-white shadow-sm ${urgent ? 'border-red-400 ring-2 ring-red-300' : 'border-slate-200'}`}
    >
      <div className="relative aspect-video bg-slate-900">
        {feeds?.screen ? (
          <VideoTrack trackRef={feeds.screen} data-testid="tile-screen" className="h-full w-full object-contain" />
        ) : (
          <span className="absolute inset-0 flex items-center justify-center text-xs text-slate-500">{t('noScreen')}</span>
        )}
        <div className="absolute bottom-1.5 right-1.5 aspect-[4/3] w-1/4 min-w-16 overflow-hidden rounded border border-white/40 bg-slate-800">
          {feeds?.camera ? (
            <VideoTrack trackRef={feeds.camera} data-testid="tile-camera" className="h-full w-full object-cover" />
          ) : (
            <span className="flex h-full items-center justify-center text-[10px] text-slate-400">{t('noCamera')}</span>
          )}
        </div>
        <span className={`absolute left-1.5 top-1.5 rounded px-1.5 py-0.5 text-xs font-medium ${STATUS_STYLE[status]}`} data-testid="tile-status">
          {t(`status.${status}`)}
        </span>
      </div>
      <div className="flex items-center gap-2 px-2.5 py-1.5 text-sm">
        <span className="font-medium tabular-nums text-slate-500">{t('seat', { seat: tile.seat })}</span>
        <span className="truncate font-medium">{tile.name}</span>
        <span className="ml-auto flex gap-1">
          {TRACKS.map((s) => {
            const on = tile.pc.tracks.includes(s);
            return (
              <span
                key={s}
                title={t(`tracks.${s}`)}
                className={`rounded px-1 text-[10px] ${on ? 'bg-green-100 text-green-800' : 'bg-slate-100 text-slate-400 line-through'}`}
              >
                {t(`tracks.${s}`)}
              </span>
            );
          })}
        </span>
      </div>
    </article>
  );
}
