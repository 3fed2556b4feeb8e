'use client';

import {
  ConnectionQuality,
  ConnectionState,
  Room,
  RoomEvent,
  Track,
  VideoQuality,
  type RemoteAudioTrack,
  type RemoteParticipant,
  type RemoteTrackPublication,
  type RemoteVideoTrack,
} from 'livekit-client';
import { connectRoom, type SfuAddress } from '@/components/live/connect';
import { examReconnectPolicy } from '@/components/live/reconnect';
import { planPage, wantedVideos, type Plan } from './plan';

/** The three pictures of a candidate: PC screen, PC camera, phone camera (the witness). */
export type VideoSlot = 'screen' | 'camera' | 'witness';
export const VIDEO_SLOTS: VideoSlot[] = ['screen', 'camera', 'witness'];

/**
 * What the page wants from one picture: nothing, the LOW layer decoded live, a still refreshed
 * now and then (subscribed only while it is grabbed), or the HIGH layer (focus view).
 */
export type SlotMode = 'off' | 'live' | 'still' | 'high';

export type VideoFeed = { publication: RemoteTrackPublication; track: RemoteVideoTrack | null; muted: boolean };
export type Still = { url: string; at: number };

export type DevicePresence = { identity: string; quality: ConnectionQuality };

/** Everything the page knows about one candidate's media; immutable, rebuilt on change. */
export type CandidateMedia = {
  pc: DevicePresence | null;
  phone: DevicePresence | null;
  screen: VideoFeed | null;
  camera: VideoFeed | null;
  witness: VideoFeed | null;
  mic: { publication: RemoteTrackPublication; track: RemoteAudioTrack | null; muted: boolean } | null;
  /** What this page receives media of for the candidate right now, e.g. "screen,camera" (paused stills excluded). */
  subscribed: string;
  /** How the page shows each picture now (the plan's verdict for this candidate). */
  modes: Record<VideoSlot, SlotMode>;
  stills: Partial<Record<VideoSlot, Still>>;
};

const OFF: Record<VideoSlot, SlotMode> = { screen: 'off', camera: 'off', witness: 'off' };

/** What the page shows: its candidates in order, the live-video budget, the focused one. */
export type MediaView = { page: number[]; cap: number; focusId: number | null };

export const STILL_REFRESH_MS = 10_000;
/**
 * A still is grabbed again this long before it turns STILL_REFRESH_MS old, so that the new
 * picture is up by then: a grab (resume, a key frame, a decode) takes about half a second,
 * longer on a busy machine.
 */
const STILL_GRAB_ALLOWANCE_MS = 2000;
/**
 * Grabs at once. A grab mostly waits for the SFU to resume the track and for a key frame; what
 * it costs the page is one small decode and a 480 px JPEG. A full 40-tile page at the default
 * budget of 40 has 80 stills (its screens and witnesses) to refresh every (10 - 2) s, 10 a second,
 * at about half a second each.
 */
const STILL_CONCURRENCY = 8;
const STILL_MAX_WIDTH = 480;

const slotKey = (candidateId: number, slot: VideoSlot) => `${candidateId}:${slot}`;

type Whose = { candidateId: number; device: 'pc' | 'phone' };

/** The LiveKit identities of a tile's candidate, as the server's tiles give them (they are opaque). */
export type TileIdentities = { candidateId: number; identities: { pc: string; phone: string } };

function slotOf(device: 'pc' | 'phone', pub: RemoteTrackPublication): VideoSlot | 'mic' | null {
  if (device === 'pc') {
    if (pub.source === Track.Source.ScreenShare) return 'screen';
    if (pub.source === Track.Source.Camera) return 'camera';
    if (pub.source === Track.Source.Microphone) return 'mic';
    return null;
  }
  return pub.source === Track.Source.Camera ? 'witness' : null;
}

/**
 * Asks the SFU for one publication at one layer, or for nothing. Guarded, because every call
 * to setSubscribed sends a signal message even when nothing changes.
 */
function request(pub: RemoteTrackPublication, quality: VideoQuality | 'audio' | null) {
  const want = quality !== null;
  if (pub.isDesired !== want) {
    pub.setSubscribed(want);
    if (want && quality !== 'audio') {
      // The SFU forgets layer settings with the subscription; the client only resends on change.
      if (pub.videoQuality === quality) pub.emitTrackUpdate();
      else pub.setVideoQuality(quality);
    }
    return;
  }
  if (want && quality !== 'audio' && pub.videoQuality !== quality) pub.setVideoQuality(quality);
}

