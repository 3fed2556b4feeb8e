'use client';

import {
  ConnectionQuality,
  ConnectionState,
  Room,
  RoomEvent,
  Track,
  VideoQuality,
  type RemoteParticipant,
  type RemoteTrackPublication,
} from 'livekit-client';
import { useEffect, useRef, useState } from 'react';
import { trpc } from '@/components/providers/trpc';

export type TrackRef = { participant: RemoteParticipant; publication: RemoteTrackPublication; source: Track.Source };

export type CandidateFeeds = {
  participant: RemoteParticipant;
  screen: TrackRef | null;
  camera: TrackRef | null;
  quality: ConnectionQuality;
};

const isCandidatePc = (p: RemoteParticipant) => p.attributes.role === 'candidate' && p.attributes.device === 'pc';

/**
 * Subscribes by hand (autoSubscribe off) to the candidates' video at the LOW simulcast layer:
 * a grid tile is small, and every stream not asked for is bandwidth the invigilator keeps.
 */
function watch(pub: RemoteTrackPublication) {
  if (pub.kind !== Track.Kind.Video) return;
  if (!pub.isSubscribed) pub.setSubscribed(true);
  pub.setVideoQuality(VideoQuality.LOW);
}

/** Joins the exam room hidden and subscribe-only, and exposes each candidate's PC feeds. */
export function useRoomFeeds(roomId: number) {
  const watchToken = trpc.room.watchToken.useMutation();
  const [room, setRoom] = useState<Room | null>(null);
  const [connection, setConnection] = useState<ConnectionState>(ConnectionState.Disconnected);
  const [error, setError] = useState<string | null>(null);
  const [version, setVersion] = useState(0);
  const mint = useRef(watchToken.mutateAsync);
  mint.current = watchToken.mutateAsync;

  useEffect(() => {
    let cancelled = false;
    const r = new Room({ adaptiveStream: false, dynacast: false });
    const bump = () => setVersion((v) => v + 1);
    const onPublished = (pub: RemoteTrackPublication, p: RemoteParticipant) => {
      if (isCandidatePc(p)) watch(pub);
      bump();
    };
    const onState = (s: ConnectionState) => setConnection(s);
    const rerenderOn = [
      RoomEvent.ParticipantConnected,
      RoomEvent.ParticipantDisconnected,
      RoomEvent.TrackUnpublished,
      RoomEvent.TrackSubscribed,
      RoomEvent.TrackUnsubscribed,
      RoomEvent.TrackMuted,
      RoomEvent.TrackUnmuted,
      RoomEvent.ConnectionQualityChanged,
      RoomEvent.ParticipantAttributesChanged,
    ] as const;
    for (const ev of rerenderOn) r.on(ev, bump);
    r.on(RoomEvent.TrackPublished, onPublished).on(RoomEvent.ConnectionStateChanged, onState);

    (async () => {
      const t = await mint.current({ roomId });
      if (cancelled) return;
      await r.connect(t.url, t.token, { autoSubscribe: false });
      if (cancelled) return r.disconnect();
      for (const p of r.remoteParticipants.values()) {
        if (isCandidatePc(p)) p.trackPublications.forEach(watch);
      }
      setRoom(r);
      bump();
    })().catch((err: unknown) => {
      if (!cancelled) setError((err as Error).message || String(err));
    });

    return () => {
      cancelled = true;
      for (const ev of rerenderOn) r.off(ev, bump);
      r.off(RoomEvent.TrackPublished, onPublished).off(RoomEvent.ConnectionStateChanged, onState);
      void r.disconnect();
    };
  }, [roomId]);

  const feedsOf = (candidateId: number): CandidateFeeds | null => {
    if (!room) return null;
    for (const p of room.remoteParticipants.values()) {
      if (!isCandidatePc(p) || p.attributes.candidateId !== String(candidateId)) continue;
      const ref = (source: Track.Source): TrackRef | null => {
        const pub = p.getTrackPublication(source);
        return pub?.track && !pub.isMuted ? { participant: p, publication: pub, source } : null;
      };
      return { participant: p, screen: ref(Track.Source.ScreenShare), camera: ref(Track.Source.Camera), quality: p.connectionQuality };
    }
    return null;
  };

  return { room, connection, error: error ?? watchToken.error?.message ?? null, feedsOf, version };
}
