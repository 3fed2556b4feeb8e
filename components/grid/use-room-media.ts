'use client';

import { DisconnectReason, RoomEvent } from 'livekit-client';
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { trpc } from '@/components/providers/trpc';
import { RoomMedia, type CandidateMedia } from './room-media';

/**
 * Joins the exam room hidden and subscribe-only. A connection the SFU dropped for good (LiveKit
 * retries by itself first) is replaced by a new one with a fresh token, with a growing pause.
 */
export function useRoomMedia(roomId: number) {
  const watchToken = trpc.room.watchToken.useMutation();
  const [media, setMedia] = useState<RoomMedia | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const mint = useRef(watchToken.mutateAsync);
  mint.current = watchToken.mutateAsync;

  useEffect(() => {
    let cancelled = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const m = new RoomMedia();
    setMedia(m);
    m.room.on(RoomEvent.Disconnected, (reason) => {
      if (cancelled || reason === DisconnectReason.CLIENT_INITIATED) return;
      retry = setTimeout(() => setAttempt((a) => a + 1), Math.min(30_000, 2000 * 2 ** Math.min(attempt, 4)));
    });
    (async () => {
      const t = await mint.current({ roomId });
      if (cancelled) return;
      await m.connect(t);
      setError(null);
    })().catch((err: unknown) => {
      if (!cancelled) setError((err as Error).message || String(err));
    });
    return () => {
      cancelled = true;
      clearTimeout(retry);
      m.dispose();
      setMedia(null);
    };
  }, [roomId, attempt]);

  return { media, error: error ?? watchToken.error?.message ?? null };
}

const NONE = () => () => {};

/** Re-renders on any change in the room (coalesced); for page-level counts and sorting. */
export function useMediaVersion(media: RoomMedia | null) {
  return useSyncExternalStore(
    media ? media.subscribeAny : NONE,
    () => (media ? media.version : -1),
    () => -1,
  );
}

/** One candidate's media; re-renders only when that candidate's participants change. */
export function useCandidateMedia(media: RoomMedia | null, candidateId: number): CandidateMedia | null {
  const subscribe = useCallback((cb: () => void) => (media ? media.subscribe(candidateId, cb) : () => {}), [media, candidateId]);
  return useSyncExternalStore(
    subscribe,
    () => (media ? media.media(candidateId) : null),
    () => null,
  );
}