/** Lets media of a subscribed publication flow, or pauses it at the SFU (no bytes, no decode). */
function flow(pub: RemoteTrackPublication, on: boolean) {
  if (pub.isEnabled !== on) pub.setEnabled(on);
}

const isFlowing = (pub: RemoteTrackPublication | undefined) => !!pub?.isSubscribed && pub.isEnabled;

/**
 * The invigilator's hidden connection to an exam room, as a store the grid reads from. Nothing
 * is subscribed unless the plan asks for it; each tile listens to its own candidate only, so a
 * track event re-renders one tile, not the page.
 */
export class RoomMedia {
  /**
   * Two peer connections (LiveKit's default is one since 2.2x): this page only receives, and a
   * patrol flip changes hundreds of subscriptions. On the single connection each flip was one
   * offer of up to 263 media sections, which missed LiveKit's 15 s negotiation timeout and tore
   * the whole connection down (7 times in 5 flips of a 200-candidate patrol, none on two).
   */
  readonly room = new Room({
    adaptiveStream: false,
    dynacast: false,
    singlePeerConnection: false,
    reconnectPolicy: examReconnectPolicy(() => this.alternatives),
  });
  /** The server named other SFU nodes: a lost node is given up sooner (see examReconnectPolicy). */
  alternatives = false;
  connection: ConnectionState = ConnectionState.Disconnected;
  /** Bumped (coalesced) on every change; the page reads it for counts and sorting. */
  version = 0;

  private snapshots = new Map<number, CandidateMedia>();
  private listeners = new Map<number, Set<() => void>>();
  private anyListeners = new Set<() => void>();
  private dirty = new Set<number>();
  private flushQueued = false;
  private view: MediaView = { page: [], cap: 0, focusId: null };
  /** Whose microphone plays: the focused candidate's only. */
  private audioId: number | null = null;
  private plan: Plan = new Map();
  private stills = new Map<string, Still>();
  private capturing = new Set<string>();
  private stillTimer: ReturnType<typeof setInterval> | null = null;
  private disposed = false;
  /** Identity -> candidate and device, from the server's tiles: identities say nothing by themselves. */
  private whose = new Map<string, Whose>();

  constructor() {
    const r = this.room;
    const byParticipant = (p: RemoteParticipant) => this.touch(p);
    r.on(RoomEvent.ParticipantConnected, byParticipant)
      .on(RoomEvent.ParticipantDisconnected, byParticipant)
      .on(RoomEvent.ParticipantAttributesChanged, (_c, p) => {
        if (p !== r.localParticipant) this.touch(p as RemoteParticipant);
      })
      .on(RoomEvent.TrackPublished, (_pub, p) => this.touch(p))
      .on(RoomEvent.TrackUnpublished, (_pub, p) => this.touch(p))
      .on(RoomEvent.TrackSubscribed, (_t, _pub, p) => {
        this.touch(p);
        // A still of a page just turned to can be grabbed now rather than at the next tick.
        this.tickStills();
      })
      .on(RoomEvent.TrackUnsubscribed, (_t, _pub, p) => this.touch(p))
      .on(RoomEvent.TrackSubscriptionStatusChanged, (_pub, _s, p) => this.touch(p))
      .on(RoomEvent.TrackMuted, (_pub, p) => {
        if (p !== r.localParticipant) this.touch(p as RemoteParticipant);
      })
      .on(RoomEvent.TrackUnmuted, (_pub, p) => {
        if (p !== r.localParticipant) this.touch(p as RemoteParticipant);
      })
      .on(RoomEvent.ConnectionQualityChanged, (_q, p) => {
        if (p !== r.localParticipant) this.touch(p as RemoteParticipant);
      })
      .on(RoomEvent.ConnectionStateChanged, (s) => {
        this.connection = s;
        this.touchAll();
      });
    this.stillTimer = setInterval(() => this.tickStills(), 1000);
  }

  async connect(minted: SfuAddress) {
    await connectRoom(this.room, minted, { autoSubscribe: false });
    this.touchAll();
  }

  dispose() {
    this.disposed = true;
    if (this.stillTimer) clearInterval(this.stillTimer);
    for (const s of this.stills.values()) URL.revokeObjectURL(s.url);
    this.stills.clear();
    void this.room.disconnect();
  }

  // --- reading -------------------------------------------------------------------------

