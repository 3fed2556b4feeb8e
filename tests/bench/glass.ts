/**
 * Glass-to-glass latency of the invigilator grid: from the moment a candidate's screen shows
 * something to the moment the invigilator's page shows that frame, for a grid tile (LOW layer)
 * and for the focus view (HIGH layer).
 *
 * One real candidate page of the app publishes a "screen" that is a canvas drawing the current
 * time as a black-and-white bit pattern on every animation frame (getDisplayMedia is replaced
 * before any page script runs; camera and microphone stay the browser's fake devices). The
 * invigilator's room page, in the same browser and so on the same clock, reads the pattern out of
 * every decoded frame of the candidate's screen video and subtracts. Self-contained: it opens its
 * own browser contexts and closes them again, so a bench that already has a stack and a room
 * (grid.ts) can call it as well as glass-run.ts.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loginAsCandidate, loginAsStaff } from '../helpers/journeys';
import { cpuBetween, sampleCpu } from './cpu';
import { percentile } from './page-hooks';
import { waitUntil } from './poll';

/** The drawn screen's width: the focus view's HIGH layer arrives at it. */
const FULL_WIDTH = 1920;

/**
 * The pattern, shared by both pages (plain JavaScript: it runs in the browser). The top three
 * quarters of the frame are 3 rows of 24 cells, each cell 80x270 px at 1080p and still 27x90 at
 * the grid's 640x360: a guard row alternating black and white (it gives the black and white
 * levels and proves the frame is the pattern at all), then 48 bits: the time in whole ms modulo
 * 2^40 (35 years, so it is compared with the reader's own clock without ambiguity) and a CRC-8 of
 * it. A reading whose guard is off, whose cells sit near mid-grey (a blend of two frames, or
 * compression smearing a cell) or whose CRC fails is rejected and counted, never used.
 */
const CODEC = String.raw`
  const COLS = 24;
  const ROWS = 3;
  const BAND = 0.75;
  const TWO24 = 16777216;
  const TWO40 = 1099511627776;
  const crc8 = (bytes) => {
    let c = 0;
    for (const b of bytes) {
      c ^= b;
      for (let k = 0; k < 8; k++) c = c & 0x80 ? ((c << 1) ^ 0x07) & 0xff : (c << 1) & 0xff;
    }
    return c;
  };
  const bytesOf = (t40) => {
    const hi = Math.floor(t40 / TWO24);
    const lo = t40 % TWO24;
    return [(hi >> 8) & 255, hi & 255, (lo >> 16) & 255, (lo >> 8) & 255, lo & 255];
  };
  const cellsOf = (t40) => {
    const bits = [];
    for (let i = 0; i < COLS; i++) bits.push(i % 2);
    const b = bytesOf(t40);
    for (const byte of [...b, crc8(b)]) for (let k = 7; k >= 0; k--) bits.push((byte >> k) & 1);
    return bits;
  };
  const nowMs = () => performance.timeOrigin + performance.now();
`;

/**
 * The candidate's page: getDisplayMedia returns a captured canvas at the frame rate the app asks
 * for (a real screen capture also delivers at most that), counted in `__glass.captureCalls`.
 * Peer connections are kept so the sender's stats can be read.
 */
