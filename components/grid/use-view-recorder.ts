'use client';

import { useEffect, useRef } from 'react';
import { trpc } from '@/components/providers/trpc';

const DWELL_MS = 3000;
const REPEAT_MS = 60_000;

/**
 * "Last viewed live": the candidates a page showed to this invigilator for a few seconds, with
 * the tab in front, are recorded on the server (so every invigilator of the room shares it),
 * and again every minute while they stay on screen. `seen` gets the local times at once, so
 * the page does not wait for the next snapshot to clear a warning.
 */
export function useViewRecorder(roomId: number, shownIds: number[], seen: Map<number, number>, onRecorded: () => void) {
  const mark = trpc.invigilate.markViewed.useMutation();
  const mutate = useRef(mark.mutate);
  mutate.current = mark.mutate;
  const notify = useRef(onRecorded);
  notify.current = onRecorded;
  const key = shownIds.join(',');

  useEffect(() => {
    const ids = key ? key.split(',').map(Number) : [];
    if (!ids.length) return;
    const record = () => {
      if (document.visibilityState !== 'visible') return;
      const now = Date.now();
      for (const id of ids) seen.set(id, now);
      notify.current();
      mutate.current({ roomId, candidateIds: ids.slice(0, 40) });
    };
    const first = setTimeout(record, DWELL_MS);
    const again = setInterval(record, REPEAT_MS);
    return () => {
      clearTimeout(first);
      clearInterval(again);
    };
  }, [roomId, key, seen]);
}
