import type { Page } from 'playwright-core';

/**
 * What the benchmark runs inside a watching page, as plain JavaScript: tsx would wrap a
 * TypeScript function in helpers that do not exist in the browser.
 *
 * - Wraps `RTCPeerConnection` before any page script runs, so every connection the page opens
 *   can be asked for `getStats()`.
 * - Finds tiles only by `data-testid="tile-<candidateId>"` and their videos by `tile-screen`,
 *   `tile-camera` and `tile-witness`, and ties a video to its inbound RTP stream through the MediaStreamTrack id
 *   (`trackIdentifier`).
 * - Watches a joining candidate's tile from inside the page, so the first frame is timed without
 *   a round trip to the driver.
 */
export const PAGE_HOOKS = String.raw`(() => {
  if (window.__bench) return;
  const pcs = [];
  // When each remote track reached the page (the subscription's SDP was applied), by track id.
  const trackAt = new Map();
  const Orig = window.RTCPeerConnection;
  if (Orig) {
    class BenchPeerConnection extends Orig {
      constructor(...args) {
        super(...args);
        pcs.push(this);
        this.addEventListener('track', (e) => trackAt.set(e.track.id, Date.now()));
      }
    }
    window.RTCPeerConnection = BenchPeerConnection;
  }
  const tileId = (el) => {
    const m = /^tile-(\d+)$/.exec(el.getAttribute('data-testid') || '');
    return m ? m[1] : null;
  };
  const allTiles = () => [...document.querySelectorAll('[data-testid^="tile-"]')].filter((el) => tileId(el));
  const tileById = (id) => document.querySelector('[data-testid="tile-' + id + '"]');
  const videosOf = (tile) =>
    ['screen', 'camera', 'witness']
      .flatMap((role) => [...tile.querySelectorAll('video[data-testid="tile-' + role + '"]')].map((el) => ({ role, el })));
  const trackOf = (v) => {
    const s = v.srcObject;
    const t = s && s.getVideoTracks ? s.getVideoTracks()[0] : null;
    return t ? t.id : null;
  };
  const framesOf = (v) => (v.getVideoPlaybackQuality ? v.getVideoPlaybackQuality().totalVideoFrames : 0);
  // A grid may show a periodically refreshed still instead of live video: an image whose test id
  // starts with the picture's (e.g. tile-screen-still).
  const stillsOf = (tile) =>
    ['screen', 'camera', 'witness']
      .flatMap((role) => [...tile.querySelectorAll('img[data-testid^="tile-' + role + '"]')].map((el) => ({ role, el })));

  async function snapshot() {
    const streams = [];
    for (let i = 0; i < pcs.length; i++) {
      const pc = pcs[i];
      if (pc.connectionState === 'closed') continue;
      const report = await pc.getStats();
      report.forEach((s) => {
        if (s.type !== 'inbound-rtp' || s.kind !== 'video') return;
        streams.push({
          key: i + ':' + s.id,
          track: s.trackIdentifier || null,
          bytes: s.bytesReceived || 0,
          frames: s.framesDecoded || 0,
          width: s.frameWidth || 0,
          height: s.frameHeight || 0,
        });
      });
    }
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    const tiles = allTiles().map((t) => {
      const r = t.getBoundingClientRect();
      return {
        id: tileId(t),
        onScreen: r.width > 0 && r.height > 0 && r.top >= -1 && r.left >= -1 && r.bottom <= vh + 1 && r.right <= vw + 1,
        bottom: Math.ceil(r.bottom + window.scrollY),
        right: Math.ceil(r.right + window.scrollX),
        videos: videosOf(t).map(({ role, el }) => ({ role, track: trackOf(el), width: el.videoWidth, frames: framesOf(el) })),
        stills: stillsOf(t).filter(({ el }) => el.complete && el.naturalWidth > 0).map(({ role }) => role),
      };
    });
    return { t: Date.now(), peerConnections: pcs.length, streams, tiles };
  }

  // Joins: for each picture of one tile, when something new of the joining candidate shows. A
  // video counts once it has a size and a decoded frame (confirmed when a second one follows);
  // a still counts once a new image has loaded. What the tile showed before the join is stale.
  const watches = {};
  function watch(id) {
    const staleTracks = new Set();
    const staleStills = new Set();
    const before = tileById(id);
    if (before) {
      for (const { el } of videosOf(before)) { const t = trackOf(el); if (t) staleTracks.add(t); }
      for (const { el } of stillsOf(before)) if (el.src) staleStills.add(el.src);
    }
    const w = { track: {}, attached: {}, first: {}, firstFrames: {}, confirmed: {}, kind: {}, src: {}, timer: 0, staleStills, startedAt: Date.now() };
    watches[id] = w;
    w.timer = setInterval(() => {
      const tile = tileById(id);
      if (!tile) return;
      for (const { role, el } of videosOf(tile)) {
        const t = trackOf(el);
        if (!t || staleTracks.has(t)) continue;
        if (w.attached[role] == null) { w.attached[role] = Date.now(); w.track[role] = trackAt.get(t); }
        const frames = framesOf(el);
        if (w.first[role] == null) {
          if (el.videoWidth > 0 && frames > 0) { w.first[role] = Date.now(); w.firstFrames[role] = frames; w.kind[role] = 'live'; }
        } else if (w.confirmed[role] == null && w.kind[role] === 'live' && frames > w.firstFrames[role]) {
          w.confirmed[role] = Date.now();
        }
      }
      // A still is a frame of a track the page received: none of the joiner's can show before one
      // of its tracks reached the page (one candidate joins at a time here, so any track that
      // arrived since the watch began is theirs). An earlier still is an old grab finishing late.
      const newTrackAt = Math.min(Infinity, ...[...trackAt.values()].filter((at) => at >= w.startedAt));
      for (const { role, el } of stillsOf(tile)) {
        if (w.first[role] != null || !el.src || staleStills.has(el.src) || !el.complete || el.naturalWidth === 0) continue;
        if (Date.now() < newTrackAt || newTrackAt === Infinity) { staleStills.add(el.src); continue; }
        w.first[role] = w.confirmed[role] = Date.now();
        w.kind[role] = 'still';
        w.src[role] = el.src;
      }
      if (w.confirmed.screen != null && w.confirmed.camera != null) clearInterval(w.timer);
    }, 10);
  }
  function watchResult(id) {
    const w = watches[id];
    return w ? { track: w.track, attached: w.attached, first: w.first, confirmed: w.confirmed, kind: w.kind } : null;
  }
  // Nothing of the joining candidate can show before its track was published: a still seen
  // earlier was an old picture the grid put back (e.g. on re-render), so it is forgotten.
  function rebase(id, role, notBefore) {
    const w = watches[id];
    if (!w || w.first[role] == null || w.first[role] >= notBefore || w.kind[role] !== 'still') return false;
    w.staleStills.add(w.src[role]);
    delete w.first[role];
    delete w.confirmed[role];
    delete w.kind[role];
    return true;
  }
  function unwatch(id) {
    const w = watches[id];
    if (w) clearInterval(w.timer);
    delete watches[id];
  }
  window.__bench = { snapshot, watch, watchResult, rebase, unwatch };
})();`;