const CANDIDATE_SCRIPT = String.raw`(() => {
  if (window.__glass) return;
  ${CODEC}
  const W = ${FULL_WIDTH};
  const H = 1080;
  const state = { captureCalls: 0, draws: 0, trackId: null, canvas: null, pcs: [] };
  window.__glass = state;
  const Orig = window.RTCPeerConnection;
  if (Orig) {
    window.RTCPeerConnection = class extends Orig {
      constructor(...args) {
        super(...args);
        state.pcs.push(this);
      }
    };
  }
  const draw = (ctx) => {
    const t = Math.round(nowMs());
    const cells = cellsOf(t % TWO40);
    const cw = W / COLS;
    const ch = (H * BAND) / ROWS;
    for (let i = 0; i < cells.length; i++) {
      ctx.fillStyle = cells[i] ? '#fff' : '#000';
      ctx.fillRect((i % COLS) * cw, Math.floor(i / COLS) * ch, cw, ch);
    }
    ctx.fillStyle = '#1e293b';
    ctx.fillRect(0, H * BAND, W, H * (1 - BAND));
    ctx.fillStyle = '#fff';
    ctx.font = 'bold 150px monospace';
    ctx.textBaseline = 'middle';
    const d = new Date(t);
    const hms = [d.getHours(), d.getMinutes(), d.getSeconds()].map((x) => String(x).padStart(2, '0')).join(':');
    ctx.fillText(hms + '.' + String(d.getMilliseconds()).padStart(3, '0') + '  #' + state.draws, 40, H * (1 + BAND) / 2);
    state.draws++;
  };
  const canvas = () => {
    if (state.canvas) return state.canvas;
    const c = document.createElement('canvas');
    c.width = W;
    c.height = H;
    const ctx = c.getContext('2d');
    const loop = () => {
      draw(ctx);
      requestAnimationFrame(loop);
    };
    loop();
    state.canvas = c;
    return c;
  };
  const frameRate = (constraints) => {
    const f = constraints && typeof constraints.video === 'object' ? constraints.video.frameRate : undefined;
    const n = typeof f === 'number' ? f : f ? (f.exact ?? f.max ?? f.ideal) : undefined;
    return typeof n === 'number' && n > 0 ? n : 30;
  };
  const md = navigator.mediaDevices;
  if (md) {
    md.getDisplayMedia = async (constraints) => {
      state.captureCalls++;
      const stream = canvas().captureStream(frameRate(constraints));
      state.trackId = stream.getVideoTracks()[0].id;
      return stream;
    };
  }

  // The sender's side of the screen track: its capture rate and, per simulcast layer, encoding.
  state.senderStats = async () => {
    const sources = [];
    const layers = [];
    for (const pc of state.pcs) {
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      const ours = new Set();
      report.forEach((s) => {
        if (s.type === 'media-source' && s.kind === 'video' && s.trackIdentifier === state.trackId) {
          ours.add(s.id);
          sources.push({ frames: s.frames || 0, width: s.width || 0, height: s.height || 0 });
        }
      });
      report.forEach((s) => {
        if (s.type !== 'outbound-rtp' || !ours.has(s.mediaSourceId)) return;
        layers.push({
          rid: s.rid || '',
          width: s.frameWidth || 0,
          height: s.frameHeight || 0,
          framesEncoded: s.framesEncoded || 0,
          totalEncodeTime: s.totalEncodeTime || 0,
          bytesSent: s.bytesSent || 0,
          keyFramesEncoded: s.keyFramesEncoded || 0,
          qualityLimitationReason: s.qualityLimitationReason || '',
          encoderImplementation: s.encoderImplementation || '',
          active: s.active !== false,
        });
      });
    }
    return { t: Date.now(), draws: state.draws, sources, layers };
  };
})();`;

/**
 * The invigilator's page: readers that decode every frame a given <video> presents, and the
 * receiving side's stats for whatever track that video plays.
 *
 * Latency is taken to `presentationTime` of requestVideoFrameCallback's metadata: when the decoded
 * frame was handed to the compositor, one or two vsyncs before it is on screen. Not to
 * `expectedDisplayTime`, though it means "on screen": for WebRTC video Chromium fills it from the
 * compositor's last render deadline, which came out before `presentationTime` on the 3 fps tile
 * and, with the SFU's playout delay at 0, up to 300 ms after the frame had already been painted
 * (the animation-frame cross-check below saw it). Both it and `receiveTime` (the frame's last
 * packet arrived) are kept to split the total.
 */