  subscribe = (candidateId: number, cb: () => void) => {
    let set = this.listeners.get(candidateId);
    if (!set) this.listeners.set(candidateId, (set = new Set()));
    set.add(cb);
    return () => {
      set.delete(cb);
    };
  };

  subscribeAny = (cb: () => void) => {
    this.anyListeners.add(cb);
    return () => {
      this.anyListeners.delete(cb);
    };
  };

  /** Same object until something about the candidate changes, as useSyncExternalStore needs. */
  media(candidateId: number): CandidateMedia {
    let s = this.snapshots.get(candidateId);
    if (!s) this.snapshots.set(candidateId, (s = this.build(candidateId)));
    return s;
  }

  /** Pictures of the page outside the focus that would be live if the budget allowed (plan.ts `wantedVideos`). */
  wantedVideoCount() {
    return wantedVideos(this.plan);
  }

  /** Video publications whose media this page receives now (paused stills excluded). */
  subscribedVideoCount() {
    let n = 0;
    for (const p of this.room.remoteParticipants.values()) {
      for (const pub of p.trackPublications.values()) if (pub.kind === Track.Kind.Video && isFlowing(pub)) n++;
    }
    return n;
  }

  /** Candidates whose media this page receives now, ascending (for tests: only the page's). */
  receivingFrom(): number[] {
    const ids = new Set<number>();
    for (const p of this.room.remoteParticipants.values()) {
      const c = this.candidateOf(p);
      if (c && [...p.trackPublications.values()].some(isFlowing)) ids.add(c.candidateId);
    }
    return [...ids].sort((a, b) => a - b);
  }

  private participants(candidateId: number) {
    let pc: RemoteParticipant | null = null;
    let phone: RemoteParticipant | null = null;
    for (const p of this.room.remoteParticipants.values()) {
      const c = this.candidateOf(p);
      if (c?.candidateId !== candidateId) continue;
      if (c.device === 'pc') pc = p;
      else phone = p;
    }
    return { pc, phone };
  }

  private build(candidateId: number): CandidateMedia {
    const { pc, phone } = this.participants(candidateId);
    const stills: CandidateMedia['stills'] = {};
    for (const slot of VIDEO_SLOTS) {
      const s = this.stills.get(slotKey(candidateId, slot));
      if (s) stills[slot] = s;
    }
    const video = (p: RemoteParticipant | null, source: Track.Source): VideoFeed | null => {
      const pub = p?.getTrackPublication(source);
      if (!pub || pub.kind !== Track.Kind.Video) return null;
      return { publication: pub, track: pub.isSubscribed ? ((pub.track as RemoteVideoTrack | undefined) ?? null) : null, muted: pub.isMuted };
    };
    const micPub = pc?.getTrackPublication(Track.Source.Microphone);
    const screen = video(pc, Track.Source.ScreenShare);
    const camera = video(pc, Track.Source.Camera);
    const witness = video(phone, Track.Source.Camera);
    const subscribed = [
      isFlowing(screen?.publication) && 'screen',
      isFlowing(camera?.publication) && 'camera',
      isFlowing(witness?.publication) && 'witness',
      isFlowing(micPub) && 'mic',
    ]
      .filter(Boolean)
      .join(',');
    return {
      pc: pc ? { identity: pc.identity, quality: pc.connectionQuality } : null,
      phone: phone ? { identity: phone.identity, quality: phone.connectionQuality } : null,
      screen,
      camera,
      witness,
      mic: micPub
        ? { publication: micPub, track: micPub.isSubscribed ? ((micPub.track as RemoteAudioTrack | undefined) ?? null) : null, muted: micPub.isMuted }
        : null,
      subscribed,
      modes: this.plan.get(candidateId) ?? OFF,
      stills,
    };
  }

  /** The candidate and device a participant stands for; staff and strangers give null. */
  private candidateOf(p: RemoteParticipant): Whose | null {
    return this.whose.get(p.identity) ?? null;
  }

  /**
   * Learns whose identity is whose from the tiles (on load and whenever a tile arrives). A
   * participant that connected before its tile did is taken up now.
   */
  setIdentities(tiles: readonly TileIdentities[]) {
    let changed = false;
    for (const t of tiles) {
      for (const device of ['pc', 'phone'] as const) {
        const identity = t.identities[device];
        if (this.whose.get(identity)?.candidateId === t.candidateId) continue;
        this.whose.set(identity, { candidateId: t.candidateId, device });
        changed = true;
      }
    }
    if (changed && !this.disposed) for (const p of this.room.remoteParticipants.values()) this.touch(p);
  }

