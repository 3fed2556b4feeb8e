'use client';

import { ConnectionState, DisconnectReason, Room, RoomEvent, Track, type AudioCaptureOptions, type VideoCaptureOptions } from 'livekit-client';
import { connectRoom } from '@/components/live/connect';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { DisplayState } from '@/components/checks/use-display-state';
import { readStoredDevices } from '@/components/devices/stored-devices';
import { PUBLISH_LAYERS } from '@/components/live/publish-layers';
import { trpc } from '@/components/providers/trpc';

export type PublishedSource = 'screen_share' | 'camera' | 'microphone';
export const PUBLISHED_SOURCES: PublishedSource[] = ['screen_share', 'camera', 'microphone'];

const LK_SOURCE: Record<PublishedSource, Track.Source> = {
  screen_share: Track.Source.ScreenShare,
  camera: Track.Source.Camera,
  microphone: Track.Source.Microphone,
};

type ChosenDevices = { cameraId?: string; microphoneId?: string };

function createRoom() {
  return new Room({
    // The candidate only publishes: dynacast pauses layers nobody watches, and the small
    // simulcast layers are what the invigilator grid subscribes to.
    dynacast: true,
    adaptiveStream: false,
    stopLocalTrackOnUnpublish: true,
    videoCaptureDefaults: { resolution: PUBLISH_LAYERS.camera[1].resolution },
    publishDefaults: {
      simulcast: true,
      videoCodec: 'vp8',
      videoSimulcastLayers: [PUBLISH_LAYERS.camera[0]],
      screenShareSimulcastLayers: [PUBLISH_LAYERS.screen[0]],
      screenShareEncoding: PUBLISH_LAYERS.screen[1].encoding,
    },
  });
}

// `ideal`, not `exact`: a camera unplugged since the device check falls back to another one
// rather than leaving the invigilator without a picture.
const cameraOptions = (d: ChosenDevices): VideoCaptureOptions | undefined => (d.cameraId ? { deviceId: { ideal: d.cameraId } } : undefined);
const microphoneOptions = (d: ChosenDevices): AudioCaptureOptions | undefined => (d.microphoneId ? { deviceId: { ideal: d.microphoneId } } : undefined);

async function enableSource(room: Room, source: PublishedSource, devices: ChosenDevices) {
  const lp = room.localParticipant;
  if (source === 'screen_share') {
    return lp.setScreenShareEnabled(true, {
      audio: false,
      // Invigilators need the whole monitor, not a window or a tab.
      video: { displaySurface: 'monitor' },
      selfBrowserSurface: 'exclude',
      surfaceSwitching: 'exclude',
      contentHint: 'detail',
      resolution: PUBLISH_LAYERS.screen[1].resolution,
    });
  }
  if (source === 'camera') return lp.setCameraEnabled(true, cameraOptions(devices));
  return lp.setMicrophoneEnabled(true, microphoneOptions(devices));
}

/**
 * Whether a source is actually reaching the SFU now: published, its capture track alive, not
 * muted. A camera unplugged mid-exam ends its track; LiveKit then tries another device and
 * mutes the publication when it cannot, and both show here.
 */
function isLive(room: Room, source: PublishedSource) {
  const pub = room.localParticipant.getTrackPublication(LK_SOURCE[source]);
  const mst = pub?.track?.mediaStreamTrack;
  if (!pub || !mst || mst.readyState !== 'live' || pub.isMuted) return false;
  // A capture track muted by the browser delivers no frames (device taken by another app); a
  // screen track may legitimately pause when nothing on screen changes, so it is exempt.
  return source === 'screen_share' || !mst.muted;
}

type Health = Record<PublishedSource, boolean>;
const NONE: Health = { screen_share: false, camera: false, microphone: false };

/**
 * Enters the exam (the server checks the entry window and mints a publish-only token), joins the
 * exam room and publishes screen, camera and microphone for as long as the page is in the exam.
 * `live` says which sources reach the SFU right now; `restore` re-publishes one (the screen needs
 * the candidate's click: browsers only share a screen on a user gesture).
 */