export type Role = 'screen' | 'camera' | 'witness';
const ROLES: Role[] = ['screen', 'camera', 'witness'];
export type StreamStat = { key: string; track: string | null; bytes: number; frames: number; width: number; height: number };
export type TileStat = {
  id: string;
  onScreen: boolean;
  bottom: number;
  right: number;
  videos: { role: Role; track: string | null; width: number; frames: number }[];
  /** Pictures shown as a loaded still image rather than live video. */
  stills: Role[];
};
export type Snapshot = { t: number; peerConnections: number; streams: StreamStat[]; tiles: TileStat[] };
type PerRole = { screen?: number; camera?: number };
/** Epoch ms, per video role: remote track arrived, video element showed it, first frame, a second frame. */
export type JoinWatch = {
  track: PerRole;
  attached: PerRole;
  first: PerRole;
  confirmed: PerRole;
  kind: { screen?: 'live' | 'still'; camera?: 'live' | 'still' };
};

type BenchWindow = {
  __bench: {
    snapshot: () => Promise<Snapshot>;
    watch: (id: string) => void;
    watchResult: (id: string) => JoinWatch | null;
    rebase: (id: string, role: 'screen' | 'camera', notBefore: number) => boolean;
    unwatch: (id: string) => void;
  };
};

export const snapshot = (page: Page) => page.evaluate(() => (window as unknown as BenchWindow).__bench.snapshot());
export const watchJoin = (page: Page, id: number) => page.evaluate((i) => (window as unknown as BenchWindow).__bench.watch(i), String(id));
export const joinResult = (page: Page, id: number) => page.evaluate((i) => (window as unknown as BenchWindow).__bench.watchResult(i), String(id));
export const rebaseJoin = (page: Page, id: number, role: 'screen' | 'camera', notBefore: number) =>
  page.evaluate(([i, r, t]) => (window as unknown as BenchWindow).__bench.rebase(i, r, t), [String(id), role, notBefore] as const);
