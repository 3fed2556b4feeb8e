import {
  AudioFrame,
  AudioSource,
  LocalAudioTrack,
  Room,
  RoomEvent,
  LocalVideoTrack,
  TrackPublishOptions,
  TrackSource,
  VideoBufferType,
  VideoFrame,
  VideoSource,
  type LocalTrackPublication,
  type RemoteTrackPublication,
} from '@livekit/rtc-node';

/**
 * A headless candidate: joins with a real token and publishes synthetic video with moving
 * content through the real SFU, the way a candidate's browser would. Used by tests and by the
 * load benchmarks, where forty browsers would not fit on the machine.
 *
 * Simulcast layers come from the Rust SDK's presets, keyed on the source size: a screen share
 * gets one extra layer at half size and 3 fps; a camera at least 960 px wide gets 180p and 360p
 * layers under the full one (narrower cameras get only a 360p one). `maxBitrate`/`maxFps` cap the
 * full layer.
 */
export type SimulatedTrack = {
  source: 'camera' | 'screen_share';
  width: number;
  height: number;
  fps: number;
  simulcast?: boolean;
  maxBitrate?: number;
  maxFps?: number;
};

export type SimulatedCandidateOptions = {
  /** Where this candidate starts in the shared frame loop, so a room of them does not move in lockstep. */
  phase?: number;
};

export class SimulatedCandidate {
  private current = new Room();
  /** Stops the frame pump of each published track. */
  private pumps: (() => void)[] = [];
  private sources: (VideoSource | AudioSource)[] = [];
  private readonly phase: number;
  /** Frames handed to the SDK since the last connect, per source. */
  readonly framesSent = { camera: 0, screen_share: 0 };
  /** Milliseconds this thread spent inside the SDK's frame capture, since the last connect. */
  captureMs = 0;

  constructor({ phase = 0 }: SimulatedCandidateOptions = {}) {
    this.phase = phase;
  }

  /** The SDK room of the current connection; a new one after each disconnect. */
  get room() {
    return this.current;
  }

  async connect(url: string, token: string, { autoSubscribe = false } = {}) {
    // An rtc-node Room is single-use: a candidate coming back joins with a fresh one.
    if (this.current.isConnected || this.pumps.length > 0) await this.disconnect();
    this.framesSent.camera = 0;
    this.framesSent.screen_share = 0;
    this.captureMs = 0;
    await this.current.connect(url, token, { autoSubscribe, dynacast: true });
    return this;
  }

  /** Publishes a track whose picture changes every frame, with simulcast unless told otherwise. */
  async publish(track: SimulatedTrack): Promise<LocalTrackPublication> {
    const frames = frameLoop(track.source, track.width, track.height, track.fps);
    const source = new VideoSource(track.width, track.height);
    const local = LocalVideoTrack.createVideoTrack(track.source, source);
    const options = new TrackPublishOptions({
      source: track.source === 'camera' ? TrackSource.SOURCE_CAMERA : TrackSource.SOURCE_SCREENSHARE,
      simulcast: track.simulcast ?? true,
      ...(track.maxBitrate ? { videoEncoding: { maxBitrate: BigInt(track.maxBitrate), maxFramerate: track.maxFps ?? track.fps } } : {}),
    });
    this.sources.push(source);
    // Frames flow before the publication completes, as with a real capture device.
    let n = this.phase;
    const period = 1000 / track.fps;
    let due = performance.now();
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const send = () => {
      if (stopped || source.closed) return;
      const t0 = performance.now();
      source.captureFrame(new VideoFrame(frames[n++ % frames.length]!, track.width, track.height, VideoBufferType.I420));
      const t1 = performance.now();
      this.captureMs += t1 - t0;
      this.framesSent[track.source]++;
      // Paced against the clock, not the previous callback, so a late timer does not lower the
      // rate; a thread more than a frame behind skips ahead instead of sending a burst.
      due += period;
      if (t1 - due > period) due = t1;
      timer = setTimeout(send, Math.max(0, due - t1));
    };
    this.pumps.push(() => {
      stopped = true;
      clearTimeout(timer);
    });
    send();
    return this.current.localParticipant!.publishTrack(local, options);
  }

