'use client';

import { ConnectionState } from 'livekit-client';
import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { Alert } from '@/components/ui/alert';
import { useErrorText } from '@/components/ui/use-error-text';
import { CandidateTile, displayStatus } from './candidate-tile';
import { useRoomFeeds } from './use-room-feeds';
import { useRoomTiles } from './use-room-tiles';

export function RoomGrid({ roomId }: { roomId: number }) {
  const t = useTranslations('grid');
  const errorText = useErrorText();
  const { view, tiles } = useRoomTiles(roomId);
  const feeds = useRoomFeeds(roomId);

  if (view.error) {
    return (
      <main className="mx-auto max-w-xl space-y-4 px-4 py-16">
        <Alert>{errorText(view.error)}</Alert>
        <Link href="/rooms" className="text-sm text-blue-700 underline">
          {t('back')}
        </Link>
      </main>
    );
  }

  const shown = tiles.map((tile) => ({ tile, feeds: feeds.feedsOf(tile.candidateId) }));
  const count = (s: string) => shown.filter(({ tile, feeds: f }) => displayStatus(tile, f) === s).length;

  return (
    <main className="mx-auto max-w-screen-2xl px-4 py-4">
      <div className="mb-3 flex flex-wrap items-baseline gap-3">
        <Link href="/rooms" className="text-sm text-blue-700 hover:underline">
          ← {t('back')}
        </Link>
        <h1 className="text-xl font-semibold">{view.data ? t('title', { room: view.data.room.name }) : ''}</h1>
        <p className="text-sm text-slate-600" data-testid="grid-summary">
          {t('summary', { total: tiles.length, live: count('live'), notJoined: count('not_joined'), left: count('left') })}
        </p>
        <span data-testid="video-state" data-state={feeds.connection} className="ml-auto text-xs text-slate-500">
          {feeds.connection !== ConnectionState.Connected && !feeds.error ? t('connecting') : null}
        </span>
      </div>
      {feeds.error && (
        <div className="mb-3">
          <Alert>{t('videoError', { reason: feeds.error })}</Alert>
        </div>
      )}
      <div className="grid grid-cols-[repeat(auto-fill,minmax(300px,1fr))] gap-3">
        {shown.map(({ tile, feeds: f }) => (
          <CandidateTile key={tile.candidateId} tile={tile} feeds={f} />
        ))}
      </div>
    </main>
  );
}
