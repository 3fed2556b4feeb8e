/**
 * The chief's overview and an invigilator's patrol of a 200-candidate room, as a phase another
 * bench can run on its own stack and browser (tests/bench/grid.ts) or that tests/bench/patrol-run.ts
 * runs alone.
 *
 * `measurePatrol` makes a room of its own (an exam, 200 candidates, its invigilator and a chief)
 * in the stack's database, starts a simulator fleet of its own (tests/sim) in which every
 * candidate publishes screen, camera, silent microphone and the phone's witness camera, then:
 *
 * - Chief: opens /chief/<examId> and times it until the counts show every candidate; records the
 *   page's own chiefOverview polls, replays the query to time it and to charge the app's CPU to
 *   it, and measures the page's CPU and memory over a few polls.
 * - Patrol: opens the room page at 1920x1080 with 40 per page, turns patrol on at `patrolSeconds`
 *   and watches `cycles` full rounds of page flips from inside the page (see PATROL_HOOKS): the
 *   age of every still on the visible page every 250 ms, how long after each flip every still of
 *   the new page shows a fresh picture, and each grab's stages. The renderer's CPU and memory come
 *   from /proc and from the page's DevTools metrics; one more patrol interval is profiled.
 *
 * The caller has pointed process.env at its stack (stackProcessEnv) before calling: server
 * modules read it once, on import. Progress goes to `log`; the result is a plain object.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { loginAsStaff } from '../helpers/journeys';
import { SimFleet, type FleetStats } from '../sim/fleet';
import type { SimNet } from '../sim/netns';
import { cpuBetween, sampleCpu, sampleThreads, threadsBetween } from './cpu';
import { percentile } from './page-hooks';
import { waitUntil } from './poll';
import { pageMetrics, procRssMb, procTicks, rendererOf, type Metrics } from './renderer';

export type PatrolOptions = {
  browser: Browser;
  appUrl: string;
  sfuPort: number;
  /** The namespace the stack's SFU also listens in (StackConfig.sfuExtraAddresses), or null. */
  net: SimNet | null;
  dbPath: string;
  /** Screenshots and the raw per-flip and per-grab records go here. */
  artifacts: string;
  log: (msg: string) => void;
  /** Process trees to charge CPU to besides the browser, e.g. { sfu: [pid], app: [pid] }. */
  cpuRoots?: Record<string, number[]>;
  /** The app's process, to charge the chief's queries to (defaults to cpuRoots.app). */
  appPid?: number;
  candidates?: number;
  pageSize?: number;
  patrolSeconds?: number;
  /** Full rounds of the room's pages to measure, after the first flip. */
  cycles?: number;
  /** Added to the room page's URL, e.g. "videoCap=80". */
  gridQuery?: string;
};

const VIEWPORT = { width: 1920, height: 1080 };
const TARGET_MS = 10_000;
const SAMPLE_MS = 250;
const CHIEF_WINDOW_MS = 35_000;
const CHIEF_REPLAYS = 30;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 1) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : null);
const pct = (xs: number[], p: number) => (xs.length ? percentile(xs, p) : null);
const dist = (xs: number[]) => ({ n: xs.length, p50: pct(xs, 50), p95: pct(xs, 95), max: xs.length ? Math.max(...xs) : null });

/**
 * Runs in the room page before its scripts. Plain JavaScript (tsx would wrap a TypeScript
 * function in helpers the page does not have).
 *
 * - Every blob URL's creation time (URL.createObjectURL): a still's age is now minus the moment
 *   its picture was made, whichever tile shows it and however often React re-mounts the <img>.
 * - Every 250 ms, each tile of the visible page: per picture (screen, camera, witness) a live
 *   <video>, a still <img> and the age of its picture, or nothing. A page visit starts when the
 *   grid's data-page-ids changes; at its end each picture is classed live (it showed a <video>)
 *   or still (everything else: pictures with an <img> or with nothing at all).
 * - Each grab, from the grid's store (found through React's fiber of the grid element; its
 *   `capture` method is wrapped) and from the elements grabFrame uses: start, play() of the
 *   detached <video>, frame callbacks (the accepted frame is the last before drawImage), draw,
 *   toBlob, the object URL, and the first load of that URL in an <img>.
 */