const GRID_SCRIPT = String.raw`(() => {
  if (window.__glassGrid) return;
  ${CODEC}
  const pcs = [];
  // Remote tracks by the streams they came in: WebRTC delays video to line up with audio of the same stream.
  const streamsOf = new Map();
  const Orig = window.RTCPeerConnection;
  if (Orig) {
    window.RTCPeerConnection = class extends Orig {
      constructor(...args) {
        super(...args);
        pcs.push(this);
        this.addEventListener('track', (e) => streamsOf.set(e.track.id, { kind: e.track.kind, streams: e.streams.map((s) => s.id) }));
      }
    };
  }
  const RW = COLS * 8;
  const RH = 108;
  const bandH = Math.round(RH * BAND);

  // Mean luma of each cell's middle half: edges ring and bleed after scaling and compression.
  const readCells = (ctx) => {
    const data = ctx.getImageData(0, 0, RW, bandH).data;
    const cw = RW / COLS;
    const ch = bandH / ROWS;
    const out = [];
    for (let r = 0; r < ROWS; r++) {
      for (let c = 0; c < COLS; c++) {
        let sum = 0;
        let n = 0;
        for (let y = Math.ceil(r * ch + ch / 4); y < r * ch + (3 * ch) / 4; y++) {
          for (let x = Math.ceil(c * cw + cw / 4); x < c * cw + (3 * cw) / 4; x++) {
            const i = (y * RW + x) * 4;
            sum += 0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2];
            n++;
          }
        }
        out.push(sum / n);
      }
    }
    return out;
  };

  const decode = (cells) => {
    let black = 0;
    let white = 0;
    for (let i = 0; i < COLS; i++) i % 2 ? (white += cells[i]) : (black += cells[i]);
    black /= COLS / 2;
    white /= COLS / 2;
    if (white - black < 80) return { reject: 'guard' };
    const mid = (black + white) / 2;
    const margin = (white - black) / 4;
    for (let i = 0; i < COLS; i++) if (i % 2 ? cells[i] < mid + margin : cells[i] > mid - margin) return { reject: 'guard' };
    const bytes = [];
    for (let b = 0; b < 6; b++) {
      let byte = 0;
      for (let k = 0; k < 8; k++) {
        const v = cells[COLS + b * 8 + k];
        if (Math.abs(v - mid) < margin) return { reject: 'ambiguous' };
        byte = (byte << 1) | (v > mid ? 1 : 0);
      }
      bytes.push(byte);
    }
    if (crc8(bytes.slice(0, 5)) !== bytes[5]) return { reject: 'crc' };
    return { t40: (bytes[0] * 256 + bytes[1]) * TWO24 + bytes[2] * 65536 + bytes[3] * 256 + bytes[4] };
  };

  const readers = {};
  let nextId = 1;
  const start = (selector) => {
    const canvas = document.createElement('canvas');
    canvas.width = RW;
    canvas.height = RH;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const painted = document.createElement('canvas');
    painted.width = RW;
    painted.height = RH;
    const paintCtx = painted.getContext('2d', { willReadFrequently: true });
    const r = {
      selector,
      el: null,
      handle: 0,
      elements: 0,
      samples: [],
      paints: [],
      rejected: { guard: 0, ambiguous: 0, crc: 0, range: 0, repeat: 0 },
      lastT: -1,
      lastPaintT: -1,
      timer: 0,
      raf: 0,
    };
    const onFrame = (el) => (now, meta) => {
      if (r.el !== el) return;
      r.handle = el.requestVideoFrameCallback(onFrame(el));
      const at = performance.timeOrigin;
      // Drawn inside the callback, the video's current frame is the one the metadata describes.
      ctx.drawImage(el, 0, 0, RW, RH);
      const d = decode(readCells(ctx));
      if (d.reject) return void r.rejected[d.reject]++;
      const presented = at + meta.presentationTime;
      // Short of ten seconds back (or ahead: a clock fault) is no frame of this run.
      const back = ((Math.round(presented) % TWO40) - d.t40 + TWO40) % TWO40;
      if (back > 10000) return void r.rejected.range++;
      if (d.t40 === r.lastT) return void r.rejected.repeat++;
      r.lastT = d.t40;
      const t = Math.round(presented) - back;
      r.samples.push({
        t,
        latency: presented - t,
        callback: at + now - t,
        expected: at + meta.expectedDisplayTime - t,
        received: meta.receiveTime !== undefined ? at + meta.receiveTime - t : null,
        processing: meta.processingDuration !== undefined ? meta.processingDuration * 1000 : null,
        width: meta.width,
        height: meta.height,
      });
    };
    const attach = () => {
      const el = document.querySelector(selector);
      if (el === r.el) return;
      if (r.el && r.handle) r.el.cancelVideoFrameCallback(r.handle);
      r.el = el;
      r.handle = 0;
      if (el) {
        r.elements++;
        r.handle = el.requestVideoFrameCallback(onFrame(el));
      }
    };
    // A cross-check that needs no frame metadata: at every animation frame, which frame does the
    // element show? The first animation frame showing a new one is when it reached the page's paint.
    const onPaint = (ts) => {
      r.raf = requestAnimationFrame(onPaint);
      const el = r.el;
      if (!el || el.readyState < 2) return;
      paintCtx.drawImage(el, 0, 0, RW, RH);
      const d = decode(readCells(paintCtx));
      if (d.reject || d.t40 === r.lastPaintT) return;
      r.lastPaintT = d.t40;
      const latency = (Math.round(performance.timeOrigin + ts) % TWO40 - d.t40 + TWO40) % TWO40;
      if (latency <= 10000) r.paints.push(latency);
    };
    attach();
    r.timer = setInterval(attach, 100);
    r.raf = requestAnimationFrame(onPaint);
    const id = nextId++;
    readers[id] = r;
    return id;
  };
  const result = (id) => {
    const r = readers[id];
    return { samples: r.samples, paints: r.paints, rejected: r.rejected, elements: r.elements };
  };
  // Starts the window afresh: what came before (the first frames, a layer switch) is warm-up.
  const reset = (id) => {
    const r = readers[id];
    r.samples = [];
    r.paints = [];
    for (const k of Object.keys(r.rejected)) r.rejected[k] = 0;
  };
  const stop = (id) => {
    const r = readers[id];
    clearInterval(r.timer);
    cancelAnimationFrame(r.raf);
    if (r.el && r.handle) r.el.cancelVideoFrameCallback(r.handle);
    r.el = null;
  };
  // The inbound stream of the track the reader's video plays now.
  const inbound = async (id) => {
    const r = readers[id];
    const s = r.el && r.el.srcObject;
    const track = s && s.getVideoTracks ? s.getVideoTracks()[0] : null;
    if (!track) return null;
    for (const pc of pcs) {
      if (pc.connectionState === 'closed') continue;
      let found = null;
      (await pc.getStats()).forEach((x) => {
        if (x.type === 'inbound-rtp' && x.kind === 'video' && x.trackIdentifier === track.id) found = x;
      });
      if (found) {
        const f = found;
        const mine = streamsOf.get(track.id);
        const audioInSameStream = !!mine && [...streamsOf.values()].some((o) => o.kind === 'audio' && o.streams.some((id) => mine.streams.includes(id)));
        return {
          t: Date.now(),
          audioInSameStream,
          framesDecoded: f.framesDecoded || 0,
          framesDropped: f.framesDropped || 0,
          jitterBufferDelay: f.jitterBufferDelay || 0,
          jitterBufferTargetDelay: f.jitterBufferTargetDelay || 0,
          jitterBufferMinimumDelay: f.jitterBufferMinimumDelay || 0,
          jitterBufferEmittedCount: f.jitterBufferEmittedCount || 0,
          totalDecodeTime: f.totalDecodeTime || 0,
          totalProcessingDelay: f.totalProcessingDelay || 0,
          totalAssemblyTime: f.totalAssemblyTime || 0,
          framesAssembledFromMultiplePackets: f.framesAssembledFromMultiplePackets || 0,
          freezeCount: f.freezeCount || 0,
          nackCount: f.nackCount || 0,
          pliCount: f.pliCount || 0,
          packetsLost: f.packetsLost || 0,
          width: f.frameWidth || 0,
          height: f.frameHeight || 0,
        };
      }
    }
    return null;
  };
  window.__glassGrid = { start, result, reset, stop, inbound };
})();`;

