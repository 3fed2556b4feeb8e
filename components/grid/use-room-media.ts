'use client';

import { DisconnectReason, RoomEvent } from 'livekit-client';
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { trpc } from '@/components/providers/trpc';
import { hasAlternatives } from '@/components/live/reconnect';
import { RoomMedia, type CandidateMedia } from './room-media';

/**
 * Joins the exam room hidden and subscribe-only. A connection the SFU dropped for good (LiveKit
 * retries by itself first), or one that could not be made, is replaced by a new one with a
 * fresh token, with a growing pause while that keeps failing.
 */
export function useRoomMedia(roomId: number) {
  const watchToken = trpc.room.watchToken.useMutation();
  const [media, setMedia] = useState<RoomMedia | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  const mint = useRef(watchToken.mutateAsync);
  mint.current = watchToken.mutateAsync;

  const failures = useRef(0);

  useEffect(() => {
    let cancelled = false;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const m = new RoomMedia();
    setMedia(m);
    // At once (jittered) after a connection that worked, then a growing pause while joining
    // fails: the SFU may still be starting, or the app restarting.
    const again = () => {
      if (cancelled || retry) return;
      const n = failures.current++;
      retry = setTimeout(() => setAttempt((a) => a + 1), n === 0 ? Math.random() * 1000 : Math.min(30_000, 1000 * 2 ** Math.min(n, 5)));
    };
    m.room.on(RoomEvent.Disconnected, (reason) => {
      if (reason !== DisconnectReason.CLIENT_INITIATED) again();
    });
    (async () => {
      const t = await mint.current({ roomId });
      if (cancelled) return;
      m.alternatives = hasAlternatives(t);
      await m.connect(t);
      failures.current = 0;
      setError(null);
    })().catch((err: unknown) => {
      if (cancelled) return;
      setError((err as Error).message || String(err));
      again();
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