export const PATROL_HOOKS = String.raw`(() => {
  if (window.__patrol) return;
  const now = () => Date.now();
  const origin = performance.timeOrigin;
  const SLOTS = ['screen', 'camera', 'witness'];
  const TARGET = ${TARGET_MS};
  const createdAt = new Map();
  const loadedAt = new Map();
  const trackAt = new Map();
  const grabs = [];
  const openCaptures = [];
  const byVideo = new WeakMap();
  const byCanvas = new WeakMap();
  const byBlob = new WeakMap();
  const byUrl = new Map();
  const negotiations = [];
  let peerConnections = 0;

  const Orig = window.RTCPeerConnection;
  if (Orig) {
    class PatrolPeerConnection extends Orig {
      constructor(...args) {
        super(...args);
        peerConnections++;
        this.addEventListener('track', (e) => trackAt.set(e.track.id, now()));
      }
      setRemoteDescription(desc, ...rest) {
        const sdp = (desc && desc.sdp) || '';
        const n = { at: now(), type: desc && desc.type, mLines: sdp.split('\nm=').length - 1, inactive: sdp.split('a=inactive').length - 1, bytes: sdp.length };
        negotiations.push(n);
        const p = super.setRemoteDescription(desc, ...rest);
        p.then(() => (n.ms = now() - n.at), () => (n.failed = true));
        return p;
      }
    }
    window.RTCPeerConnection = PatrolPeerConnection;
  }

  const origCreate = URL.createObjectURL;
  URL.createObjectURL = function (obj) {
    const url = origCreate.call(URL, obj);
    if (obj instanceof Blob) {
      createdAt.set(url, now());
      const g = byBlob.get(obj);
      if (g) { g.urlAt = now(); byUrl.set(url, g); }
    }
    return url;
  };
  const origRevoke = URL.revokeObjectURL;
  URL.revokeObjectURL = function (url) {
    byUrl.delete(url);
    return origRevoke.call(URL, url);
  };
  document.addEventListener('load', (e) => {
    const el = e.target;
    if (!(el instanceof HTMLImageElement) || !el.src || loadedAt.has(el.src)) return;
    loadedAt.set(el.src, now());
    const g = byUrl.get(el.src);
    if (g && g.shownAt == null) g.shownAt = now();
  }, true);

  // A grab's detached <video>, met first at play() or at its first frame request, whichever comes first.
  function grabOf(video) {
    let g = byVideo.get(video);
    if (g || !(video instanceof HTMLVideoElement) || video.isConnected || !video.srcObject || !video.srcObject.getVideoTracks) return g;
    const track = video.srcObject.getVideoTracks()[0];
    const id = track ? track.id : null;
    const i = openCaptures.findIndex((c) => c.pub.track && c.pub.track.mediaStreamTrack && c.pub.track.mediaStreamTrack.id === id);
    const c = i >= 0 ? openCaptures.splice(i, 1)[0] : null;
    g = c ? c.g : { key: null, start: null, resumed: null };
    if (!c) grabs.push(g);
    g.play = now();
    g.trackAt = trackAt.get(id) ?? null;
    g.frames = 0;
    byVideo.set(video, g);
    return g;
  }
  const origPlay = HTMLMediaElement.prototype.play;
  HTMLMediaElement.prototype.play = function (...args) {
    grabOf(this);
    return origPlay.apply(this, args);
  };
  const origRvfc = HTMLVideoElement.prototype.requestVideoFrameCallback;
  if (origRvfc) {
    HTMLVideoElement.prototype.requestVideoFrameCallback = function (cb) {
      const g = grabOf(this);
      if (!g) return origRvfc.call(this, cb);
      return origRvfc.call(this, (t, meta) => {
        const at = now();
        g.frames++;
        if (g.firstFrame == null) g.firstFrame = at;
        g.lastFrame = at;
        g.lastReceive = meta && meta.receiveTime !== undefined ? origin + meta.receiveTime : null;
        cb(t, meta);
      });
    };
  }
  const origDraw = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function (src, ...rest) {
    const g = src instanceof HTMLVideoElement ? byVideo.get(src) : undefined;
    if (!g) return origDraw.call(this, src, ...rest);
    g.drawStart = now();
    g.accepted = g.lastFrame;
    g.acceptedReceive = g.lastReceive;
    const r = origDraw.call(this, src, ...rest);
    g.drawEnd = now();
    byCanvas.set(this.canvas, g);
    return r;
  };
  const origToBlob = HTMLCanvasElement.prototype.toBlob;
  HTMLCanvasElement.prototype.toBlob = function (cb, ...rest) {
    const g = byCanvas.get(this);
    if (!g) return origToBlob.call(this, cb, ...rest);
    return origToBlob.call(this, (blob) => {
      g.blobAt = now();
      g.bytes = blob ? blob.size : 0;
      if (blob) byBlob.set(blob, g);
      cb(blob);
    }, ...rest);
  };

  // The grid's media store, wrapped once found; a new one (after a reconnect) is wrapped again.
  const wrapped = new WeakSet();
  let storeFound = false;
  function findStore(grid) {
    const key = Object.keys(grid).find((k) => k.startsWith('__reactFiber$'));
    for (let f = key ? grid[key] : null; f; f = f.return) {
      for (let h = f.memoizedState; h && typeof h === 'object' && 'next' in h; h = h.next) {
        const v = h.memoizedState;
        if (v && typeof v === 'object' && typeof v.setView === 'function' && typeof v.capture === 'function') return v;
      }
    }
    return null;
  }
  function wrapStore(store) {
    if (wrapped.has(store)) return;
    wrapped.add(store);
    storeFound = true;
    const capture = store.capture;
    store.capture = function (candidateId, slot, pub) {
      const g = { key: candidateId + ':' + slot, start: now(), resumed: !!pub.isSubscribed, flip: visit ? visit.index : null };
      grabs.push(g);
      const c = { g, pub };
      openCaptures.push(c);
      const done = () => {
        g.end = now();
        const i = openCaptures.indexOf(c);
        if (i >= 0) openCaptures.splice(i, 1);
      };
      const p = capture.call(this, candidateId, slot, pub);
      p.then(done, done);
      return p;
    };
  }

  // Page visits.
  let visit = null;
  let visits = 0;
  const closed = [];
  const ageHist = { effective: new Map(), raw: new Map() };
  const bucket = (ms) => Math.floor(ms / 100);
  const addAge = (hist, ms) => hist.set(bucket(ms), (hist.get(bucket(ms)) || 0) + 1);
  function openVisit(ids, at) {
    if (visit) closed.push(closeVisit(visit, at));
    visit = { index: visits++, at, ids, slots: new Map(), caps: new Set() };
  }
  function closeVisit(v, end) {
    const fresh = [];
    let stills = 0, live = 0, samples = 0, stale = 0, blankSamples = 0, rawStale = 0, maxEffective = 0, neverFresh = 0;
    for (const s of v.slots.values()) {
      if (s.video) { live++; continue; }
      stills++;
      for (const t of s.blanks) {
        const eff = t - v.at;
        addAge(ageHist.effective, eff);
        samples++;
        blankSamples++;
        rawStale++;
        if (eff > TARGET) stale++;
        maxEffective = Math.max(maxEffective, eff);
      }
      for (const [t, made] of s.pics) {
        const eff = t - Math.max(made, v.at);
        addAge(ageHist.effective, eff);
        addAge(ageHist.raw, t - made);
        samples++;
        if (eff > TARGET) stale++;
        if (t - made > TARGET) rawStale++;
        maxEffective = Math.max(maxEffective, eff);
      }
      if (s.freshAt == null) neverFresh++;
      else fresh.push(s.freshAt - v.at);
    }
    fresh.sort((a, b) => a - b);
    return {
      index: v.index,
      at: v.at,
      ms: end - v.at,
      tiles: v.ids ? v.ids.split(',').length : 0,
      firstId: v.ids ? Number(v.ids.split(',')[0]) : null,
      liveSlots: live,
      stillSlots: stills,
      freshMs: fresh,
      neverFresh,
      allFreshMs: neverFresh ? null : fresh.length ? fresh[fresh.length - 1] : 0,
      samples,
      staleSamples: stale,
      rawStaleSamples: rawStale,
      blankSamples,
      maxEffectiveAgeMs: maxEffective,
      caps: [...v.caps],
    };
  }
  function sample() {
    const grid = document.querySelector('[data-testid="grid"]');
    if (!grid) return;
    const store = findStore(grid);
    if (store) wrapStore(store);
    const ids = grid.getAttribute('data-page-ids') || '';
    if (!ids) return;
    const t = now();
    if (!visit || ids !== visit.ids) openVisit(ids, t);
    visit.caps.add(Number(grid.getAttribute('data-cap')));
    for (const tile of grid.querySelectorAll('article[data-testid^="tile-"]')) {
      const id = tile.getAttribute('data-testid').slice(5);
      for (const slot of SLOTS) {
        const key = id + ':' + slot;
        let s = visit.slots.get(key);
        if (!s) visit.slots.set(key, (s = { video: false, blanks: [], pics: [], freshAt: null }));
        if (tile.querySelector('video[data-testid="tile-' + slot + '"]')) { s.video = true; continue; }
        const img = tile.querySelector('img[data-testid="tile-' + slot + '-still"]');
        const src = img && img.complete && img.naturalWidth > 0 ? img.src : null;
        if (!src) { s.blanks.push(t); continue; }
        const made = createdAt.get(src) ?? loadedAt.get(src) ?? t;
        s.pics.push([t, made]);
        if (s.freshAt == null && made >= visit.at) s.freshAt = loadedAt.get(src) ?? t;
      }
    }
  }
  setInterval(sample, ${SAMPLE_MS});

  window.__patrol = {
    // Finished visits and grabs since the last call; the page keeps only what is still open.
    drain() {
      const v = closed.splice(0);
      const done = [];
      for (let i = grabs.length - 1; i >= 0; i--) {
        const g = grabs[i];
        if (g.end != null || (g.start == null && g.blobAt != null) || (g.start == null && now() - g.play > 10000)) done.unshift(...grabs.splice(i, 1));
      }
      return { visits: v, grabs: done, storeFound, negotiations: negotiations.splice(0), peerConnections, open: visit ? { index: visit.index, at: visit.at } : null };
    },
    ages() {
      const out = (h) => [...h.entries()].sort((a, b) => a[0] - b[0]);
      return { effective: out(ageHist.effective), raw: out(ageHist.raw) };
    },
  };
})();`;