type Sample = {
  /** Epoch ms the candidate's page drew the frame. */
  t: number;
  /** Drawn to handed to the invigilator's compositor, ms. */
  latency: number;
  /** Drawn to the callback / the expected display time / the last packet received, ms. */
  callback: number;
  expected: number;
  received: number | null;
  /** rVFC processingDuration: first packet received to decoded, ms. */
  processing: number | null;
  width: number;
  height: number;
};
type Rejected = { guard: number; ambiguous: number; crc: number; range: number; repeat: number };
type InboundSnapshot = {
  t: number;
  audioInSameStream: boolean;
  framesDecoded: number;
  framesDropped: number;
  jitterBufferDelay: number;
  jitterBufferTargetDelay: number;
  jitterBufferMinimumDelay: number;
  jitterBufferEmittedCount: number;
  totalDecodeTime: number;
  totalProcessingDelay: number;
  totalAssemblyTime: number;
  framesAssembledFromMultiplePackets: number;
  freezeCount: number;
  nackCount: number;
  pliCount: number;
  packetsLost: number;
  width: number;
  height: number;
};
type SenderSnapshot = {
  t: number;
  draws: number;
  sources: { frames: number; width: number; height: number }[];
  layers: {
    rid: string;
    width: number;
    height: number;
    framesEncoded: number;
    totalEncodeTime: number;
    bytesSent: number;
    keyFramesEncoded: number;
    qualityLimitationReason: string;
    encoderImplementation: string;
    active: boolean;
  }[];
};
type GridWindow = {
  __glassGrid: {
    start: (selector: string) => number;
    result: (id: number) => { samples: Sample[]; paints: number[]; rejected: Rejected; elements: number };
    reset: (id: number) => void;
    stop: (id: number) => void;
    inbound: (id: number) => Promise<InboundSnapshot | null>;
  };
};
type CandidateWindow = { __glass: { captureCalls: number; draws: number; canvas: HTMLCanvasElement | null; senderStats: () => Promise<SenderSnapshot> } };