export function useExamPublisher(examId: number, { readDisplays }: { readDisplays: () => DisplayState }) {
  // 'always': offline, the attempt must fail and say so rather than wait silently for the network.
  const enter = trpc.exam.enter.useMutation({ networkMode: 'always' });
  const [attempt, setAttempt] = useState(0);
  const [room, setRoom] = useState<Room | null>(null);
  const [connection, setConnection] = useState<ConnectionState>(ConnectionState.Disconnected);
  const [live, setLive] = useState<Health>(NONE);
  const [publishing, setPublishing] = useState(false);
  /** The current room connection has made its first attempt at publishing everything. */
  const [initialDone, setInitialDone] = useState(false);
  const [, force] = useState(0);
  const mutate = useRef(enter.mutateAsync);
  mutate.current = enter.mutateAsync;
  const readDisplaysRef = useRef(readDisplays);
  readDisplaysRef.current = readDisplays;
  const devices = useRef<ChosenDevices>({});
  const left = useRef(false);
  // Kept once the server let the candidate in: a later re-join (after a long outage) must not
  // take the exam off the screen while it runs.
  const [entry, setEntry] = useState<Awaited<ReturnType<typeof enter.mutateAsync>> | null>(null);
  const entered = useRef(false);
  const [displaced, setDisplaced] = useState(false);
  const failures = useRef(0);

  // Re-renders only when something visible changed: the exam page is polled every second.
  const lastSeen = useRef('');
  const refresh = useCallback((r: Room) => {
    const next = { screen_share: isLive(r, 'screen_share'), camera: isLive(r, 'camera'), microphone: isLive(r, 'microphone') };
    const seen = JSON.stringify([next, PUBLISHED_SOURCES.map((s) => r.localParticipant.getTrackPublication(LK_SOURCE[s])?.track?.mediaStreamTrack.id)]);
    if (seen === lastSeen.current) return;
    lastSeen.current = seen;
    setLive(next);
    force((n) => n + 1);
  }, []);

  /** The room whose sources are being published now: one attempt at a time per room. */
  const busy = useRef<Room | null>(null);
  const publish = useCallback(
    async (r: Room, list: PublishedSource[]) => {
      if (busy.current === r) return;
      busy.current = r;
      setPublishing(true);
      for (const source of list) {
        if (left.current) break;
        try {
          await enableSource(r, source, devices.current);
        } catch {
          // Shown as the source not being live, with a button to try again.
        }
        refresh(r);
      }
      if (busy.current === r) {
        busy.current = null;
        setPublishing(false);
      }
    },
    [refresh],
  );

  useEffect(() => {
    let cancelled = false;
    left.current = false;
    setInitialDone(false);
    devices.current = readStoredDevices() ?? {};
    const r = createRoom();
    const sync = () => refresh(r);
    const onState = (s: ConnectionState) => setConnection(s);
    // LiveKit gives up reconnecting after a while; the exam does not: join again (a fresh token,
    // a new room connection) once the network is back.
    let stopWaiting = () => {};
    const rejoin = (reason?: DisconnectReason) => {
      if (cancelled || left.current) return;
      // Opened in another tab or device (the newer one takes over), or removed by staff: re-joining
      // would only push the other one out in turn.
      if (reason === DisconnectReason.DUPLICATE_IDENTITY || reason === DisconnectReason.PARTICIPANT_REMOVED) {
        setDisplaced(true);
        return;
      }
      stopWaiting();
      const go = () => {
        stopWaiting();
        if (!cancelled && !left.current) setAttempt((n) => n + 1);
      };
      // Backs off when joining keeps failing (the server refusing a second monitor, say).
      const delay = Math.min(3000 * 2 ** failures.current++, 60_000);
      const t = setTimeout(go, navigator.onLine ? delay : 60_000);
      window.addEventListener('online', go);
      stopWaiting = () => {
        clearTimeout(t);
        window.removeEventListener('online', go);
      };
    };
    r.on(RoomEvent.ConnectionStateChanged, onState)
      .on(RoomEvent.Disconnected, rejoin)
      .on(RoomEvent.LocalTrackPublished, sync)
      .on(RoomEvent.LocalTrackUnpublished, sync)
      .on(RoomEvent.TrackMuted, sync)
      .on(RoomEvent.TrackUnmuted, sync)
      .on(RoomEvent.MediaDevicesError, sync);
    // Track endings and browser-side mutes raise no room event: look every second as well.
    const poll = setInterval(sync, 1000);
    // Camera and microphone come back by themselves when they can (a reconnect that dropped a
    // publication, a camera plugged back in); the screen cannot, as sharing needs a click.
    const heal = setInterval(() => {
      if (r.state !== ConnectionState.Connected || busy.current === r || left.current) return;
      const missing = (['camera', 'microphone'] as const).filter((s) => !isLive(r, s));
      if (missing.length) void publish(r, missing);
    }, 10_000);

    (async () => {
      const res = await mutate.current({ examId, displays: readDisplaysRef.current() });
      if (cancelled) return;
      entered.current = true;
      setEntry(res);
      const { livekit } = res;
      await connectRoom(r, livekit);
      if (cancelled) return r.disconnect();
      failures.current = 0;
      setDisplaced(false);
      setRoom(r);
      await publish(r, PUBLISHED_SOURCES);
      if (!cancelled) setInitialDone(true);
    })().catch(() => {
      // A first refusal is rendered from the mutation's state; once in, keep trying to re-join.
      if (entered.current) rejoin();
    });

    return () => {
      cancelled = true;
      clearInterval(poll);
      clearInterval(heal);
      stopWaiting();
      r.off(RoomEvent.ConnectionStateChanged, onState)
        .off(RoomEvent.Disconnected, rejoin)
        .off(RoomEvent.LocalTrackPublished, sync)
        .off(RoomEvent.LocalTrackUnpublished, sync)
        .off(RoomEvent.TrackMuted, sync)
        .off(RoomEvent.TrackUnmuted, sync)
        .off(RoomEvent.MediaDevicesError, sync);
      void r.disconnect();
    };
  }, [examId, attempt, publish, refresh]);

  /** Publishes whatever is missing (after a refusal to share, a lost camera, ...). */
  const restore = useCallback(
    (only?: PublishedSource) => {
      if (!room || left.current) return;
      const missing = PUBLISHED_SOURCES.filter((s) => !isLive(room, s) && (!only || s === only));
      void publish(room, missing);
    },
    [room, publish],
  );

  /** The candidate confirmed devices (interview): move the published tracks onto them. */
  const switchDevices = useCallback(
    async (d: { cameraId: string; microphoneId: string }) => {
      devices.current = { cameraId: d.cameraId || undefined, microphoneId: d.microphoneId || undefined };
      if (!room) return;
      if (d.cameraId) await room.switchActiveDevice('videoinput', d.cameraId).catch(() => false);
      if (d.microphoneId) await room.switchActiveDevice('audioinput', d.microphoneId).catch(() => false);
      refresh(room);
    },
    [room, refresh],
  );

  /** The exam is over: stop every capture and leave the room. */
  const leave = useCallback(async () => {
    left.current = true;
    if (!room) return;
    const lp = room.localParticipant;
    await Promise.all([...lp.trackPublications.values()].map((p) => (p.track ? lp.unpublishTrack(p.track, true) : null))).catch(() => {});
    await room.disconnect(true);
    refresh(room);
  }, [room, refresh]);

  const reenter = useCallback(() => {
    setDisplaced(false);
    enter.reset();
    setAttempt((n) => n + 1);
  }, [enter]);
  /**
   * Connected, and not in the middle of publishing: only then does a source that is not live mean
   * something is wrong (a join or re-join has no publications until it has published them).
   */
  const settled = connection === ConnectionState.Connected && initialDone && !publishing;
  /** Refused at the first entry (a re-join's failure is retried, not shown as a refusal). */
  const refusal = entry ? null : enter.error;

  const publication = (source: PublishedSource) => room?.localParticipant.getTrackPublication(LK_SOURCE[source]);

  return { entry, refusal, displaced, room, connection, settled, live, publishing, restore, switchDevices, leave, reenter, publication };
}
