'use client';

import {
  ConnectionState,
  Room,
  RoomEvent,
  ScreenSharePresets,
  Track,
  VideoPresets,
  type LocalTrackPublication,
} from 'livekit-client';
import { useCallback, useEffect, useRef, useState } from 'react';
import { trpc } from '@/components/providers/trpc';

export type PublishedSource = 'screen_share' | 'camera' | 'microphone';
export const PUBLISHED_SOURCES: PublishedSource[] = ['screen_share', 'camera', 'microphone'];

type SourceState = { on: boolean; error: string | null };

const LK_SOURCE: Record<PublishedSource, Track.Source> = {
  screen_share: Track.Source.ScreenShare,
  camera: Track.Source.Camera,
  microphone: Track.Source.Microphone,
};

function createRoom() {
  return new Room({
    // The candidate only publishes: dynacast pauses layers nobody watches, and the small
    // simulcast layers are what the invigilator grid subscribes to.
    dynacast: true,
    adaptiveStream: false,
    stopLocalTrackOnUnpublish: true,
    videoCaptureDefaults: { resolution: VideoPresets.h540.resolution },
    publishDefaults: {
      simulcast: true,
      videoCodec: 'vp8',
      videoSimulcastLayers: [VideoPresets.h180],
      screenShareSimulcastLayers: [ScreenSharePresets.h360fps3],
      screenShareEncoding: ScreenSharePresets.h1080fps15.encoding,
    },
  });
}

async function enableSource(room: Room, source: PublishedSource) {
  const lp = room.localParticipant;
  if (source === 'screen_share') {
    return lp.setScreenShareEnabled(true, {
      audio: false,
      // Invigilators need the whole monitor, not a window or a tab.
      video: { displaySurface: 'monitor' },
      selfBrowserSurface: 'exclude',
      surfaceSwitching: 'exclude',
      contentHint: 'detail',
      resolution: ScreenSharePresets.h1080fps15.resolution,
    });
  }
  if (source === 'camera') return lp.setCameraEnabled(true);
  return lp.setMicrophoneEnabled(true);
}

/**
 * Enters the exam (the server checks the entry window and mints a publish-only token), joins the
 * exam room and publishes screen, camera and microphone.
 */
export function useExamPublisher(examId: number) {
  const enter = trpc.exam.enter.useMutation();
  const [room, setRoom] = useState<Room | null>(null);
  const [connection, setConnection] = useState<ConnectionState>(ConnectionState.Disconnected);
  const [sources, setSources] = useState<Record<PublishedSource, SourceState>>({
    screen_share: { on: false, error: null },
    camera: { on: false, error: null },
    microphone: { on: false, error: null },
  });
  const [publishing, setPublishing] = useState(false);
  const [, force] = useState(0);
  const mutate = useRef(enter.mutateAsync);
  mutate.current = enter.mutateAsync;

  const setSource = (source: PublishedSource, s: SourceState) => setSources((prev) => ({ ...prev, [source]: s }));

  const publish = useCallback(async (r: Room, list: PublishedSource[]) => {
    setPublishing(true);
    for (const source of list) {
      try {
        await enableSource(r, source);
        setSource(source, { on: true, error: null });
      } catch (err) {
        setSource(source, { on: false, error: (err as Error).message || String(err) });
      }
    }
    setPublishing(false);
  }, []);

  useEffect(() => {
    let cancelled = false;
    const r = createRoom();
    const sync = () => force((n) => n + 1);
    const onState = (s: ConnectionState) => setConnection(s);
    const onUnpublished = (pub: LocalTrackPublication) => {
      const source = PUBLISHED_SOURCES.find((s) => LK_SOURCE[s] === pub.source);
      if (source) setSource(source, { on: false, error: null });
      sync();
    };
    r.on(RoomEvent.ConnectionStateChanged, onState)
      .on(RoomEvent.LocalTrackPublished, sync)
      .on(RoomEvent.LocalTrackUnpublished, onUnpublished);

    (async () => {
      const { livekit } = await mutate.current({ examId });
      if (cancelled) return;
      await r.connect(livekit.url, livekit.token);
      if (cancelled) return r.disconnect();
      setRoom(r);
      await publish(r, PUBLISHED_SOURCES);
    })().catch(() => {
      // The mutation's error is rendered from its own state; connection errors show as state.
    });

    return () => {
      cancelled = true;
      r.off(RoomEvent.ConnectionStateChanged, onState)
        .off(RoomEvent.LocalTrackPublished, sync)
        .off(RoomEvent.LocalTrackUnpublished, onUnpublished);
      void r.disconnect();
    };
  }, [examId, publish]);

  const retry = useCallback(() => {
    if (!room) return;
    void publish(
      room,
      PUBLISHED_SOURCES.filter((s) => !room.localParticipant.getTrackPublication(LK_SOURCE[s])),
    );
  }, [room, publish]);

  const publication = (source: PublishedSource) => room?.localParticipant.getTrackPublication(LK_SOURCE[source]);

  return { enter, room, connection, sources, publishing, retry, publication };
}