export type GlassOptions = {
  browser: Browser;
  appUrl: string;
  examId: number;
  roomId: number;
  /** A candidate of that room who is not publishing yet: this browser page becomes their PC. */
  candidate: { id: number; idNumber: string; password: string };
  invigilator: { username: string; password: string };
  log: (...a: unknown[]) => void;
  /** Readings per view (default 60: 20 s at the tile's 3 fps). */
  samples?: number;
  /**
   * Added to the room page's URL, e.g. `pageSize=40&videoCap=80`. The grid spends its live-video
   * budget on cameras first, then screens in seat order: in a full room the candidate's screen
   * may be a still (reported as such, not measured) unless the cap leaves it live.
   */
  gridQuery?: string;
  /** Screenshots of both pages and one drawn frame go here (none if unset). */
  screenshotDir?: string;
  /**
   * Process trees to account CPU to per window (e.g. `{ sfu: [pid], app: [pid] }`); Chromium is
   * found as a child of this process. The cores are shared, so a result says how busy they were.
   */
  cpuRoots?: Record<string, number[]>;
};

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const dist = (xs: number[]) => (xs.length ? { p50: round(percentile(xs, 50)), p95: round(percentile(xs, 95)), max: round(Math.max(...xs)) } : null);

/** What the browser's receiving side says about the window, per decoded frame. */
function inboundBetween(a: InboundSnapshot | null, b: InboundSnapshot | null) {
  if (!a || !b) return null;
  const frames = b.framesDecoded - a.framesDecoded;
  const emitted = b.jitterBufferEmittedCount - a.jitterBufferEmittedCount;
  const assembled = b.framesAssembledFromMultiplePackets - a.framesAssembledFromMultiplePackets;
  const perFrame = (dx: number, n: number) => (n > 0 ? round((dx / n) * 1000) : null);
  return {
    framesDecoded: frames,
    fps: round(frames / ((b.t - a.t) / 1000)),
    jitterBufferMsPerFrame: perFrame(b.jitterBufferDelay - a.jitterBufferDelay, emitted),
    jitterBufferTargetMsPerFrame: perFrame(b.jitterBufferTargetDelay - a.jitterBufferTargetDelay, emitted),
    jitterBufferMinimumMsPerFrame: perFrame(b.jitterBufferMinimumDelay - a.jitterBufferMinimumDelay, emitted),
    decodeMsPerFrame: perFrame(b.totalDecodeTime - a.totalDecodeTime, frames),
    /** First packet received to decoded (includes the jitter buffer). */
    processingDelayMsPerFrame: perFrame(b.totalProcessingDelay - a.totalProcessingDelay, frames),
    assemblyMsPerMultiPacketFrame: perFrame(b.totalAssemblyTime - a.totalAssemblyTime, assembled),
    framesDropped: b.framesDropped - a.framesDropped,
    freezes: b.freezeCount - a.freezeCount,
    nacks: b.nackCount - a.nackCount,
    plis: b.pliCount - a.pliCount,
    packetsLost: b.packetsLost - a.packetsLost,
    size: `${b.width}x${b.height}`,
    /** An audio track in the same MediaStream: the receiver then holds video back to play in sync with it. */
    audioInSameStream: b.audioInSameStream,
  };
}

/** The sender's side over the same window: canvas draws, captured frames, and each layer's encoding. */
function senderBetween(a: SenderSnapshot, b: SenderSnapshot) {
  const seconds = (b.t - a.t) / 1000;
  const src = (s: SenderSnapshot) => s.sources[0];
  return {
    drawFps: round((b.draws - a.draws) / seconds),
    captureFps: src(a) && src(b) ? round((src(b)!.frames - src(a)!.frames) / seconds) : null,
    captureSize: src(b) ? `${src(b)!.width}x${src(b)!.height}` : null,
    layers: b.layers.map((l) => {
      const p = a.layers.find((x) => x.rid === l.rid);
      const frames = l.framesEncoded - (p?.framesEncoded ?? 0);
      return {
        rid: l.rid,
        size: `${l.width}x${l.height}`,
        fps: round(frames / seconds),
        kbps: Math.round(((l.bytesSent - (p?.bytesSent ?? 0)) * 8) / seconds / 1000),
        keyFrames: l.keyFramesEncoded - (p?.keyFramesEncoded ?? 0),
        encodeMsPerFrame: frames > 0 ? round(((l.totalEncodeTime - (p?.totalEncodeTime ?? 0)) / frames) * 1000) : null,
        qualityLimitation: l.qualityLimitationReason,
        encoder: l.encoderImplementation,
        active: l.active,
      };
    }),
  };
}