type Visit = {
  index: number;
  at: number;
  ms: number;
  tiles: number;
  firstId: number | null;
  liveSlots: number;
  stillSlots: number;
  freshMs: number[];
  neverFresh: number;
  allFreshMs: number | null;
  samples: number;
  staleSamples: number;
  rawStaleSamples: number;
  blankSamples: number;
  maxEffectiveAgeMs: number;
  caps: number[];
};
type Grab = {
  key: string | null;
  start: number | null;
  end?: number;
  resumed: boolean | null;
  flip?: number | null;
  play?: number;
  trackAt?: number | null;
  frames?: number;
  firstFrame?: number;
  accepted?: number;
  acceptedReceive?: number | null;
  drawStart?: number;
  drawEnd?: number;
  blobAt?: number;
  urlAt?: number;
  shownAt?: number;
  bytes?: number;
};
/** One offer or answer the page applied: how big it was and how long applying it took. */
type Negotiation = { at: number; type: string; mLines: number; inactive: number; bytes: number; ms?: number; failed?: boolean };
type Drained = {
  visits: Visit[];
  grabs: Grab[];
  storeFound: boolean;
  negotiations: Negotiation[];
  peerConnections: number;
  open: { index: number; at: number } | null;
};
type PatrolWindow = { __patrol: { drain: () => Drained; ages: () => { effective: [number, number][]; raw: [number, number][] } } };

