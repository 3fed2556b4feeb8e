'use client';

import { ConnectionState, createLocalVideoTrack, DisconnectReason, type LocalVideoTrack, Room, RoomEvent, Track } from 'livekit-client';
import { connectRoom } from '@/components/live/connect';
import { useCallback, useEffect, useRef, useState } from 'react';
import { PUBLISH_LAYERS } from '@/components/live/publish-layers';
import { examReconnectPolicy, hasAlternatives } from '@/components/live/reconnect';
import { trpc } from '@/components/providers/trpc';

export type Facing = 'environment' | 'user';
export type PhoneLinkState = 'connecting' | 'live' | 'reconnecting' | 'lost' | 'removed';

/**
 * The token names the SFU as the server sees it. A phone on the LAN cannot reach a loopback
 * address: then the SFU is reached through the page's own origin (the LAN proxy of
 * `npm run demo -- --lan` forwards LiveKit's paths to it), which also keeps an HTTPS page on wss.
 */
export function sfuUrlFor(tokenUrl: string, page: Location) {
  const sfu = new URL(tokenUrl);
  const loopback = (h: string) => h === 'localhost' || h === '[::1]' || h.startsWith('127.');
  if (!loopback(sfu.hostname) || loopback(page.hostname)) return tokenUrl;
  return `${page.protocol === 'https:' ? 'wss' : 'ws'}://${page.host}`;
}

const captureOptions = (facing: Facing, deviceId?: string) => ({
  ...(deviceId ? { deviceId: { exact: deviceId } } : { facingMode: facing }),
  resolution: PUBLISH_LAYERS.witness[1].resolution,
});

/**
 * Publishes the phone's camera into the exam room for as long as `enabled`: fetches a
 * camera-only token for this phone, joins, publishes with a small simulcast layer for the grid,
 * and joins again on its own after LiveKit gives up reconnecting. A phone taken out of the room
 * by the server (another phone was bound) stops and says so.
 */
export function usePhonePublisher({ enabled, onRemoved }: { enabled: boolean; onRemoved: () => void }) {
  const tokenMutation = trpc.phone.token.useMutation({ networkMode: 'always' });
  const getToken = useRef(tokenMutation.mutateAsync);
  getToken.current = tokenMutation.mutateAsync;
  const removedRef = useRef(onRemoved);
  removedRef.current = onRemoved;

  const [state, setState] = useState<PhoneLinkState>('connecting');
  const [track, setTrack] = useState<LocalVideoTrack | null>(null);
  const [cameraError, setCameraError] = useState<string | null>(null);
  const [attempt, setAttempt] = useState(0);
  /** Bumped when the camera is switched: the same track object then carries a new capture. */
  const [capture, setCapture] = useState(0);
  const camera = useRef<{ facing: Facing; deviceId?: string }>({ facing: 'environment' });
  const roomRef = useRef<Room | null>(null);
  const failures = useRef(0);

  useEffect(() => {
    if (!enabled) return;
    let cancelled = false;
    let alternatives = false;
    const room = new Room({
      dynacast: true,
      adaptiveStream: false,
      stopLocalTrackOnUnpublish: true,
      reconnectPolicy: examReconnectPolicy(() => alternatives),
      publishDefaults: { simulcast: true, videoCodec: 'vp8', videoSimulcastLayers: [PUBLISH_LAYERS.witness[0]] },
    });
    roomRef.current = room;
    let retry: ReturnType<typeof setTimeout> | undefined;
    const again = () => {
      if (cancelled) return;
      setState('lost');
      const delay = Math.min(2000 * 2 ** failures.current++, 30_000);
      retry = setTimeout(() => setAttempt((n) => n + 1), navigator.onLine ? delay : 30_000);
    };
    const onState = (s: ConnectionState) => {
      if (s === ConnectionState.Reconnecting || s === ConnectionState.SignalReconnecting) setState('reconnecting');
      if (s === ConnectionState.Connected) setState(room.localParticipant.getTrackPublication(Track.Source.Camera) ? 'live' : 'connecting');
    };
    const onDisconnected = (reason?: DisconnectReason) => {
      if (cancelled) return;
      if (reason === DisconnectReason.PARTICIPANT_REMOVED || reason === DisconnectReason.DUPLICATE_IDENTITY) {
        setState('removed');
        removedRef.current();
        return;
      }
      again();
    };
    const onOnline = () => {
      if (room.state === ConnectionState.Disconnected && !cancelled) {
        clearTimeout(retry);
        setAttempt((n) => n + 1);
      }
    };
    room.on(RoomEvent.ConnectionStateChanged, onState).on(RoomEvent.Disconnected, onDisconnected);
    window.addEventListener('online', onOnline);

    (async () => {
      setState(attempt === 0 ? 'connecting' : 'reconnecting');
      const lk = await getToken.current();
      if (cancelled) return;
      let local: LocalVideoTrack;
      try {
        local = await createLocalVideoTrack(captureOptions(camera.current.facing, camera.current.deviceId));
        setCameraError(null);
      } catch (err) {
        setCameraError(err instanceof Error ? err.name : 'camera');
        throw err;
      }
      if (cancelled) return local.stop();
      alternatives = hasAlternatives(lk);
      await connectRoom(room, lk, { mapUrl: (url) => sfuUrlFor(url, window.location) });
      if (cancelled) return void room.disconnect();
      await room.localParticipant.publishTrack(local, { source: Track.Source.Camera, simulcast: true });
      failures.current = 0;
      setTrack(local);
      setState('live');
    })().catch((err: unknown) => {
      if (cancelled) return;
      // Unbound meanwhile: the page shows why instead of retrying forever.
      const code = (err as { data?: { appCode?: string } }).data?.appCode;
      if (code === 'phone.revoked' || code === 'phone.notBound') {
        setState('removed');
        removedRef.current();
        return;
      }
      // A connected room reports its disconnection itself, which schedules the next try.
      if (room.state === ConnectionState.Disconnected) again();
      else void room.disconnect();
    });

    return () => {
      cancelled = true;
      clearTimeout(retry);
      window.removeEventListener('online', onOnline);
      room.off(RoomEvent.ConnectionStateChanged, onState).off(RoomEvent.Disconnected, onDisconnected);
      void room.disconnect(true);
      roomRef.current = null;
      setTrack(null);
    };
  }, [enabled, attempt]);

  /** Moves the live camera to another lens without leaving the room. */
  const switchCamera = useCallback(async (next: { facing: Facing; deviceId?: string }) => {
    camera.current = next;
    const pub = roomRef.current?.localParticipant.getTrackPublication(Track.Source.Camera);
    const local = pub?.track as LocalVideoTrack | undefined;
    if (!local) return;
    try {
      await local.restartTrack(captureOptions(next.facing, next.deviceId));
      setCameraError(null);
      setCapture((n) => n + 1);
    } catch (err) {
      setCameraError(err instanceof Error ? err.name : 'camera');
    }
  }, []);

  return { state, track, capture, cameraError, switchCamera };
}
