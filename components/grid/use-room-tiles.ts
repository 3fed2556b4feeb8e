'use client';

import { skipToken } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import type { AppRouter } from '@/server/routers/_app';
import type { inferRouterOutputs } from '@trpc/server';

export type Tile = inferRouterOutputs<AppRouter>['room']['byId']['tiles'][number];

/**
 * The room's tiles: a snapshot, then every timeline event after the snapshot's cursor over SSE.
 * On reconnect tRPC resumes from the last event id it saw, so no status change is lost.
 */
export function useRoomTiles(roomId: number) {
  const view = trpc.room.byId.useQuery({ roomId }, { staleTime: Infinity, refetchOnWindowFocus: false, retry: false });
  const [tiles, setTiles] = useState<Tile[]>([]);

  useEffect(() => {
    if (view.data) setTiles(view.data.tiles);
  }, [view.data]);

  trpc.room.onEvents.useSubscription(view.data ? { roomId, lastEventId: view.data.lastEventId } : skipToken, {
    onData: ({ data }) => {
      const tile = data.tile;
      if (!tile) return;
      setTiles((prev) => prev.map((t) => (t.candidateId === tile.candidateId ? tile : t)));
    },
  });

  return { view, tiles };
}