  // --- change propagation -------------------------------------------------------------

  private touch(p: RemoteParticipant) {
    const c = this.candidateOf(p);
    if (c) {
      this.replan();
      this.reconcile(c.candidateId);
      this.invalidate(c.candidateId);
    } else {
      // Staff and strangers: never watched, whatever the server offers.
      for (const pub of p.trackPublications.values()) request(pub, null);
    }
  }

  private touchAll() {
    for (const p of this.room.remoteParticipants.values()) this.touch(p);
    for (const id of this.snapshots.keys()) this.invalidate(id);
    this.queueFlush();
  }

  private invalidate(candidateId: number) {
    this.snapshots.delete(candidateId);
    this.dirty.add(candidateId);
    this.queueFlush();
  }

  /** Events come in bursts (a join brings three tracks); tiles hear about them once. */
  private queueFlush() {
    if (this.flushQueued) return;
    this.flushQueued = true;
    queueMicrotask(() => {
      this.flushQueued = false;
      const ids = [...this.dirty];
      this.dirty.clear();
      this.version++;
      for (const id of ids) for (const cb of this.listeners.get(id) ?? []) cb();
      for (const cb of this.anyListeners) cb();
    });
  }

  // --- subscriptions ------------------------------------------------------------------

  /**
   * What the page shows now. The plan (who is live, who is a still, who is off) is recomputed
   * here and on every publish/unpublish, inside the store, so a candidate who joins is
   * subscribed in the same task as the event, without waiting for React.
   */
  setView(view: MediaView) {
    this.view = view;
    this.replan();
    this.tickStills();
  }

  private replan() {
    const has = (id: number) => {
      const { pc, phone } = this.participants(id);
      const live = (p: RemoteParticipant | null, source: Track.Source) => {
        const pub = p?.getTrackPublication(source);
        return !!pub && !pub.isMuted;
      };
      return { screen: live(pc, Track.Source.ScreenShare), camera: live(pc, Track.Source.Camera), witness: live(phone, Track.Source.Camera) };
    };
    const next = planPage({
      page: this.view.page.map((candidateId) => ({ candidateId, has: has(candidateId) })),
      cap: this.view.cap,
      focusId: this.view.focusId,
    });
    const changed = new Set<number>();
    for (const id of new Set([...this.plan.keys(), ...next.keys()])) {
      const a = this.plan.get(id) ?? OFF;
      const b = next.get(id) ?? OFF;
      if (VIDEO_SLOTS.some((slot) => a[slot] !== b[slot])) changed.add(id);
    }
    const focusChanged = this.audioId !== this.view.focusId;
    if (focusChanged && this.audioId != null) changed.add(this.audioId);
    this.audioId = this.view.focusId;
    if (this.audioId != null && focusChanged) changed.add(this.audioId);
    this.plan = next;
    for (const id of changed) {
      this.reconcile(id);
      this.invalidate(id);
    }
  }

  private modeOf(candidateId: number, slot: VideoSlot): SlotMode {
    return this.plan.get(candidateId)?.[slot] ?? 'off';
  }

  private reconcile(candidateId: number) {
    if (this.disposed) return;
    const { pc, phone } = this.participants(candidateId);
    const apply = (p: RemoteParticipant | null, device: 'pc' | 'phone') => {
      if (!p) return;
      for (const pub of p.trackPublications.values()) {
        const slot = slotOf(device, pub);
        if (slot === 'mic') {
          request(pub, this.audioId === candidateId ? 'audio' : null);
          continue;
        }
        if (!slot) {
          request(pub, null);
          continue;
        }
        const key = slotKey(candidateId, slot);
        const mode = this.modeOf(candidateId, slot);
        request(pub, mode === 'off' ? null : mode === 'high' ? VideoQuality.HIGH : VideoQuality.LOW);
        // A still stays subscribed but paused: resuming a paused track is a settings message
        // and a keyframe, where a fresh subscription would renegotiate the connection.
        if (mode !== 'off') flow(pub, mode !== 'still' || this.capturing.has(key));
      }
    };
    apply(pc, 'pc');
    apply(phone, 'phone');
  }

  // --- stills ---------------------------------------------------------------------------