const drain = (page: Page) => page.evaluate(() => (window as unknown as PatrolWindow).__patrol.drain());

/* ------------------------------------------------------------------ the browser's processes */

/** CPU and memory of one page between two points: its renderer process(es) from /proc, its main thread from DevTools. */
function pageCost(a: { t: number; ticks: number; m: Metrics }, b: { t: number; ticks: number; m: Metrics }, pid: number | null) {
  const s = (b.t - a.t) / 1000;
  const share = (x: number) => round((x / s) * 100);
  return {
    seconds: round(s),
    rendererCpuPercent: share((b.ticks - a.ticks) / 100),
    mainThreadBusyPercent: share((b.m.TaskDuration ?? 0) - (a.m.TaskDuration ?? 0)),
    scriptPercent: share((b.m.ScriptDuration ?? 0) - (a.m.ScriptDuration ?? 0)),
    layoutAndStylePercent: share((b.m.LayoutDuration ?? 0) - (a.m.LayoutDuration ?? 0) + (b.m.RecalcStyleDuration ?? 0) - (a.m.RecalcStyleDuration ?? 0)),
    jsHeapUsedMb: round((b.m.JSHeapUsedSize ?? 0) / 2 ** 20),
    jsHeapTotalMb: round((b.m.JSHeapTotalSize ?? 0) / 2 ** 20),
    domNodes: b.m.Nodes ?? null,
    rendererRssMb: pid ? procRssMb(pid) : null,
  };
}

const ticksOf = (pid: number | null) => (pid ? procTicks(pid) : NaN);