export const unwatchJoin = (page: Page, id: number) => page.evaluate((i) => (window as unknown as BenchWindow).__bench.unwatch(i), String(id));

const median = (xs: number[]) => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const percentile = (xs: number[], p: number) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  // Nearest rank: the p95 of ten joins is the slowest but none.
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
};

const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

/**
 * The window between two snapshots: inbound video bitrate over all of the page's connections
 * (divided by the tiles on screen), and decoded frames per second per tile. A tile's rate is the
 * sum over its screen, camera and witness streams: the pictures it updates per second; per-source
 * rates are reported too. Streams not shown in any tile still count towards the bitrate.
 */
export function windowStats(a: Snapshot, b: Snapshot) {
  const seconds = (b.t - a.t) / 1000;
  const before = new Map(a.streams.map((s) => [s.key, s]));
  const owner = new Map<string, { tile: string; role: Role }>();
  for (const t of b.tiles) for (const v of t.videos) if (v.track) owner.set(v.track, { tile: t.id, role: v.role });

  let bytes = 0;
  let unmappedStreams = 0;
  let unmappedBytes = 0;
  const roleBytes: Record<Role, number> = { screen: 0, camera: 0, witness: 0 };
  const perTile = new Map<string, Record<Role | 'total', number>>();
  const sizes: Record<Role, string[]> = { screen: [], camera: [], witness: [] };
  for (const t of b.tiles) perTile.set(t.id, { total: 0, screen: 0, camera: 0, witness: 0 });
  for (const s of b.streams) {
    const prev = before.get(s.key);
    const dBytes = s.bytes - (prev?.bytes ?? 0);
    const fps = (s.frames - (prev?.frames ?? 0)) / seconds;
    bytes += dBytes;
    const o = s.track ? owner.get(s.track) : undefined;
    if (!o) {
      if (dBytes > 0) {
        unmappedStreams++;
        unmappedBytes += dBytes;
      }
      continue;
    }
    roleBytes[o.role] += dBytes;
    const tile = perTile.get(o.tile)!;
    tile.total += fps;
    tile[o.role] += fps;
    if (s.width) sizes[o.role].push(`${s.width}x${s.height}`);
  }
  const visible = b.tiles.filter((t) => t.onScreen).length;
  const stillPictures = b.tiles.reduce((n, t) => n + t.stills.length, 0);
  // A tile whose pictures decoded nothing in the window shows a still or nothing at all.
  const live = [...perTile.values()].filter((t) => t.total > 0);
  const kbps = (bytes * 8) / seconds / 1000;
  const tiles = [...perTile.values()];
  const min = (xs: number[]) => (xs.length ? Math.min(...xs) : 0);
  const mode = (xs: string[]) => {
    const counts = new Map<string, number>();
    for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
    return [...counts.entries()]
      .sort((x, y) => y[1] - x[1])
      .map(([k, n]) => `${k}×${n}`)
      .join(', ');
  };
  return {
    seconds: round(seconds, 2),
    tiles: b.tiles.length,
    tilesOnScreen: visible,
    inboundVideoStreams: b.streams.length,
    unmappedStreams,
    unmappedKbps: round((unmappedBytes * 8) / seconds / 1000),
    totalKbps: round(kbps),
    kbpsPerTile: round(kbps / Math.max(1, visible)),
    /** Per tile that decoded video in the window: a candidate's cost when some tiles are stale. */
    kbpsPerLiveTile: round(kbps / Math.max(1, live.length)),
    kbpsPerTileBySource: Object.fromEntries(ROLES.map((r) => [r, round((roleBytes[r] * 8) / seconds / 1000 / Math.max(1, visible))])) as Record<Role, number>,
    fpsMin: round(min(tiles.map((t) => t.total))),
    fpsMedian: round(median(tiles.map((t) => t.total))),
    tilesWithLiveVideo: live.length,
    stillPictures,
    fpsMinOfLiveTiles: round(min(live.map((t) => t.total))),
    fpsMedianOfLiveTiles: round(median(live.map((t) => t.total))),
    fpsBySource: Object.fromEntries(
      ROLES.map((r) => [r, { min: round(min(tiles.map((t) => t[r]))), median: round(median(tiles.map((t) => t[r]))) }]),
    ) as Record<Role, { min: number; median: number }>,
    receivedSizes: Object.fromEntries(ROLES.map((r) => [r, mode(sizes[r])])) as Record<Role, string>,
  };
}

export type WindowStats = ReturnType<typeof windowStats>;