  /**
   * Pictures over the page's live-video budget are stills: subscribe at LOW, take one frame,
   * unsubscribe. A few at a time, oldest first, so the SFU sees a trickle and not a wave.
   */
  private tickStills() {
    if (this.disposed || this.connection !== ConnectionState.Connected) return;
    const now = Date.now();
    const due: { key: string; at: number }[] = [];
    for (const [id, modes] of this.plan) {
      for (const slot of VIDEO_SLOTS) {
        const key = slotKey(id, slot);
        if (modes[slot] !== 'still' || this.capturing.has(key)) continue;
        const at = this.stills.get(key)?.at ?? 0;
        if (now - at >= STILL_REFRESH_MS - STILL_GRAB_ALLOWANCE_MS) due.push({ key, at });
      }
    }
    due.sort((a, b) => a.at - b.at);
    for (const { key } of due) {
      if (this.capturing.size >= STILL_CONCURRENCY) break;
      const [id, slot] = key.split(':') as [string, VideoSlot];
      const feed = this.media(Number(id))[slot];
      // The page subscribes to its stills when it turns to them: a slot does not wait for that.
      if (!feed || feed.muted || !feed.publication.isSubscribed) continue;
      void this.capture(Number(id), slot, feed.publication);
    }
  }

  private async capture(candidateId: number, slot: VideoSlot, pub: RemoteTrackPublication) {
    const key = slotKey(candidateId, slot);
    this.capturing.add(key);
    const resumedAt = performance.now();
    this.reconcile(candidateId);
    try {
      const track = await waitFor(() => (pub.isSubscribed ? (pub.track as RemoteVideoTrack | undefined) : undefined), 4000);
      if (!track || this.disposed) return;
      const blob = await grabFrame(track.mediaStreamTrack, STILL_MAX_WIDTH, 0.7, resumedAt);
      if (!blob || this.disposed) return;
      const prev = this.stills.get(key);
      if (prev) URL.revokeObjectURL(prev.url);
      this.stills.set(key, { url: URL.createObjectURL(blob), at: Date.now() });
    } catch {
      // A failed grab is retried on the next round; the tile keeps its previous still.
    } finally {
      // Mark the attempt even on failure, so a broken feed does not starve the others.
      if (!this.stills.has(key)) this.stills.set(key, { url: '', at: Date.now() });
      this.capturing.delete(key);
      this.reconcile(candidateId);
      this.invalidate(candidateId);
      // The slot is free now: waiting for the next tick would leave it idle for up to a second.
      this.tickStills();
    }
  }
}

async function waitFor<T>(get: () => T | undefined, timeoutMs: number): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = get();
    if (v) return v;
    if (Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * One decoded frame of a track as a JPEG. The video element is never attached to the page,
 * so the grid's `<video>` elements stay exactly the live ones.
 */
export async function grabFrame(track: MediaStreamTrack, maxWidth: number, quality: number, notBefore = 0): Promise<Blob | null> {
  const video = document.createElement('video');
  video.muted = true;
  video.playsInline = true;
  video.srcObject = new MediaStream([track]);
  try {
    // The timeout covers play() too: it does not settle before a frame arrives, however long.
    const frame = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no frame')), 3000);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      if (typeof video.requestVideoFrameCallback === 'function') {
        // A paused track may hand a new sink its last frame from before the pause: wait for one
        // received after the resume.
        const onFrame: VideoFrameRequestCallback = (_now, meta) => {
          if (meta.receiveTime !== undefined && meta.receiveTime < notBefore) video.requestVideoFrameCallback(onFrame);
          else done();
        };
        video.requestVideoFrameCallback(onFrame);
      } else {
        video.addEventListener('loadeddata', done, { once: true });
      }
    });
    await Promise.all([video.play(), frame]);
    return await elementToJpeg(video, maxWidth, quality);
  } finally {
    video.pause();
    video.srcObject = null;
  }
}

/** The frame a video element shows now, downscaled to at most maxWidth, as a JPEG blob. */
export function elementToJpeg(video: HTMLVideoElement, maxWidth: number, quality: number): Promise<Blob | null> {
  const canvas = drawFrame(video, maxWidth);
  if (!canvas) return Promise.resolve(null);
  return new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', quality));
}

export function drawFrame(video: HTMLVideoElement, maxWidth: number): HTMLCanvasElement | null {
  const w = video.videoWidth;
  const h = video.videoHeight;
  if (!w || !h) return null;
  const scale = Math.min(1, maxWidth / w);
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(w * scale);
  canvas.height = Math.round(h * scale);
  canvas.getContext('2d')?.drawImage(video, 0, 0, canvas.width, canvas.height);
  return canvas;
}