export type ViewStats = ReturnType<typeof summarize>;

function summarize(
  view: 'tile' | 'focus',
  { samples, paints, rejected }: { samples: Sample[]; paints: number[]; rejected: Rejected },
  seconds: number,
  extra: { live: boolean; evidence: string },
) {
  const xs = samples.map((s) => s.latency);
  const sizes: Record<string, number> = {};
  for (const s of samples) sizes[`${s.width}x${s.height}`] = (sizes[`${s.width}x${s.height}`] ?? 0) + 1;
  const known = (f: (s: Sample) => number | null) => samples.map(f).filter((x): x is number => x != null);
  const rejectedReads = rejected.guard + rejected.ambiguous + rejected.crc + rejected.range;
  return {
    view,
    live: extra.live,
    evidence: extra.evidence,
    n: xs.length,
    p50: xs.length ? round(percentile(xs, 50)) : null,
    p95: xs.length ? round(percentile(xs, 95)) : null,
    max: xs.length ? round(Math.max(...xs)) : null,
    min: xs.length ? round(Math.min(...xs)) : null,
    rejectedReads,
    rejectedBy: rejected,
    readsPerSecond: round(xs.length / Math.max(0.001, seconds)),
    frameSizes: sizes,
    /** Where the time goes, ms after the draw: last packet in, handed to the compositor (the latency above), expected on screen. */
    phases: {
      receivedMs: dist(known((s) => s.received)),
      presentedMs: dist(xs),
      expectedDisplayMs: dist(samples.map((s) => s.expected)),
      callbackMs: dist(samples.map((s) => s.callback)),
      receivedToPresentedMs: dist(known((s) => (s.received == null ? null : s.latency - s.received))),
      processingMs: dist(known((s) => s.processing)),
      /** Cross-check without metadata: the first animation frame at which the element showed the frame. */
      firstPaintedMs: dist(paints),
    },
  };
}

const grid = (page: Page) => ({
  start: (selector: string) => page.evaluate((s) => (window as unknown as GridWindow).__glassGrid.start(s), selector),
  result: (id: number) => page.evaluate((i) => (window as unknown as GridWindow).__glassGrid.result(i), id),
  reset: (id: number) => page.evaluate((i) => (window as unknown as GridWindow).__glassGrid.reset(i), id),
  stop: (id: number) => page.evaluate((i) => (window as unknown as GridWindow).__glassGrid.stop(i), id),
  inbound: (id: number) => page.evaluate((i) => (window as unknown as GridWindow).__glassGrid.inbound(i), id),
});
const senderStats = (page: Page) => page.evaluate(() => (window as unknown as CandidateWindow).__glass.senderStats());

/** How the candidate's screen shows on their tile now. */
function tileScreen(page: Page, candidateId: number) {
  return page.evaluate((id) => {
    const tile = document.querySelector(`[data-testid="tile-${id}"]`);
    if (!tile) return { kind: 'absent' as const, subscribed: '' };
    const subscribed = tile.getAttribute('data-subscribed') ?? '';
    const v = tile.querySelector<HTMLVideoElement>('video[data-testid="tile-screen"]');
    if (v && v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 0) return { kind: 'live' as const, subscribed };
    if (tile.querySelector('img[data-testid="tile-screen-still"]')) return { kind: 'still' as const, subscribed };
    return { kind: 'none' as const, subscribed };
  }, candidateId);
}

/**
 * Reads frames from the video `selector` finds until `samples` readings (or `maxMs`), after a
 * warm-up that ends once `warm` holds for the readings so far. Stats are taken over the window.
 */