/** Self time per function over a sampled CPU profile of the page's main thread, busiest first. */
function topFunctions(profile: {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples?: number[];
  timeDeltas?: number[];
}) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map<string, number>();
  let total = 0;
  (profile.samples ?? []).forEach((id, i) => {
    const dt = (profile.timeDeltas?.[i] ?? 0) / 1000;
    const cf = byId.get(id)?.callFrame;
    if (!cf) return;
    const where = cf.url ? ` ${cf.url.replace(/^.*\//, '')}:${cf.lineNumber + 1}` : '';
    const key = `${cf.functionName || '(anonymous)'}${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
    total += dt;
  });
  const busy = [...self.entries()].filter(([k]) => !k.startsWith('(idle)')).reduce((n, [, ms]) => n + ms, 0);
  return {
    sampledMs: Math.round(total),
    busyMs: Math.round(busy),
    top: [...self.entries()]
      .filter(([k]) => !k.startsWith('(idle)'))
      .sort((a, b) => b[1] - a[1])
      .slice(0, 15)
      .map(([k, ms]) => ({ fn: k, ms: Math.round(ms), percentOfBusy: round((ms / Math.max(1, busy)) * 100) })),
  };
}

/* ------------------------------------------------------------------ the phase */

export async function measurePatrol(o: PatrolOptions) {
  const candidatesN = o.candidates ?? 200;
  const pageSize = o.pageSize ?? 40;
  const patrolSeconds = o.patrolSeconds ?? 30;
  const cycles = o.cycles ?? 2;
  const log = o.log;
  fs.mkdirSync(o.artifacts, { recursive: true });
  for (const f of ['chief.png', 'patrol.png', 'patrol-visits.json']) fs.rmSync(path.join(o.artifacts, f), { force: true });
  const loadBefore = fs.readFileSync('/proc/loadavg', 'utf8').trim();

  const { openDb } = await import('@/db/client');
  const { makeRoomScenario, makeChief, PASSWORD } = await import('../fixtures/factories');
  const { mintCandidatePcToken, mintCandidatePhoneToken } = await import('@/server/livekit/tokens');
  const db = openDb(o.dbPath);
  const { exam, room, invigilator, candidates } = await makeRoomScenario(db, { candidates: candidatesN });
  const chief = await makeChief(db, exam.id);
  db.$client.close();
  log(`patrol: room ${room.id} with ${candidates.length} candidates, invigilator ${invigilator.username}, chief ${chief.username}`);

  const fleet = await SimFleet.start({
    sfuPort: o.sfuPort,
    net: o.net,
    log,
    tokens: async (candidateId) => ({
      pc: (await mintCandidatePcToken({ room: room.livekitRoom, candidateId })).token,
      phone: (await mintCandidatePhoneToken({ room: room.livekitRoom, candidateId })).token,
    }),
  });
  const contexts: BrowserContext[] = [];
  try {
    const joinStarted = Date.now();
    await fleet.joinAll(
      candidates.map((c) => c.id),
      {
        concurrency: 8,
        onJoined: (n) => n % 25 === 0 && log(`patrol: ${n} candidates publishing`),
        onRetry: (id, err) => log(`patrol: candidate ${id} failed to join (${err instanceof Error ? err.message : String(err)}); retrying`),
      },
    );
    const joinSeconds = round((Date.now() - joinStarted) / 1000);
    log(`patrol: ${candidates.length} candidates joined in ${joinSeconds} s`);
    const cpuRoots = { ...o.cpuRoots, fleet: [fleet.pid] };
    const newContext = async () => {
      const ctx = await o.browser.newContext({ baseURL: o.appUrl, viewport: VIEWPORT, locale: 'zh-CN' });
      contexts.push(ctx);
      return ctx;
    };

    const chiefResult = await measureChief({ ...o, newContext, examId: exam.id, username: chief.username!, password: PASSWORD, total: candidates.length });

    const ctx = await newContext();
    await ctx.addInitScript({ content: PATROL_HOOKS });
    const patrolResult = await measureGrid({
      ...o,
      ctx,
      roomId: room.id,
      username: invigilator.username!,
      password: PASSWORD,
      pageSize,
      patrolSeconds,
      cycles,
      total: candidates.length,
      cpuRoots,
      fleet,
    });
    return {
      candidates: candidates.length,
      joinSeconds,
      chief: chiefResult,
      patrol: patrolResult,
      machine: { loadavgBefore: loadBefore, loadavgAfter: fs.readFileSync('/proc/loadavg', 'utf8').trim() },
      definitions: {
        stillAge:
          'now minus the moment the picture was made (its blob URL was created, which is when the grab ended), sampled every 250 ms for every still picture of the visible page, from inside the page',
        effectiveAge:
          'the same, but counted from the page flip at the latest: a picture made before the page came up counts as made at the flip, and a still picture with nothing in it counts from the flip; the target is an effective age of at most 10 s',
        staleShare:
          'share of those samples whose effective age was over 10 s (rawStaleShare: whose real age was, pictures carried over from an earlier visit included)',
        stillSlot: 'a picture of the visible page that showed no <video> during the visit (an <img data-testid="tile-*-still"> or nothing)',
        freshAfterFlip:
          'per still picture, from the flip (the grid’s data-page-ids changing) to the first load of a picture made after the flip; allFreshMs is the slowest of the page',
        grabStages:
          'from the grid store’s capture() (wrapped through React’s fiber): start -> play() of the detached video (subscribe, for a first grab) -> first frame callback -> accepted frame (the last callback before drawImage) -> drawImage -> toBlob -> object URL -> first <img> load of that URL; resumed = the track was already subscribed (paused) when the grab started',
        pageCpu:
          'rendererCpuPercent: the page’s renderer process(es) from /proc (all threads: main, compositor, WebRTC, media decode), % of one core; mainThreadBusyPercent: DevTools Performance.getMetrics TaskDuration over the window; memory: JSHeapUsedSize and the renderer’s VmRSS at the end',
        chiefServerMs:
          'wall time of the chiefOverview query replayed over loopback (tRPC, auth, query, superjson), one at a time; appCpuMsPerQuery: the app process’s CPU time over the replays divided by their number',
      },
    };
  } finally {
    for (const c of contexts) await c.close().catch(() => {});
    await fleet.stop().catch((err: unknown) => log(`patrol: stopping the fleet failed: ${String(err)}`));
  }
}

async function measureChief(
  o: PatrolOptions & { newContext: () => Promise<BrowserContext>; examId: number; username: string; password: string; total: number },
) {
  const { log } = o;
  const ctx = await o.newContext();
  const login = await ctx.newPage();
  await loginAsStaff(login, o.username, o.password);
  await login.close();
  const url = `/chief/${o.examId}`;
  const page = await ctx.newPage();
  const polls: { at: number; serverMs: number; totalMs: number; bytes: number }[] = [];
  let queryUrl: string | null = null;
  page.on('requestfinished', (req) => {
    if (!req.url().includes('chiefOverview')) return;
    queryUrl ??= req.url();
    const t = req.timing();
    void req
      .sizes()
      .then((s) =>
        polls.push({ at: Date.now(), serverMs: round(t.responseStart - t.requestStart)!, totalMs: round(t.responseEnd)!, bytes: s.responseBodySize }),
      )
      .catch(() => {});
  });
  const t0 = Date.now();
  await page.goto(url);
  const loaded = await page
    .waitForFunction(
      (total) => {
        const counts = ['notJoined', 'live', 'problem', 'finished'].map((k) =>
          Number(document.querySelector(`[data-testid="chief-total-${k}"]`)?.getAttribute('data-count') ?? NaN),
        );
        return counts.every(Number.isFinite) && counts.reduce((a, b) => a + b, 0) === total ? counts : null;
      },
      o.total,
      { timeout: 30_000, polling: 50 },
    )
    .then((h) => h.jsonValue());
  const loadMs = Date.now() - t0;
  const nav = await page.evaluate(() => {
    const n = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    return n
      ? { responseStartMs: Math.round(n.responseStart), domContentLoadedMs: Math.round(n.domContentLoadedEventEnd), loadEventMs: Math.round(n.loadEventEnd) }
      : null;
  });
  // Live should reach the whole room once the webhooks of every join are in.
  const settled = await page
    .waitForFunction((total) => Number(document.querySelector('[data-testid="chief-total-live"]')?.getAttribute('data-count')) === total, o.total, {
      timeout: 30_000,
      polling: 500,
    })
    .then(() => true)
    .catch(() => false);
  const counts = await page.evaluate(() =>
    Object.fromEntries(
      ['notJoined', 'live', 'problem', 'finished'].map((k) => [
        k,
        Number(document.querySelector(`[data-testid="chief-total-${k}"]`)?.getAttribute('data-count')),
      ]),
    ),
  );
  log(`chief: counts shown ${loadMs} ms after goto (${JSON.stringify(loaded)}); now ${JSON.stringify(counts)}${settled ? '' : ' (not every candidate live)'}`);

  const pid = await rendererOf(o.browser, page);
  if (!pid) log('chief: cannot tell which renderer process is the page; no process CPU for it');
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Performance.enable');
  const a = { t: Date.now(), ticks: ticksOf(pid), m: await pageMetrics(cdp) };
  const pollsBefore = polls.length;
  await sleep(CHIEF_WINDOW_MS);
  const b = { t: Date.now(), ticks: ticksOf(pid), m: await pageMetrics(cdp) };
  const cost = pageCost(a, b, pid);
  const windowPolls = polls.slice(pollsBefore);
  log(`chief: ${windowPolls.length} polls in ${cost.seconds} s; page ${JSON.stringify(cost)}`);
  await page.screenshot({ path: path.join(o.artifacts, 'chief.png') });

  // The query alone, one at a time, with the page's cookie: what each poll costs the server.
  let replay = null;
  if (queryUrl) {
    const appPid = o.appPid ?? o.cpuRoots?.app?.[0];
    const times: number[] = [];
    const cpuA = appPid ? sampleCpu({ app: [appPid] }) : null;
    let bytes = 0;
    for (let i = 0; i < CHIEF_REPLAYS; i++) {
      const s = performance.now();
      const res = await page.request.get(queryUrl);
      const body = await res.body();
      times.push(performance.now() - s);
      bytes = body.length;
      if (!res.ok()) throw new Error(`chiefOverview replay: HTTP ${res.status()}`);
    }
    const cpu = cpuA ? cpuBetween(cpuA, sampleCpu({ app: [appPid!] })) : null;
    const seconds = cpuA ? (Date.now() - cpuA.at) / 1000 : 0;
    replay = {
      queries: CHIEF_REPLAYS,
      ms: { p50: round(pct(times, 50)!), p95: round(pct(times, 95)!), max: round(Math.max(...times)) },
      responseBytes: bytes,
      appCpuMsPerQuery: cpu ? round(((cpu.app ?? 0) / 100) * seconds * (1000 / CHIEF_REPLAYS)) : null,
    };
    log(`chief: chiefOverview replayed ${CHIEF_REPLAYS}×: ${JSON.stringify(replay)}`);
  }
  await cdp.detach();
  await ctx.close();
  return {
    url,
    loadMs,
    navigation: nav,
    countsAtLoad: loaded,
    counts,
    everyCandidateLive: settled,
    page: cost,
    polls: { inWindow: windowPolls.length, serverMs: dist(windowPolls.map((p) => p.serverMs)), responseBytes: windowPolls.at(-1)?.bytes ?? null },
    replay,
  };
}

async function measureGrid(
  o: PatrolOptions & {
    ctx: BrowserContext;
    roomId: number;
    username: string;
    password: string;
    pageSize: number;
    patrolSeconds: number;
    cycles: number;
    total: number;
    cpuRoots: Record<string, number[]>;
    fleet: SimFleet;
  },
) {
  const { log, ctx } = o;
  const login = await ctx.newPage();
  await loginAsStaff(login, o.username, o.password);
  await login.close();
  const query = new URLSearchParams({ pageSize: String(o.pageSize), ...Object.fromEntries(new URLSearchParams(o.gridQuery ?? '')) });
  const url = `/rooms/${o.roomId}?${query}`;
  const page = await ctx.newPage();
  // The SDK says on the console when it loses and rebuilds its connection; counted by message.
  const consoleMessages = new Map<string, number>();
  page.on('console', (m) => {
    if (m.type() !== 'warning' && m.type() !== 'error') return;
    const key = `${m.type()}: ${m.text().replace(/\d+/g, 'N').slice(0, 100)}`;
    consoleMessages.set(key, (consoleMessages.get(key) ?? 0) + 1);
  });
  const opened = Date.now();
  await page.goto(url);
  await page.waitForFunction((n) => document.querySelectorAll('article[data-testid^="tile-"]').length >= n, Math.min(o.pageSize, o.total), {
    timeout: 30_000,
  });
  const pid = await rendererOf(o.browser, page);
  const pages = Number(await page.getByTestId('page-indicator').getAttribute('data-pages'));
  log(`patrol: room page up after ${Date.now() - opened} ms, ${pages} pages of ${o.pageSize}; renderer ${pid ?? 'unknown'}`);
  await page.getByTestId('patrol-interval').selectOption(String(o.patrolSeconds));
  await page.getByTestId('patrol-toggle').click();
  const patrolOn = Date.now();
  const before = (await drain(page)).open?.index ?? -1;

  const visits: Visit[] = [];
  const grabs: Grab[] = [];
  let storeFound = false;
  const negotiations: Negotiation[] = [];
  let peerConnections = 0;
  const pull = async () => {
    const d = await drain(page);
    visits.push(...d.visits);
    grabs.push(...d.grabs);
    storeFound ||= d.storeFound;
    negotiations.push(...d.negotiations);
    peerConnections = d.peerConnections;
    for (const v of d.visits) {
      log(
        `patrol: visit ${v.index} (page from candidate ${v.firstId}) ${Math.round(v.ms / 1000)} s: ${v.liveSlots} live, ${v.stillSlots} stills; all fresh after ${v.allFreshMs ?? `never (${v.neverFresh} never)`} ms, p50 ${pct(v.freshMs, 50)} ms; stale ${round((v.staleSamples / Math.max(1, v.samples)) * 100)}% of samples; cap ${v.caps.join('/')}`,
      );
    }
    return d;
  };
  // The page that was up before the patrol started is not a flip: measuring starts at the first one.
  const firstFlip = await waitUntil(
    async () => (await pull()).open,
    (x) => x != null && x.index > before,
    o.patrolSeconds * 1000 + 15_000,
    null,
    500,
  );
  if (!firstFlip || firstFlip.index <= before) throw new Error('patrol: the page did not flip');
  const measuredFrom = firstFlip.index;
  log(`patrol: first flip ${firstFlip.at - patrolOn} ms after patrol on; measuring ${o.cycles} rounds of ${pages} pages`);

  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Performance.enable');
  const cpuA = sampleCpu(o.cpuRoots);
  const threadsA = pid ? sampleThreads(pid) : null;
  const a = { t: Date.now(), ticks: ticksOf(pid), m: await pageMetrics(cdp) };
  const statsA = await o.fleet.stats();
  const heap: number[] = [];
  const rss: number[] = [];
  const lastIndex = measuredFrom + o.cycles * pages;
  let shot = false;
  const windowEnds = Date.now() + (o.cycles * pages + 1) * o.patrolSeconds * 1000 + 30_000;
  for (;;) {
    await sleep(5000);
    const d = await pull();
    const m = await pageMetrics(cdp);
    heap.push(m.JSHeapUsedSize ?? 0);
    if (pid) rss.push(procRssMb(pid) ?? 0);
    // A picture of the last measured page well into its visit: what the invigilator sees.
    if (!shot && d.open && d.open.index >= Math.max(measuredFrom, lastIndex - 1) && Date.now() - d.open.at > Math.min(12_000, o.patrolSeconds * 500)) {
      await page.screenshot({ path: path.join(o.artifacts, 'patrol.png') });
      shot = true;
    }
    if ((d.open && d.open.index >= lastIndex) || Date.now() > windowEnds) break;
  }
  const b = { t: Date.now(), ticks: ticksOf(pid), m: await pageMetrics(cdp) };
  const statsB = await o.fleet.stats();
  const cpu = cpuBetween(cpuA, sampleCpu(o.cpuRoots));
  const threads = threadsA && pid ? threadsBetween(threadsA, sampleThreads(pid), 10) : null;
  const cost = pageCost(a, b, pid);
  log(`patrol: page ${JSON.stringify(cost)}; CPU by process ${JSON.stringify(cpu)}`);
  const ages = await page.evaluate(() => (window as unknown as PatrolWindow).__patrol.ages());

  // One more patrol interval, profiled (after the window, so the profiler's cost is not in it).
  await cdp.send('Profiler.enable');
  await cdp.send('Profiler.setSamplingInterval', { interval: 1000 });
  await cdp.send('Profiler.start');
  await sleep(o.patrolSeconds * 1000);
  const { profile } = (await cdp.send('Profiler.stop')) as { profile: Parameters<typeof topFunctions>[0] };
  const prof = topFunctions(profile);
  log(`patrol: profile of ${prof.sampledMs} ms: main thread busy ${prof.busyMs} ms; top ${JSON.stringify(prof.top.slice(0, 6))}`);
  await pull();
  await cdp.detach();

  const measured = visits.filter((v) => v.index >= measuredFrom && v.index < lastIndex);
  const stillSlots = measured.map((v) => v.stillSlots);
  const fresh = measured.flatMap((v) => v.freshMs);
  const neverFresh = measured.reduce((n, v) => n + v.neverFresh, 0);
  const samples = measured.reduce((n, v) => n + v.samples, 0);
  const staleSamples = measured.reduce((n, v) => n + v.staleSamples, 0);
  const rawStale = measured.reduce((n, v) => n + v.rawStaleSamples, 0);
  const histPct = (h: [number, number][], p: number) => {
    const n = h.reduce((s, [, c]) => s + c, 0);
    let acc = 0;
    for (const [b100, c] of h) {
      acc += c;
      if (acc >= (p / 100) * n) return b100 * 100;
    }
    return null;
  };
  const measuredNegotiations = negotiations.filter((n) => n.at >= firstFlip.at && n.at < b.t);
  const measuredGrabs = grabs.filter((g) => g.start != null && g.start >= firstFlip.at && g.start < b.t);
  const stages = grabStages(measuredGrabs);
  const windowS = (b.t - a.t) / 1000;
  const busyGrabMs = measuredGrabs.reduce((n, g) => n + ((g.end ?? b.t) - g.start!), 0);
  const sent = (s: FleetStats) => s.sent;
  const kbps = (key: keyof FleetStats['sent']) => round(((sent(statsB)[key].bytes - sent(statsA)[key].bytes) * 8) / windowS / 1000);
  fs.writeFileSync(path.join(o.artifacts, 'patrol-visits.json'), JSON.stringify({ visits, grabs, negotiations }, null, 1));
  return {
    url,
    pages,
    patrolSeconds: o.patrolSeconds,
    measuredVisits: measured.length,
    storeFound,
    stillsPerPage: dist(stillSlots),
    livePerPage: dist(measured.map((v) => v.liveSlots)),
    caps: [...new Set(measured.flatMap((v) => v.caps))],
    everyStillWithin10s: neverFresh === 0 && fresh.every((ms) => ms <= TARGET_MS) && staleSamples === 0,
    afterFlip: {
      allFreshMs: measured.map((v) => v.allFreshMs),
      perStillMs: dist(fresh),
      freshWithin10sShare: round(fresh.filter((ms) => ms <= TARGET_MS).length / Math.max(1, fresh.length + neverFresh), 3),
      neverFreshDuringVisit: neverFresh,
    },
    age: {
      samples,
      staleShare: round(staleSamples / Math.max(1, samples), 3),
      rawStaleShare: round(rawStale / Math.max(1, samples), 3),
      blankSamples: measured.reduce((n, v) => n + v.blankSamples, 0),
      effectiveMs: {
        p50: histPct(ages.effective, 50),
        p95: histPct(ages.effective, 95),
        p99: histPct(ages.effective, 99),
        max: Math.max(0, ...measured.map((v) => v.maxEffectiveAgeMs)),
      },
      rawMs: { p50: histPct(ages.raw, 50), p95: histPct(ages.raw, 95) },
    },
    grabs: {
      count: measuredGrabs.length,
      perSecond: round(measuredGrabs.length / windowS, 2),
      meanInFlight: round(busyGrabMs / 1000 / windowS, 2),
      ...stages,
    },
    negotiations: {
      count: measuredNegotiations.length,
      failed: measuredNegotiations.filter((n) => n.failed).length,
      applyMs: dist(measuredNegotiations.flatMap((n) => (n.ms != null ? [n.ms] : []))),
      mLines: dist(measuredNegotiations.map((n) => n.mLines)),
      inactiveMLines: dist(measuredNegotiations.map((n) => n.inactive)),
      sdpKb: dist(measuredNegotiations.map((n) => Math.round(n.bytes / 1024))),
    },
    peerConnections,
    consoleMessages: Object.fromEntries([...consoleMessages.entries()].sort((x, y) => y[1] - x[1]).slice(0, 15)),
    page: { ...cost, jsHeapUsedMbMax: round(Math.max(...heap) / 2 ** 20), rendererRssMbMax: rss.length ? round(Math.max(...rss)) : null },
    rendererThreads: threads,
    cpuPercentByProcess: cpu,
    mainThreadProfile: prof,
    fleetSentKbps: Object.fromEntries((Object.keys(statsB.sent) as (keyof FleetStats['sent'])[]).map((k) => [k, kbps(k)])),
  };
}

/** Where a grab's time goes, stage by stage (ms; p50/p95/max), split into first grabs of a visit and refreshes. */
function grabStages(grabs: Grab[]) {
  const stage = (gs: Grab[], from: keyof Grab, to: keyof Grab) =>
    dist(gs.flatMap((g) => (typeof g[from] === 'number' && typeof g[to] === 'number' ? [(g[to] as number) - (g[from] as number)] : [])));
  const of = (gs: Grab[]) => ({
    n: gs.length,
    failed: gs.filter((g) => g.urlAt == null).length,
    total: stage(gs, 'start', 'end'),
    toPlay: stage(gs, 'start', 'play'),
    toFirstFrame: stage(gs, 'play', 'firstFrame'),
    toAcceptedFrame: stage(gs, 'firstFrame', 'accepted'),
    acceptedFrameReceivedToCallback: stage(gs, 'acceptedReceive', 'accepted'),
    startToAcceptedFrameReceived: stage(gs, 'start', 'acceptedReceive'),
    draw: stage(gs, 'drawStart', 'drawEnd'),
    toBlob: stage(gs, 'drawEnd', 'blobAt'),
    urlToShown: stage(gs, 'urlAt', 'shownAt'),
    framesSeen: dist(gs.map((g) => g.frames ?? 0)),
    jpegBytes: dist(gs.flatMap((g) => (g.bytes ? [g.bytes] : []))),
  });
  return { resumed: of(grabs.filter((g) => g.resumed)), subscribed: of(grabs.filter((g) => g.resumed === false)) };
}
