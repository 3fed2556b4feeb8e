'use client';

import type { inferRouterOutputs } from '@trpc/server';
import { useEffect, useRef, useState } from 'react';
import { useLive } from '@/components/live/live-provider';
import { trpc } from '@/components/providers/trpc';
import type { AppRouter } from '@/server/routers/_app';

type Outputs = inferRouterOutputs<AppRouter>;
export type RoomState = Outputs['invigilate']['roomState'];
export type GridTile = RoomState['tiles'][number];
export type RoomEventUpdate = { event: { id: number; type: string; candidateId: number | null; payload: unknown }; tile: GridTile | null };

/**
 * The room's tiles: a snapshot, then every timeline event after the snapshot's cursor on the
 * tab's live connection. On reconnect it resumes from the last event id it saw, so no status change is lost. Only
 * the tile an event concerns is replaced, so the other tiles keep their identity (and memo).
 * The snapshot is refreshed every minute for what changes without an event (an exam starting,
 * a time running out).
 */
export function useRoomTiles(roomId: number, onEvent?: (u: RoomEventUpdate) => void) {
  const view = trpc.invigilate.roomState.useQuery({ roomId }, { staleTime: Infinity, refetchInterval: 60_000, refetchOnWindowFocus: false, retry: false });
  const [tiles, setTiles] = useState<GridTile[]>([]);
  const [cursor, setCursor] = useState<number | null>(null);
  const lastSeen = useRef(0);
  const listener = useRef(onEvent);
  listener.current = onEvent;

  useEffect(() => {
    if (!view.data) return;
    setCursor((c) => c ?? view.data.lastEventId);
    // A snapshot read before an event we already applied would step that tile back.
    if (view.data.lastEventId >= lastSeen.current) setTiles(view.data.tiles);
  }, [view.data]);

  useLive(
    cursor != null ? `room:${roomId}` : null,
    {
      onData: (data) => {
        const update = data as unknown as RoomEventUpdate;
        lastSeen.current = Math.max(lastSeen.current, update.event.id);
        const tile = update.tile;
        if (tile) setTiles((prev) => prev.map((t) => (t.candidateId === tile.candidateId ? tile : t)));
        listener.current?.(update);
      },
    },
    cursor,
  );

  return { view, tiles };
}