async function measureView(
  o: { grid: Page; candidate: Page; log: GlassOptions['log']; cpuRoots: Record<string, number[]> },
  view: 'tile' | 'focus',
  selector: string,
  samples: number,
  warm: (s: Sample[]) => boolean,
  warmMaxMs: number,
  maxMs: number,
  shot: () => Promise<void>,
) {
  const g = grid(o.grid);
  const id = await g.start(selector);
  try {
    const warmed = await waitUntil(
      () => g.result(id),
      (r) => warm(r.samples),
      warmMaxMs,
      null,
      200,
    );
    o.log(
      `${view}: warm-up over with ${warmed.samples.length} readings (sizes ${[...new Set(warmed.samples.map((s) => `${s.width}x${s.height}`))].join(', ')})`,
    );
    await g.reset(id);
    const [inA, sendA] = [await g.inbound(id), await senderStats(o.candidate)];
    const cpuA = sampleCpu(o.cpuRoots);
    const t0 = Date.now();
    let last = 0;
    const r = await waitUntil(
      () => g.result(id),
      (x) => {
        if (x.samples.length >= last + 20) o.log(`${view}: ${(last = x.samples.length)} readings`);
        return x.samples.length >= samples;
      },
      maxMs,
      null,
      200,
    );
    const seconds = (Date.now() - t0) / 1000;
    const cpu = cpuBetween(cpuA, sampleCpu(o.cpuRoots));
    const [inB, sendB] = [await g.inbound(id), await senderStats(o.candidate)];
    await shot();
    return { r, seconds, cpu, inbound: inboundBetween(inA, inB), sender: senderBetween(sendA, sendB) };
  } finally {
    await g.stop(id);
  }
}

export type GlassResult = Awaited<ReturnType<typeof measureGlassToGlass>>;

/**
 * Logs the candidate in and lets their exam page publish (with the clock as its screen), opens
 * the room grid as the invigilator, and measures the candidate's screen on its tile and then in
 * the focus view. Closes what it opened, also on failure.
 */