  /**
   * Publishes a microphone, as a candidate's PC does (a grid flags a candidate without one).
   * Silent by default: the track is there but carries no audio, which costs nothing, and a grid
   * does not listen to it. With `hum`, a faint tone goes out in 100 ms frames; the SDK's audio
   * path is costly per frame, so a room of forty hums takes a good part of a core.
   */
  async publishMicrophone({ hum = false }: { hum?: boolean } = {}): Promise<LocalTrackPublication> {
    const source = new AudioSource(HUM_RATE, 1);
    const local = LocalAudioTrack.createAudioTrack('microphone', source);
    this.sources.push(source);
    if (hum) {
      const frame = new AudioFrame(humSamples(), HUM_RATE, 1, HUM_SAMPLES);
      let due = performance.now();
      let timer: NodeJS.Timeout | undefined;
      let stopped = false;
      const send = () => {
        if (stopped || source.closed) return;
        source.captureFrame(frame).catch(() => {});
        const now = performance.now();
        due += 100;
        if (now - due > 100) due = now;
        timer = setTimeout(send, Math.max(0, due - now));
      };
      this.pumps.push(() => {
        stopped = true;
        clearTimeout(timer);
      });
      send();
    }
    return this.current.localParticipant!.publishTrack(local, new TrackPublishOptions({ source: TrackSource.SOURCE_MICROPHONE }));
  }

  /** Remote publications of others, as this participant's grants let it see them. */
  remotePublications(): RemoteTrackPublication[] {
    return [...this.current.remoteParticipants.values()].flatMap((p) => [...p.trackPublications.values()]);
  }

  onTrackSubscribed(cb: () => void) {
    this.current.on(RoomEvent.TrackSubscribed, cb);
  }

  async disconnect() {
    for (const stop of this.pumps) stop();
    this.pumps = [];
    const room = this.current;
    this.current = new Room();
    const sources = this.sources;
    this.sources = [];
    // On a starved machine the SDK can take very long to confirm; the SFU drops us anyway.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([room.disconnect(), new Promise((r) => (timer = setTimeout(r, 10_000)))]);
    clearTimeout(timer);
    for (const s of sources) await s.close();
  }
}

const HUM_RATE = 48_000;
const HUM_SAMPLES = HUM_RATE / 10;
let humFrame: Int16Array | null = null;

/** 100 ms of a quiet 220 Hz tone: a whole number of periods, so frames join without a click. */
function humSamples() {
  humFrame ??= Int16Array.from({ length: HUM_SAMPLES }, (_, i) => Math.round(600 * Math.sin((2 * Math.PI * 220 * i) / HUM_RATE)));
  return humFrame;
}

/**
 * Prepared I420 frames, shared by every simulated candidate in the process: painting a picture
 * per frame in JavaScript would cost more CPU than encoding it. Each frame is its own
 * ArrayBuffer because the SDK reads a frame from the start of its buffer.
 */
const loops = new Map<string, Uint8Array[]>();

function frameLoop(source: SimulatedTrack['source'], width: number, height: number, fps: number) {
  if (width % 2 || height % 2) throw new Error(`I420 frames need an even size, got ${width}x${height}`);
  // Two seconds of camera motion, four of screen activity; longer loops only cost memory.
  const count = Math.max(2, Math.round(fps * (source === 'camera' ? 2 : 4)));
  const key = `${source}:${width}x${height}:${count}`;
  let loop = loops.get(key);
  if (!loop) {
    const paint = source === 'camera' ? paintCamera : paintScreen;
    loop = Array.from({ length: count }, (_, i) => paint(width, height, i, count));
    loops.set(key, loop);
  }
  return loop;
}

type Planes = { y: Uint8Array; u: Uint8Array; v: Uint8Array; w: number; h: number };

function i420(width: number, height: number): { frame: Uint8Array; planes: Planes } {
  const frame = new Uint8Array((width * height * 3) / 2);
  const ySize = width * height;
  const cSize = ySize / 4;
  return {
    frame,
    planes: { y: frame.subarray(0, ySize), u: frame.subarray(ySize, ySize + cSize), v: frame.subarray(ySize + cSize), w: width, h: height },
  };
}

/** Fills a rectangle (luma coordinates) with one colour. */
function rect(p: Planes, x0: number, y0: number, w: number, h: number, [Y, U, V]: readonly [number, number, number]) {
  const x1 = Math.min(p.w, Math.max(0, Math.round(x0 + w)));
  const y1 = Math.min(p.h, Math.max(0, Math.round(y0 + h)));
  const xa = Math.max(0, Math.round(x0));
  const ya = Math.max(0, Math.round(y0));
  for (let y = ya; y < y1; y++) p.y.fill(Y, y * p.w + xa, y * p.w + x1);
  const cw = p.w / 2;
  for (let y = ya >> 1; y < y1 >> 1; y++) {
    p.u.fill(U, y * cw + (xa >> 1), y * cw + (x1 >> 1));
    p.v.fill(V, y * cw + (xa >> 1), y * cw + (x1 >> 1));
  }
}

