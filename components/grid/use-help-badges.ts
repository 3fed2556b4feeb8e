'use client';

import { useEffect, useRef, useState } from 'react';
import { useLive } from '@/components/live/live-provider';
import { trpc } from '@/components/providers/trpc';

/**
 * Which candidates of a room have an open help thread (candidate id -> thread id), live:
 * `help.roomThreads` for the first paint, then every desk event about a thread of this room
 * sets or clears that candidate's badge. A candidate has at most one open thread at a time.
 */
export function useHelpBadges(roomId: number): ReadonlyMap<number, number> {
  const initial = trpc.help.roomThreads.useQuery({ roomId }, { staleTime: Infinity, refetchOnWindowFocus: false, retry: false });
  const [badges, setBadges] = useState<ReadonlyMap<number, number>>(() => new Map());
  // Candidates an event already spoke for: the snapshot, if it lands later, must not undo that.
  const touched = useRef(new Set<number>());

  useEffect(() => {
    if (!initial.data) return;
    setBadges((prev) => {
      const next = new Map(prev);
      for (const row of initial.data) {
        if (touched.current.has(row.candidateId) || row.status === 'resolved') continue;
        next.set(row.candidateId, row.threadId);
      }
      return next;
    });
  }, [initial.data]);

  const gotEvent = useRef(false);
  const { refetch } = initial;
  useLive('desk', {
    // Until it has delivered an event the stream starts "from now": re-read what came before.
    onOpen: () => {
      if (!gotEvent.current) void refetch();
    },
    onData: ({ thread }) => {
      gotEvent.current = true;
      if (thread.roomId !== roomId) return;
      const candidateId = thread.candidate.id;
      touched.current.add(candidateId);
      setBadges((prev) => {
        const open = thread.status !== 'resolved';
        if (open ? prev.get(candidateId) === thread.id : prev.get(candidateId) !== thread.id) return prev;
        const next = new Map(prev);
        if (open) next.set(candidateId, thread.id);
        else next.delete(candidateId);
        return next;
      });
    },
  });

  return badges;
}