export async function measureGlassToGlass(o: GlassOptions) {
  const samples = o.samples ?? 60;
  const contexts: BrowserContext[] = [];
  const shot = async (page: Page, name: string) => {
    if (!o.screenshotDir) return;
    fs.mkdirSync(o.screenshotDir, { recursive: true });
    await page.screenshot({ path: path.join(o.screenshotDir, `${name}.png`) });
  };
  try {
    const candCtx = await o.browser.newContext({
      baseURL: o.appUrl,
      viewport: { width: 1366, height: 768 },
      locale: 'zh-CN',
      permissions: ['camera', 'microphone'],
    });
    contexts.push(candCtx);
    await candCtx.addInitScript({ content: CANDIDATE_SCRIPT });
    const cand = await candCtx.newPage();
    o.log(`candidate ${o.candidate.id}: logging in and entering exam ${o.examId}`);
    await loginAsCandidate(cand, o.candidate.idNumber, o.candidate.password);
    await cand.goto(`/exams/${o.examId}`);
    const published = await waitUntil(
      () =>
        cand
          .getByTestId('source-screen_share')
          .getAttribute('data-on', { timeout: 1000 })
          .catch(() => null),
      (on) => on === 'true',
      30_000,
      null,
      200,
    );
    if (published !== 'true') throw new Error('the candidate page did not publish its screen within 30 s');
    o.log('candidate: publishing the clock as its screen');

    const gridCtx = await o.browser.newContext({ baseURL: o.appUrl, viewport: { width: 1920, height: 1080 }, locale: 'zh-CN' });
    contexts.push(gridCtx);
    await gridCtx.addInitScript({ content: GRID_SCRIPT });
    const gridPage = await gridCtx.newPage();
    await loginAsStaff(gridPage, o.invigilator.username, o.invigilator.password);
    await gridPage.goto(`/rooms/${o.roomId}${o.gridQuery ? `?${o.gridQuery}` : ''}`);
    await gridPage.locator('[data-testid^="tile-"]').first().waitFor({ timeout: 20_000 });
    // The candidate may sit on a later page of the grid.
    const pages = Number((await gridPage.getByTestId('page-indicator').getAttribute('data-pages')) ?? 1);
    for (let p = 1; p < pages && (await gridPage.getByTestId(`tile-${o.candidate.id}`).count()) === 0; p++) {
      await gridPage.getByTestId('page-next').click();
    }
    const state = await waitUntil(
      () => tileScreen(gridPage, o.candidate.id),
      (s) => s.kind === 'live' || s.kind === 'still',
      30_000,
      null,
      200,
    );
    if (state.kind === 'absent') throw new Error(`no tile for candidate ${o.candidate.id} on room ${o.roomId}'s grid`);
    o.log(`grid: the candidate's tile shows the screen as ${state.kind} (subscribed: ${state.subscribed || 'nothing'})`);
    const ctx = { grid: gridPage, candidate: cand, log: o.log, cpuRoots: o.cpuRoots ?? {} };
    // Both pages read time as timeOrigin + now(): how far apart they are, against the wall clock
    // both share (Date.now() is whole ms, so ±1 ms is no disagreement).
    const offset = (p: Page) => p.evaluate(() => performance.timeOrigin + performance.now() - Date.now());
    const clockOffsetMs = round((await offset(cand)) - (await offset(gridPage)));

    let tile: ViewStats & {
      inbound?: ReturnType<typeof inboundBetween>;
      sender?: ReturnType<typeof senderBetween>;
      cpuPercent?: ReturnType<typeof cpuBetween>;
    };
    if (state.kind === 'live') {
      // A still is an <img>: only live video presents frames to the reader at all.
      const m = await measureView(
        ctx,
        'tile',
        `[data-testid="tile-${o.candidate.id}"] video[data-testid="tile-screen"]`,
        samples,
        // Five seconds of frames: a new subscriber gets every layer sent until the SFU's dynacast
        // pauses the unwatched HIGH one (4-6 s here), and the candidate pays for encoding it till then.
        (s) => s.length >= 15,
        30_000,
        Math.max(60_000, samples * 1000),
        async () => {
          await shot(gridPage, 'glass-grid');
          await shot(cand, 'glass-candidate');
        },
      );
      const after = await tileScreen(gridPage, o.candidate.id);
      tile = {
        ...summarize('tile', m.r, m.seconds, {
          live: after.kind === 'live' && m.r.samples.length > 0,
          evidence: `tile video decoding before and after the window (${after.kind}, subscribed ${after.subscribed}), ${m.r.samples.length} distinct frames in ${round(m.seconds)} s, ${m.r.elements} video element(s)`,
        }),
        inbound: m.inbound,
        sender: m.sender,
        cpuPercent: m.cpu,
      };
    } else {
      await shot(gridPage, 'glass-grid');
      tile = summarize('tile', { samples: [], paints: [], rejected: { guard: 0, ambiguous: 0, crc: 0, range: 0, repeat: 0 } }, 0, {
        live: false,
        evidence: `the grid shows this candidate's screen as ${state.kind}, not live video; nothing measured`,
      });
    }
    o.log(
      `tile: p50 ${tile.p50} p95 ${tile.p95} max ${tile.max} ms, n ${tile.n}, rejected ${tile.rejectedReads}, sizes ${JSON.stringify(tile.frameSizes)}, CPU % ${JSON.stringify(tile.cpuPercent ?? null)}`,
    );

    o.log('focus: opening the candidate');
    await gridPage.getByTestId(`tile-${o.candidate.id}`).click();
    const focusSelector = `[data-testid="focus-view"] video[data-testid="focus-screen"]`;
    await gridPage.locator(focusSelector).waitFor({ timeout: 20_000 });
    // Warm-up: until HIGH arrives at full width (the SFU switches layers once its estimate allows),
    // or 30 s; the window starts after it either way, and the result says which layer it saw.
    const m = await measureView(
      ctx,
      'focus',
      focusSelector,
      samples,
      (s) => s.filter((x) => x.width >= FULL_WIDTH).length >= 15,
      30_000,
      Math.max(45_000, samples * 500),
      async () => {
        await shot(gridPage, 'glass-focus');
        if (o.screenshotDir) {
          const png = await cand.evaluate(() => (window as unknown as CandidateWindow).__glass.canvas?.toDataURL('image/png') ?? '');
          if (png) fs.writeFileSync(path.join(o.screenshotDir, 'glass-canvas.png'), Buffer.from(png.split(',')[1]!, 'base64'));
        }
      },
    );
    const full = m.r.samples.filter((x) => x.width >= FULL_WIDTH).length;
    const focus = {
      ...summarize('focus', m.r, m.seconds, {
        live: m.r.samples.length > 0,
        evidence: `${m.r.samples.length} distinct frames in ${round(m.seconds)} s, ${full} of them at the full ${FULL_WIDTH} px width (HIGH)`,
      }),
      highLayer: m.r.samples.length > 0 && full === m.r.samples.length,
      inbound: m.inbound,
      sender: m.sender,
      cpuPercent: m.cpu,
    };
    o.log(
      `focus: p50 ${focus.p50} p95 ${focus.p95} max ${focus.max} ms, n ${focus.n}, rejected ${focus.rejectedReads}, sizes ${JSON.stringify(focus.frameSizes)}, CPU % ${JSON.stringify(focus.cpuPercent)}`,
    );

    const captureCalls = await cand.evaluate(() => (window as unknown as CandidateWindow).__glass.captureCalls);
    return { tile, focus, captureCalls, clockOffsetMs };
  } finally {
    for (const c of contexts.reverse()) await c.close().catch(() => {});
  }
}