function prng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 0xffffffff;
  };
}

/**
 * A desktop with a document being typed into: static text lines, words appearing one by one,
 * a moving pointer and a ticking clock. Most of the picture stays still, as on a real exam screen.
 */
function paintScreen(width: number, height: number, i: number, count: number) {
  const { frame, planes } = i420(width, height);
  const s = height / 720;
  rect(planes, 0, 0, width, height, [235, 128, 128]);
  rect(planes, 0, 0, width, 40 * s, [70, 160, 110]);
  const line = 22 * s;
  const rand = prng(7);
  const lines = Math.floor((height - 120 * s) / line);
  // The last third of the lines fills up word by word across the loop.
  const typedFrom = Math.floor(lines * 0.66);
  let words = 0;
  const typed = Math.floor((i / count) * (lines - typedFrom) * 9);
  for (let l = 0; l < lines; l++) {
    let x = 60 * s;
    const y = 70 * s + l * line;
    while (x < width - 120 * s) {
      const w = (20 + rand() * 90) * s;
      if (l >= typedFrom && words++ >= typed) break;
      rect(planes, x, y, w, 10 * s, [90, 128, 128]);
      x += w + 12 * s;
    }
  }
  const t = i / count;
  rect(planes, width * (0.2 + 0.6 * t), height * (0.3 + 0.4 * Math.sin(t * Math.PI * 2) ** 2), 14 * s, 22 * s, [16, 128, 128]);
  // A clock in the corner whose digits (blocks) change every frame.
  for (let b = 0; b < 8; b++) {
    rect(planes, width - (30 + b * 14) * s, 12 * s, 10 * s, 16 * s, (i >> b) & 1 ? [235, 128, 128] : [30, 128, 128]);
  }
  return frame;
}

/**
 * A person at a desk: a textured room behind, a head and shoulders that sway, so no two
 * frames of the loop are the same.
 */
function paintCamera(width: number, height: number, i: number, count: number) {
  const { frame, planes } = i420(width, height);
  const rand = prng(11);
  rect(planes, 0, 0, width, height, [80, 128, 128]);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) planes.y[y * width + x] = 80 + ((x * 60) / width + (y * 40) / height);
  }
  // Shelves and a door: large static shapes like a room behind the candidate.
  for (let k = 0; k < 14; k++) {
    const c = [60 + rand() * 120, 100 + rand() * 60, 100 + rand() * 60] as const;
    rect(planes, rand() * width, rand() * height * 0.6, (0.05 + rand() * 0.15) * width, (0.05 + rand() * 0.2) * height, c);
  }
  const t = (i / count) * Math.PI * 2;
  const cx = width * (0.5 + 0.08 * Math.sin(t));
  const cy = height * (0.42 + 0.03 * Math.sin(2 * t));
  const rx = width * 0.11;
  const ry = height * 0.2;
  rect(planes, cx - width * 0.22, cy + ry * 0.8, width * 0.44, height, [60, 150, 120]);
  const cw = width / 2;
  for (let y = Math.max(0, Math.floor(cy - ry)); y < Math.min(height, cy + ry); y++) {
    for (let x = Math.max(0, Math.floor(cx - rx)); x < Math.min(width, cx + rx); x++) {
      const d = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2;
      if (d > 1) continue;
      planes.y[y * width + x] = 150 + 30 * (1 - d);
      if (!(x & 1) && !(y & 1)) {
        planes.u[(y >> 1) * cw + (x >> 1)] = 110;
        planes.v[(y >> 1) * cw + (x >> 1)] = 152;
      }
    }
  }
  // Fine texture (the wall, the fabric), the same in every frame. Fresh white noise per frame
  // would be sensor noise, which a browser's camera pipeline denoises before VP8 sees it (and
  // which would make a synthetic camera cost its layer's whole bitrate cap, unlike a real one).
  const grain = prng(1000);
  for (let k = 0; k < planes.y.length; k++) planes.y[k] = Math.min(255, Math.max(0, planes.y[k]! + Math.round((grain() - 0.5) * 4)));
  return frame;
}
