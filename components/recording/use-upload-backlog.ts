'use client';

import { useEffect, useSyncExternalStore } from 'react';
import { trpc } from '@/components/providers/trpc';
import { emptyBacklog, uploadQueue, type Backlog } from './upload-queue';

/** The device-side owner key of a logged-in candidate's recordings. */
export const candidateOwner = (candidateId: number) => `candidate:${candidateId}`;

const noop = () => () => {};

/**
 * Drains `owner`'s recordings from this device (including those a crashed or closed page left
 * behind) for as long as the calling component is mounted, and returns the backlog. Null while
 * the owner is not known yet (nothing uploads then).
 */
export function useUploadBacklog(owner: string | null): Backlog {
  const utils = trpc.useUtils();
  const queue = owner ? uploadQueue(owner) : null;
  useEffect(() => {
    if (!queue) return;
    queue.setApi({
      start: (input) => utils.client.recordings.start.mutate(input),
      finish: (input) => utils.client.recordings.finish.mutate(input),
    });
  }, [queue, utils]);
  return useSyncExternalStore(queue?.subscribe ?? noop, queue?.getSnapshot ?? (() => emptyBacklog), () => emptyBacklog);
}
