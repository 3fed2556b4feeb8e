'use client';

import {
  ConnectionState,
  DisconnectReason,
  LocalVideoTrack,
  Room,
  RoomEvent,
  Track,
  type AudioCaptureOptions,
  type LocalTrack,
  type VideoCaptureOptions,
} from 'livekit-client';
import { connectRoom } from '@/components/live/connect';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { DisplayState } from '@/components/checks/use-display-state';
import { readStoredDevices } from '@/components/devices/stored-devices';
import { PUBLISH_LAYERS } from '@/components/live/publish-layers';
import { examReconnectPolicy, hasAlternatives, SFU_DROPS_SILENT_AFTER_MS } from '@/components/live/reconnect';
import { trpc } from '@/components/providers/trpc';

export type PublishedSource = 'screen_share' | 'camera' | 'microphone';
export const PUBLISHED_SOURCES: PublishedSource[] = ['screen_share', 'camera', 'microphone'];

const LK_SOURCE: Record<PublishedSource, Track.Source> = {
  screen_share: Track.Source.ScreenShare,
  camera: Track.Source.Camera,
  microphone: Track.Source.Microphone,
};

type ChosenDevices = { cameraId?: string; microphoneId?: string };

function createRoom(alternatives: () => boolean) {
  return new Room({
    // The candidate only publishes: dynacast pauses layers nobody watches, and the small
    // simulcast layers are what the invigilator grid subscribes to.
    dynacast: true,
    adaptiveStream: false,
    // The captured tracks belong to the exam, not to one connection: a connection that ends
    // (LiveKit gave up, a node died) must not stop the screen share, which only a click restarts.
    // They are stopped when the candidate leaves the exam or the page (see `captured`).
    stopLocalTrackOnUnpublish: false,
    reconnectPolicy: examReconnectPolicy(alternatives),
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

type Captured = Partial<Record<PublishedSource, LocalTrack>>;

/**
 * Publishes one source: the track captured earlier in this exam when it is still live (a re-join
 * after an outage publishes what the candidate already shares, with no new prompt), otherwise a
 * new capture of camera or microphone. Keeps what it published in `captured`. The screen is
 * never captured here: only the candidate's click does that (`shareScreen`).
 */
async function enableSource(room: Room, source: PublishedSource, devices: ChosenDevices, captured: Captured) {
  const lp = room.localParticipant;
  const kept = captured[source];
  if (kept && kept.mediaStreamTrack.readyState === 'live') {
    if (lp.getTrackPublication(LK_SOURCE[source])?.track === kept) return;
    await lp.publishTrack(kept);
    return;
  }
  if (source === 'screen_share') return;
  const pub = await capture(room, source, devices);
  if (pub?.track) captured[source] = pub.track;
}

/**
 * What the browser is asked for. The hints steer the picker to whole screens where the browser
 * knows them (Chromium and Edge; other browsers ignore what they do not know); they do not
 * forbid a window or a tab, so the choice is checked afterwards (`shareScreen`).
 */
const DISPLAY_MEDIA_OPTIONS = {
  audio: false,
  video: {
    displaySurface: 'monitor',
    // `max`, not `ideal`: a larger screen is scaled down rather than encoded at full size, and
    // Safari honours `max` where it mishandles `ideal` (as livekit-client does it).
    width: { max: PUBLISH_LAYERS.screen[1].resolution.width },
    height: { max: PUBLISH_LAYERS.screen[1].resolution.height },
    frameRate: PUBLISH_LAYERS.screen[1].resolution.frameRate,
  },
  monitorTypeSurfaces: 'include',
  selfBrowserSurface: 'exclude',
  surfaceSwitching: 'exclude',
  systemAudio: 'exclude',
} as DisplayMediaStreamOptions;

/** Why the last request to share the screen did not give one: shown in the step and the banner. */
export type ScreenShareProblem = 'cancelled' | 'notWholeScreen' | 'unsupported' | 'failed';

/**
 * After a full reconnect LiveKit captures camera and microphone anew before publishing them again
 * (meant for a computer woken from sleep), which the exam does not want: the candidate's devices
 * are still running, and a new capture could land on another device. For the time of a reconnect
 * the page's tracks count as its own (LiveKit republishes those as they are); a track that really
 * ended is captured again by the page's heal loop. `providedByUser` is livekit-client's own flag
 * (LocalTrack, 2.x); the fault tests count capture calls, so a change there shows.
 */
function holdCaptures(captured: Captured, hold: boolean) {
  for (const source of ['camera', 'microphone'] as const) {
    const track = captured[source] as unknown as { providedByUser?: boolean } | undefined;
    if (track && 'providedByUser' in track) track.providedByUser = hold;
  }
}

async function capture(room: Room, source: 'camera' | 'microphone', devices: ChosenDevices) {
  const lp = room.localParticipant;
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

type EnterResult = Awaited<ReturnType<ReturnType<typeof trpc.exam.enter.useMutation>['mutateAsync']>>;

/** What a join needs from an entry: the SFU grant and where to probe the network, and when it arrived. */
type Grant = { livekit: EnterResult['livekit']; probe: EnterResult['networkProbe']; receivedAt: number };

/** A kept grant, while its token has at least a minute left (counted on this device's clock from its arrival). */
function usable(kept: Grant | null) {
  return kept && Date.now() - kept.receivedAt < kept.livekit.ttlMs - 60_000 ? kept : null;
}

const first = <T>(set: Set<T>): T | undefined => set.values().next().value;

type Health = Record<PublishedSource, boolean>;
const NONE: Health = { screen_share: false, camera: false, microphone: false };

/**
 * Enters the exam (the server checks the entry window and mints a publish-only token), joins the
 * exam room and publishes screen, camera and microphone for as long as the page is in the exam.
 * `live` says which sources reach the SFU right now; `restore` re-publishes one. The screen is
 * only shared from the candidate's click (`shareScreen`, `screen`): browsers ask on a user gesture.
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
  const [entry, setEntry] = useState<EnterResult | null>(null);
  const entered = useRef(false);
  /**
   * The SFU grant of the last entry, and whether the next join may use it again: a join anew
   * right after an outage needs no new token while this one is valid, and so waits for no
   * request to our server (whose connections the outage may have left hanging) and, when a
   * whole school comes back, does not send it hundreds of entries at once.
   */
  const grant = useRef<Grant | null>(null);
  const reuseGrant = useRef(false);
  const [displaced, setDisplaced] = useState(false);
  const failures = useRef(0);
  /** What this exam page captured, kept across room connections; stopped when the page leaves the exam. */
  const captured = useRef<Captured>({});
  /** The room connection that has joined and may be published to, for a screen shared afterwards. */
  const joined = useRef<Room | null>(null);
  /** A whole screen has been shared on this page: the explaining step is done (a new page asks again). */
  const [screenShared, setScreenShared] = useState(false);
  const [screenRequest, setScreenRequest] = useState<{ pending: boolean; problem: ScreenShareProblem | null }>({ pending: false, problem: null });
  /** The page left the exam (unmounted): a picker answered only now must not start a share. */
  const gone = useRef(false);
  useEffect(() => {
    const kept = captured.current;
    gone.current = false;
    return () => {
      gone.current = true;
      for (const track of Object.values(kept)) track?.stop();
      for (const key of Object.keys(kept)) delete kept[key as PublishedSource];
    };
  }, [examId]);

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
  /**
   * Sources asked for while that attempt runs, done by it before it ends: a screen shared while
   * the camera is still being published must not wait for the next heal.
   */
  const queued = useRef<{ room: Room | null; sources: Set<PublishedSource> }>({ room: null, sources: new Set() });
  const publish = useCallback(
    async (r: Room, list: PublishedSource[]) => {
      if (queued.current.room !== r) queued.current = { room: r, sources: new Set() };
      for (const source of list) queued.current.sources.add(source);
      if (busy.current === r) return;
      busy.current = r;
      setPublishing(true);
      const todo = queued.current.sources;
      for (let source = first(todo); source && !left.current; source = first(todo)) {
        todo.delete(source);
        try {
          await enableSource(r, source, devices.current, captured.current);
        } catch {
          // Shown as the source not being live, with a button to try again.
        }
        refresh(r);
      }
      todo.clear();
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
    // Set once the server said where to connect: with other SFU nodes to go to, a connection
    // whose node stays gone is given up sooner and joined again through a surviving node.
    let alternatives = false;
    const r = createRoom(() => alternatives);
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
      // At once (jittered: a whole room comes back together), then backing off when joining keeps
      // failing (the server refusing a second monitor, say).
      const n = failures.current++;
      const delay = n === 0 ? Math.random() * 1000 : Math.min(3000 * 2 ** (n - 1), 60_000);
      const t = setTimeout(go, navigator.onLine ? delay : 60_000);
      window.addEventListener('online', go);
      stopWaiting = () => {
        clearTimeout(t);
        window.removeEventListener('online', go);
      };
    };
    const hold = () => holdCaptures(captured.current, true);
    const release = () => holdCaptures(captured.current, false);
    r.on(RoomEvent.ConnectionStateChanged, onState)
      .on(RoomEvent.Reconnecting, hold)
      .on(RoomEvent.Reconnected, release)
      .on(RoomEvent.Disconnected, release)
      .on(RoomEvent.Disconnected, rejoin)
      .on(RoomEvent.LocalTrackPublished, sync)
      .on(RoomEvent.LocalTrackUnpublished, sync)
      .on(RoomEvent.TrackMuted, sync)
      .on(RoomEvent.TrackUnmuted, sync)
      .on(RoomEvent.MediaDevicesError, sync);
    // Back from a cut longer than the SFU keeps a silent participant: LiveKit would first try to
    // resume (refused), possibly still waiting on a try begun during the cut; join anew at once
    // instead, with what the page captured and the grant it has. Shorter cuts are LiveKit's to
    // resume. The browser says so with `online` when its own link went down (Wi-Fi lost); when
    // the network was lost further away, the network probe's answering again does (connect.ts).
    const joinAnewNow = () => {
      if (cancelled || left.current || r.state === ConnectionState.Connected || r.state === ConnectionState.Disconnected) return;
      // A school's network coming back brings its candidates together: spread them a little.
      const t = setTimeout(() => {
        if (cancelled || left.current || r.state === ConnectionState.Connected) return;
        reuseGrant.current = true;
        setAttempt((n) => n + 1);
      }, Math.random() * 300);
      stopWaiting = () => clearTimeout(t);
    };
    let offlineSince: number | null = null;
    const onOffline = () => {
      offlineSince ??= Date.now();
    };
    const onOnline = () => {
      const long = offlineSince != null && Date.now() - offlineSince > SFU_DROPS_SILENT_AFTER_MS;
      offlineSince = null;
      if (long) joinAnewNow();
    };
    const onNetworkBack = (lostForMs: number) => {
      if (lostForMs > SFU_DROPS_SILENT_AFTER_MS) joinAnewNow();
    };
    window.addEventListener('offline', onOffline);
    window.addEventListener('online', onOnline);
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
      let kept = reuseGrant.current ? usable(grant.current) : null;
      reuseGrant.current = false;
      if (!kept) {
        const res = await mutate.current({ examId, displays: readDisplaysRef.current() });
        if (cancelled) return;
        entered.current = true;
        setEntry(res);
        kept = { livekit: res.livekit, probe: res.networkProbe, receivedAt: Date.now() };
        grant.current = kept;
      }
      const { livekit, probe } = kept;
      alternatives = hasAlternatives(livekit);
      await connectRoom(r, livekit, {
        networkProbe: probe ? { url: `stun:${probe.host ?? window.location.hostname}:${probe.port}`, onBack: onNetworkBack } : undefined,
      });
      if (cancelled) return r.disconnect(false);
      failures.current = 0;
      setDisplaced(false);
      joined.current = r;
      setRoom(r);
      await publish(r, PUBLISHED_SOURCES);
      if (!cancelled) setInitialDone(true);
    })().catch(() => {
      // A first refusal is rendered from the mutation's state; once in, keep trying to re-join.
      if (entered.current) rejoin();
    });

    return () => {
      cancelled = true;
      if (joined.current === r) joined.current = null;
      window.removeEventListener('offline', onOffline);
      window.removeEventListener('online', onOnline);
      clearInterval(poll);
      clearInterval(heal);
      stopWaiting();
      release();
      r.off(RoomEvent.ConnectionStateChanged, onState)
        .off(RoomEvent.Reconnecting, hold)
        .off(RoomEvent.Reconnected, release)
        .off(RoomEvent.Disconnected, release)
        .off(RoomEvent.Disconnected, rejoin)
        .off(RoomEvent.LocalTrackPublished, sync)
        .off(RoomEvent.LocalTrackUnpublished, sync)
        .off(RoomEvent.TrackMuted, sync)
        .off(RoomEvent.TrackUnmuted, sync)
        .off(RoomEvent.MediaDevicesError, sync);
      // The captured tracks stay for the next connection (or are stopped with the page, above).
      void r.disconnect(false);
    };
  }, [examId, attempt, publish, refresh]);

  /**
   * Asks the browser for the whole screen, and publishes it. Call it straight from the
   * candidate's click, with nothing awaited before: Safari and Firefox open the picker only while
   * the click is being handled (Chromium and Edge allow a few seconds after it).
   */
  const shareScreen = useCallback(() => {
    if (left.current) return;
    let request: Promise<MediaStream>;
    try {
      request = navigator.mediaDevices.getDisplayMedia(DISPLAY_MEDIA_OPTIONS);
    } catch {
      // No getDisplayMedia at all (an old or mobile browser, or a page not on HTTPS).
      setScreenRequest({ pending: false, problem: 'unsupported' });
      return;
    }
    setScreenRequest({ pending: true, problem: null });
    request.then(
      async (stream) => {
        const [mst] = stream.getVideoTracks();
        if (!mst || gone.current || left.current) {
          for (const t of stream.getTracks()) t.stop();
          setScreenRequest({ pending: false, problem: mst ? null : 'failed' });
          return;
        }
        // Chromium and Edge say what was picked; where a browser does not (Safari, which offers
        // no tabs, among them), the choice is accepted: the hints above are all there is there.
        const surface = mst.getSettings().displaySurface;
        if (surface !== undefined && surface !== 'monitor') {
          for (const t of stream.getTracks()) t.stop();
          setScreenRequest({ pending: false, problem: 'notWholeScreen' });
          return;
        }
        mst.contentHint = 'detail';
        const track = new LocalVideoTrack(mst, undefined, false);
        track.source = Track.Source.ScreenShare;
        const old = captured.current.screen_share;
        captured.current.screen_share = track;
        setScreenShared(true);
        setScreenRequest({ pending: false, problem: null });
        const r = joined.current;
        if (old) {
          if (r && r.localParticipant.getTrackPublication(Track.Source.ScreenShare)?.track === old)
            await r.localParticipant.unpublishTrack(old).catch(() => {});
          old.stop();
        }
        // Not joined yet: the join publishes what was captured.
        if (r && r.state === ConnectionState.Connected) await publish(r, ['screen_share']);
      },
      (e: unknown) => {
        // NotAllowedError: the candidate closed the picker, or the system refused (macOS screen recording permission).
        setScreenRequest({ pending: false, problem: e instanceof DOMException && e.name === 'NotAllowedError' ? 'cancelled' : 'failed' });
      },
    );
  }, [publish]);

  /** Publishes whatever is missing (after a lost camera, ...); the screen through `shareScreen`, so call it from a click. */
  const restore = useCallback(
    (only?: PublishedSource) => {
      if (only === 'screen_share') return shareScreen();
      if (!room || left.current) return;
      const missing = PUBLISHED_SOURCES.filter((s) => !isLive(room, s) && (!only || s === only));
      void publish(room, missing);
    },
    [room, publish, shareScreen],
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
    for (const [source, track] of Object.entries(captured.current)) {
      track?.stop();
      delete captured.current[source as PublishedSource];
    }
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

  const screen = { shared: screenShared, pending: screenRequest.pending, problem: screenRequest.problem, share: shareScreen };

  return { entry, refusal, displaced, room, connection, settled, live, publishing, restore, screen, switchDevices, leave, reenter, publication };
}
