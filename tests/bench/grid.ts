/**
 * `npm run bench:grid`: what the invigilator grid costs the invigilator's browser with forty
 * candidates on one page, against a plain LiveKit client that subscribes to everything and
 * against LiveKit's own adaptive stream and dynacast, on the exam-day simulator.
 *
 * Starts a private stack (app on 3297, SFU on 8080-8082, database and logs under
 * tests/.artifacts/bench) and forty simulated candidates (tests/sim: a Go process publishing
 * pre-encoded simulcast clips of the app's own layers, screen + camera + silent microphone from
 * the PC and the witness from the phone, in a network namespace of its own unless SIM_NETNS=0).
 * Then, in one run: the room page in Chromium measured from its own `getStats()`; candidates
 * leaving and coming back one at a time (first picture timed); the plain baseline page; the
 * adaptive page; the plain page again with only a few candidates; then, in a room of 200 of its
 * own, the chief's overview and a patrol with stills (tests/bench/patrol.ts). Stops everything it
 * started (also on failure, Ctrl-C, or after 25 minutes). Progress goes to stderr; the last line of
 * stdout is one JSON object (also saved as result-*.json beside the screenshots).
 *
 * Environment: BENCH_SKIP_BUILD=1 reuses an existing `.next` build; BENCH_CANDIDATES (40),
 * BENCH_JOINS (20); BENCH_PATROL_CANDIDATES (200, 0 skips the patrol); BENCH_GRID_QUERY adds query parameters to the room page's URL (e.g.
 * `videoCap=80`); SIM_NETNS=0 runs the candidates on the host network.
 */
import os from 'node:os';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { RoomServiceClient } from 'livekit-server-sdk';
import { columnsFor } from '@/components/grid/plan';
import { launchBrowser } from '../helpers/browser';
import { loginAsStaff } from '../helpers/journeys';
import { stackProcessEnv, startStack, type StackConfig } from '../helpers/stack';
import { clipLayers } from '../sim/clips';
import { SimFleet, simNetFromEnv, type FleetStats } from '../sim/fleet';
import { serveBaselinePage, type BaselineMode } from './baseline-page';
import { cpuBetween, sampleCpu } from './cpu';
import { waitUntil } from './poll';
import { benchRun, machineBusy, prepareApp } from './runner';
import { measureGlassToGlass } from './glass';
import { measurePatrol } from './patrol';
import { joinResult, PAGE_HOOKS, percentile, rebaseJoin, snapshot, unwatchJoin, watchJoin, windowStats, type Snapshot } from './page-hooks';

const ARTIFACTS = path.join(import.meta.dirname, '..', '.artifacts', 'bench');
const CONFIG: StackConfig = {
  appPort: 3297,
  sfuPort: 8080,
  sfuTcpPort: 8081,
  sfuUdpPort: 8082,
  apiKey: 'bench-key',
  apiSecret: 'bench-secret-0123456789abcdef0123456789abcdef',
  artifacts: ARTIFACTS,
  dbPath: path.join(ARTIFACTS, 'bench.db'),
};

const CANDIDATES = Number(process.env.BENCH_CANDIDATES ?? 40);
/** The chief's overview and the patrol phase (0 skips it). */
const PATROL_CANDIDATES = Number(process.env.BENCH_PATROL_CANDIDATES ?? 200);
const JOINS = Number(process.env.BENCH_JOINS ?? 20);
/** Candidates left in the room for the baseline reference (see below). */
const FEW = 5;
/** Settling ends once two 5 s bitrate samples agree within 10 %, but not before SETTLE_MS nor after the max. */
const SETTLE_MS = 15_000;
const SETTLE_MAX_MS = { grid: 30_000, baseline: 45_000, adaptive: 45_000 };
const WINDOW_MS = 10_000;
const FILL_TIMEOUT_MS = 40_000;
const JOIN_TIMEOUT_MS = 15_000;
/** The joins stop early (and say how many ran) past this, so an overloaded machine still finishes in time. */
const JOINS_BUDGET_MS = 240_000;
const DEADLINE_MS = 25 * 60_000;
const VIEWPORT = { width: 1920, height: 1080 };
const MAX_VIEWPORT_HEIGHT = 4320;
/**
 * Appended to the room page's URL: a grid that pages reads `pageSize` (one that does not ignores
 * it). Anything else the grid reads from its URL can be added with BENCH_GRID_QUERY.
 */
const GRID_QUERY = new URLSearchParams({ pageSize: String(CANDIDATES), ...Object.fromEntries(new URLSearchParams(process.env.BENCH_GRID_QUERY ?? '')) });

/** What every simulated candidate sends: the app's own layers (components/live/publish-layers.ts). */
const LAYERS = clipLayers();
const TOP = { screen: LAYERS.screen.at(-1)!, camera: LAYERS.camera.at(-1)!, witness: LAYERS.witness.at(-1)! };
/** The grid's own column count for forty at 1920x1080, so the other pages' tiles are the same size. */
const COLUMNS = columnsFor(CANDIDATES, VIEWPORT.width, VIEWPORT.height);

const { log, started, stopLater, startDeadline, main } = benchRun('bench', { deadlineMs: DEADLINE_MS });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

async function measure() {
  prepareApp(CONFIG, log);
  // The run's clock starts after the build, which is slow and not what is measured.
  startDeadline();
  const busyBefore = await machineBusy(log);

  // The candidates' own network, made before the SFU starts so that it listens on its host end.
  const net = simNetFromEnv();
  if (net) stopLater('simulator network', () => net.remove());
  const config: StackConfig = { ...CONFIG, sfuExtraAddresses: net ? [net.hostAddress] : [] };

  // Server modules read the environment once, at import: point them at this stack first.
  Object.assign(process.env, stackProcessEnv(config));
  const { openDb } = await import('@/db/client');
  const { makeRoomScenario, PASSWORD } = await import('../fixtures/factories');
  const { mintCandidatePcToken, mintCandidatePhoneToken, mintInvigilatorToken } = await import('@/server/livekit/tokens');

  log(`starting the stack: app :${config.appPort}, SFU :${config.sfuPort}`);
  const stack = await startStack(config);
  stopLater('stack', stack.stop);

  const db = openDb(config.dbPath);
  // One more candidate than the fleet's: a real browser, publishing a clock as its screen, for
  // glass-to-glass latency. Seated last, so on the grid's second page.
  const scenario = await makeRoomScenario(db, { candidates: CANDIDATES + 1 });
  db.$client.close();
  const { exam, room, invigilator } = scenario;
  const candidates = scenario.candidates.slice(0, CANDIDATES);
  const glassCandidate = scenario.candidates[CANDIDATES]!;
  log(`room ${room.id} (${room.livekitRoom}) with ${candidates.length} simulated candidates and one browser, invigilator ${invigilator.username}`);

  const fleet = await SimFleet.start({
    sfuPort: config.sfuPort,
    net,
    log,
    tokens: async (candidateId) => ({
      pc: (await mintCandidatePcToken({ room: room.livekitRoom, candidateId })).token,
      phone: (await mintCandidatePhoneToken({ room: room.livekitRoom, candidateId })).token,
    }),
  });
  stopLater('candidates', () => fleet.stop());
  const cpuRoots = { sfu: [stack.sfu.process.pid!], app: [stack.app.pid!], candidates: [fleet.pid] };
  log(
    `joining ${candidates.length} simulated candidates${net ? ` in network namespace ${net.name} (${net.fleetAddress} -> ${net.hostAddress})` : ' on the host network'}`,
  );
  await fleet.joinAll(
    candidates.map((c) => c.id),
    {
      onJoined: (n) => n % 10 === 0 && log(`  ${n} candidates publishing`),
      onRetry: (id, err) => log(`  candidate ${id} failed to join (${err instanceof Error ? err.message : String(err)}); retrying`),
    },
  );
  const layers = await publishedLayers(stack.sfuUrl, room.livekitRoom);

  const browser = await launchBrowser();
  stopLater('browser', () => browser.close());

  // The grid, as an invigilator sees it.
  log('grid: logging in as the invigilator and opening the room page');
  const gridCtx = await newContext(browser, stack.appUrl);
  const gridPage = await gridCtx.newPage();
  await loginAsStaff(gridPage, invigilator.username!, PASSWORD);
  const grid = await measurePage(gridPage, `/rooms/${room.id}?${GRID_QUERY}`, 'grid', cpuRoots, fleet);
  log('grid: timing joins');
  // Spread over the page, so the joins meet whatever the grid does with tiles at the top and at
  // the bottom of a page (live video for some, stills for others).
  const joinCount = Math.min(JOINS, candidates.length);
  const joiners = Array.from({ length: joinCount }, (_, k) => candidates[Math.floor(((k + 0.5) * candidates.length) / joinCount)]!.id);
  const joins = await measureJoins(gridPage, fleet, joiners);
  await gridCtx.close();

  log('glass-to-glass: a browser candidate whose screen is a clock, on its tile and in the focus view');
  const glass = await measureGlassToGlass({
    browser,
    appUrl: stack.appUrl,
    examId: exam.id,
    roomId: room.id,
    candidate: { id: glassCandidate.id, idNumber: glassCandidate.idNumber!, password: PASSWORD },
    invigilator: { username: invigilator.username!, password: PASSWORD },
    log,
    gridQuery: GRID_QUERY.toString(),
    screenshotDir: ARTIFACTS,
    cpuRoots,
  });

  // The same room, watched the plain way, then LiveKit's own adaptive way.
  const server = await serveBaselinePage();
  stopLater('baseline page server', () => server.close());
  const token = async () => (await mintInvigilatorToken({ room: room.livekitRoom, userId: invigilator.id, name: invigilator.name })).token;
  const watchOther = async (mode: BaselineMode) => {
    log(`${mode}: opening a subscribe-everything page (${COLUMNS} columns, like the grid)`);
    const ctx = await newContext(browser, stack.appUrl);
    const page = await ctx.newPage();
    const m = await measurePage(page, server.url(stack.sfuUrl, await token(), mode, COLUMNS), mode === 'plain' ? 'baseline' : 'adaptive', cpuRoots, fleet);
    await ctx.close();
    return m;
  };
  const baseline = await watchOther('plain');
  const adaptive = await watchOther('adaptive');

  // The plain page once more with only a few candidates in the room, joined afresh (as are the
  // page's connections), for the per-tile cost of the plain way when nothing else competes.
  log(`baseline: leaving ${FEW} candidates in the room, joined afresh`);
  const leaving = candidates.slice(FEW);
  for (let i = 0; i < leaving.length; i += 10) {
    await Promise.all(leaving.slice(i, i + 10).map((c) => bounded(fleet.leave(c.id), 15_000).catch(() => {})));
  }
  for (const c of candidates.slice(0, FEW)) {
    await bounded(fleet.leave(c.id), 15_000).catch(() => {});
    await bounded(fleet.join(c.id), JOIN_TIMEOUT_MS).catch(() => {});
  }
  const fewCtx = await newContext(browser, stack.appUrl);
  const fewPage = await fewCtx.newPage();
  await fewPage.goto(server.url(stack.sfuUrl, await token(), 'plain', COLUMNS));
  await waitUntil(
    () => snapshot(fewPage),
    (x) => x.tiles.length >= FEW,
    30_000,
    null,
  );
  const few = await measureWindow(fewPage, Date.now(), 'baseline-few', SETTLE_MAX_MS.baseline, cpuRoots, fleet, FEW, 30_000);
  await fewCtx.close();

  // Last, with a room of its own: the chief's overview and a patrol of 200 candidates. The forty
  // leave first; two hundred alone fill the machine.
  let patrol: Awaited<ReturnType<typeof measurePatrol>> | null = null;
  if (PATROL_CANDIDATES > 0) {
    await fleet.stop();
    patrol = await measurePatrol({
      browser,
      appUrl: stack.appUrl,
      sfuPort: config.sfuPort,
      net,
      dbPath: config.dbPath,
      artifacts: ARTIFACTS,
      log,
      cpuRoots: { sfu: [stack.sfu.process.pid!], app: [stack.app.pid!] },
      candidates: PATROL_CANDIDATES,
    });
  }

  const firstMs = joins.map((j) => j.firstPictureMs);
  const warnings = [
    ...(busyBefore > 50 ? [`the machine was ${busyBefore}% busy (of ${os.cpus().length * 100}%) before the run started`] : []),
    ...(net ? [] : ['SIM_NETNS=0: the simulated candidates ran on the host network']),
    ...(
      [
        ['grid', grid],
        ['baseline', baseline],
        ['adaptive', adaptive],
      ] as const
    ).flatMap(([label, m]) => {
      const out: string[] = [];
      if ((m.cpu.otherProcesses ?? 0) > 25) out.push(`${label}: other processes used ${m.cpu.otherProcesses}% of a core during the window`);
      if (m.stats.tilesOnScreen < CANDIDATES) out.push(`${label}: only ${m.stats.tilesOnScreen} of ${CANDIDATES} tiles were on screen`);
      return out;
    }),
    ...(
      [
        ['baseline', baseline.stats],
        [`baseline with ${FEW} candidates`, few.stats],
      ] as const
    ).flatMap(([label, stats]) =>
      (['screen', 'camera', 'witness'] as const).flatMap((role) => {
        // The baseline asks for HIGH: streams below the published size mean the candidates (or the
        // page's downlink estimate) did not deliver the top layer, so it cost less than it would.
        const top = TOP[role].width;
        const counts = [...stats.receivedSizes[role].matchAll(/(\d+)x\d+×(\d+)/g)].map((m) => ({ width: Number(m[1]), n: Number(m[2]) }));
        const all = counts.reduce((n, c) => n + c.n, 0);
        const atTop = counts.filter((c) => c.width >= top).reduce((n, c) => n + c.n, 0);
        return all > 0 && atTop < all * 0.9
          ? [`${label}: only ${atTop} of ${all} ${role} streams arrived at the published ${top} px width, so it is an underestimate`]
          : [];
      }),
    ),
    ...(glass.captureCalls !== 1 ? [`glass-to-glass: getDisplayMedia was called ${glass.captureCalls} times, expected once`] : []),
    ...(!glass.tile.live ? [`glass-to-glass: the tile was not live video: ${glass.tile.evidence}`] : []),
    ...(glass.focus.live && !glass.focus.highLayer ? [`glass-to-glass: the focus view did not get the HIGH layer throughout: ${glass.focus.evidence}`] : []),
    ...(joins.some((j) => j.failed)
      ? [
          `${joins.filter((j) => j.failed).length} of ${joins.length} joins showed no picture within ${JOIN_TIMEOUT_MS / 1000} s (counted as ${JOIN_TIMEOUT_MS} ms)`,
        ]
      : []),
  ];
  for (const w of warnings) log(`warning: ${w}`);
  const p = (xs: number[], q: number) => percentile(xs, q);
  const spread = (xs: number[]) => ({ p50: p(xs, 50), p95: p(xs, 95) });
  const result = {
    tiles: grid.stats.tilesOnScreen,
    kbpsPerTile: grid.stats.kbpsPerTile,
    baselineKbpsPerTile: baseline.stats.kbpsPerTile,
    ratio: round(baseline.stats.kbpsPerTile / Math.max(0.001, grid.stats.kbpsPerTile), 2),
    adaptiveKbpsPerTile: adaptive.stats.kbpsPerTile,
    ratioAdaptive: round(adaptive.stats.kbpsPerTile / Math.max(0.001, grid.stats.kbpsPerTile), 2),
    /** Of the tiles showing live video (a tile of stills decodes next to nothing by design). */
    fpsMin: grid.stats.fpsMinOfLiveTiles,
    fpsMedian: grid.stats.fpsMedianOfLiveTiles,
    fpsMinAllTiles: grid.stats.fpsMin,
    tilesWithLiveVideo: grid.stats.tilesWithLiveVideo,
    joinToFirstFrameMsP50: p(firstMs, 50),
    joinToFirstFrameMsP95: p(firstMs, 95),
    baselineFpsMin: baseline.stats.fpsMin,
    baselineFpsMedian: baseline.stats.fpsMedian,
    adaptiveFpsMin: adaptive.stats.fpsMin,
    adaptiveFpsMedian: adaptive.stats.fpsMedian,
    /** The plain way's cost per tile with only a few candidates in the room, and the grid measured against it. */
    baselineFewKbpsPerTile: few.stats.kbpsPerLiveTile,
    ratioToBaselineFew: round(few.stats.kbpsPerLiveTile / Math.max(0.001, grid.stats.kbpsPerTile), 2),
    glassToGlassMsP50: { tile: glass.tile.p50, focus: glass.focus.p50 },
    glassToGlassMsP95: { tile: glass.tile.p95, focus: glass.focus.p95 },
    patrolStillsWithin10s: patrol?.patrol.everyStillWithin10s ?? null,
    targets: {
      patrolStillsWithin10s: patrol?.patrol.everyStillWithin10s ?? null,
      glassToGlassMsP95: glass.tile.p95 != null && glass.focus.p95 != null && Math.max(glass.tile.p95, glass.focus.p95) <= 150,
      kbpsPerTile: grid.stats.kbpsPerTile <= 120,
      ratio: baseline.stats.kbpsPerTile / grid.stats.kbpsPerTile >= 5,
      // Not met by a grid that keeps most tiles as stills: nine in ten tiles must show live video.
      fpsMin: grid.stats.fpsMinOfLiveTiles >= 8 && grid.stats.tilesWithLiveVideo >= CANDIDATES * 0.9,
      joinToFirstFrameMsP95: joins.length >= 20 && p(firstMs, 95) <= 1000,
    },
    publish: {
      codec: 'vp8',
      layers: Object.fromEntries(
        Object.entries(LAYERS).map(([k, ls]) => [k, ls.map((l) => `${l.quality} ${l.width}x${l.height}@${l.fps} ${l.bitrate / 1000} kbps`)]),
      ),
      microphone: 'published, silent (an Opus silence frame every 400 ms, as with DTX)',
      layersAtSfu: layers,
      simulator: net ? `Go fleet (tests/sim) in network namespace ${net.name}` : 'Go fleet (tests/sim) on the host network',
    },
    definitions: {
      kbpsPerTile: `inbound video bytes over all of the page's peer connections, over a ${WINDOW_MS / 1000} s window, per tile on screen`,
      baselineFew: `the plain page again after all but ${FEW} candidates left, per tile that decoded video`,
      adaptive: `LiveKit's adaptive stream and dynacast on, autoSubscribe, tiles in the grid's ${COLUMNS} columns at ${VIEWPORT.width}x${VIEWPORT.height}`,
      fps: 'per tile: decoded frames per second summed over its screen, camera and witness streams (a tile showing stills decodes next to nothing); fpsBySource splits them, fpsMinOfLiveTiles/fpsMedianOfLiveTiles leave out tiles that decoded nothing',
      joinToFirstFrame: `connect() start to the first picture of the candidate on its tile: a video with videoWidth > 0 and totalVideoFrames > 0 (counted once a second frame follows), or a newly loaded still where the grid shows stills; ${joins.length} joins spread over the page; a join with nothing within ${JOIN_TIMEOUT_MS / 1000} s counts as ${JOIN_TIMEOUT_MS} ms`,
      publisherFps: 'frames per second each candidate sent to the SFU, over all layers, from the fleet’s RTP counters',
      glassToGlass:
        'per frame: drawn on a real candidate page (its screen is a canvas showing the time as a bit pattern) to presentationTime of requestVideoFrameCallback on the invigilator’s page in the same browser, for the candidate’s grid tile (LOW layer, on the grid’s second page) and its focus view (HIGH layer); a change on screen also waits for the next frame the layer sends (up to 333 ms on the 3 fps tile), not counted',
    },
    grid: {
      ...grid.stats,
      url: `/rooms/${room.id}?${GRID_QUERY}`,
      viewport: grid.viewport,
      fillMs: grid.fillMs,
      settleKbps: grid.settleKbps,
      cpuPercent: grid.cpu,
      publisherFps: grid.publisherFps,
    },
    baseline: {
      ...baseline.stats,
      viewport: baseline.viewport,
      fillMs: baseline.fillMs,
      settleKbps: baseline.settleKbps,
      cpuPercent: baseline.cpu,
      publisherFps: baseline.publisherFps,
    },
    adaptive: {
      ...adaptive.stats,
      viewport: adaptive.viewport,
      fillMs: adaptive.fillMs,
      settleKbps: adaptive.settleKbps,
      cpuPercent: adaptive.cpu,
      publisherFps: adaptive.publisherFps,
    },
    patrol,
    glassToGlass: { tile: glass.tile, focus: glass.focus, captureCalls: glass.captureCalls, clockOffsetMs: glass.clockOffsetMs },
    baselineFew: { candidates: FEW, ...few.stats, settleKbps: few.settleKbps, cpuPercent: few.cpu, publisherFps: few.publisherFps },
    joins: {
      count: joins.length,
      failed: joins.filter((j) => j.failed).length,
      firstPictureMs: { ...spread(firstMs), max: Math.max(...firstMs) },
      screenMs: spread(joins.map((j) => j.screenMs)),
      cameraMs: spread(joins.map((j) => j.cameraMs)),
      firstPictureKinds: joins.reduce<Record<string, number>>((acc, j) => ({ ...acc, [j.firstKind]: (acc[j.firstKind] ?? 0) + 1 }), {}),
      connectMs: spread(joins.map((j) => j.connectMs)),
      screenPublishedMs: spread(joins.map((j) => j.screenPublishedMs)),
      trackAtPageMs: {
        p50: p(
          joins.flatMap((j) => j.trackAtPageMs ?? []),
          50,
        ),
      },
      videoElementMs: {
        p50: p(
          joins.flatMap((j) => j.videoElementMs ?? []),
          50,
        ),
      },
      each: joins,
    },
    machine: { cores: os.cpus().length, busyBeforeStartPercent: busyBefore },
    warnings,
    runSeconds: Math.round((Date.now() - started) / 1000),
  };
  return result;
}

function newContext(browser: Browser, baseURL: string): Promise<BrowserContext> {
  return browser.newContext({ baseURL, viewport: VIEWPORT, locale: 'zh-CN' }).then(async (ctx) => {
    await ctx.addInitScript({ content: PAGE_HOOKS });
    return ctx;
  });
}

/** The simulcast layers the SFU was told about, for one candidate: what "LOW" and "HIGH" mean here. */
async function publishedLayers(sfuUrl: string, roomName: string) {
  const rs = new RoomServiceClient(sfuUrl.replace(/^ws/, 'http'), CONFIG.apiKey, CONFIG.apiSecret);
  const p = (await rs.listParticipants(roomName)).find((x) => x.attributes.role === 'candidate');
  const out: Record<string, string[]> = {};
  for (const t of p?.tracks ?? []) {
    if (t.layers.length === 0) continue;
    out[t.source === 3 ? 'screen' : t.source === 1 ? 'camera' : String(t.source)] = t.layers.map(
      (l) => `${['LOW', 'MEDIUM', 'HIGH'][l.quality] ?? l.quality} ${l.width}x${l.height} ≤${Math.round(l.bitrate / 1000)}kbps`,
    );
  }
  return out;
}

/** If the grid pages, asks for 40 per page through whatever control offers it; optional. */
async function tryFortyPerPage(page: Page) {
  const select = page.locator('select').filter({ has: page.locator('option[value="40"]') });
  if ((await select.count()) > 0) {
    await select.first().selectOption('40');
    return 'select';
  }
  const button = page
    .getByRole('button', { name: /^40$/ })
    .or(page.getByRole('radio', { name: /^40$/ }))
    .or(page.getByRole('tab', { name: /^40$/ }));
  if ((await button.count()) > 0) {
    await button.first().click();
    return 'button';
  }
  return null;
}

const decodingVideos = (s: Snapshot) => s.tiles.reduce((n, t) => n + t.videos.filter((v) => v.width > 0 && v.frames > 0).length, 0);
/** Pictures on the page: decoding videos and loaded stills. */
const shownPictures = (s: Snapshot) => decodingVideos(s) + s.tiles.reduce((n, t) => n + t.stills.length, 0);

/**
 * Opens a watching page, waits until its tiles show video (growing the viewport if the tiles
 * do not fit), lets it settle, and measures one window.
 */
async function measurePage(page: Page, url: string, label: 'grid' | 'baseline' | 'adaptive', cpuRoots: Record<string, number[]>, fleet: SimFleet) {
  const opened = Date.now();
  await page.goto(url);
  const snap = await waitUntil(
    () => snapshot(page),
    (s) => s.tiles.length > 0,
    20_000,
    `${label}: no tiles appeared`,
  );
  if (snap.tiles.length < CANDIDATES) {
    const how = await tryFortyPerPage(page);
    if (how) log(`${label}: ${snap.tiles.length} tiles; asked for 40 per page via a ${how}`);
  }
  // Every tile must be on screen: grow the viewport to the bottom of the last tile (again once
  // all have arrived, since a page may add tiles as their tracks come in).
  const viewport = { ...VIEWPORT };
  const fit = async () => {
    const s = await snapshot(page);
    const needed = Math.max(...s.tiles.map((t) => t.bottom)) + 16;
    if (needed <= viewport.height || viewport.height >= MAX_VIEWPORT_HEIGHT) return;
    viewport.height = Math.min(MAX_VIEWPORT_HEIGHT, needed);
    await page.setViewportSize(viewport);
    log(`${label}: tiles reach ${needed}px; viewport now ${viewport.width}x${viewport.height}`);
  };
  await sleep(1000);
  await fit();
  const expected = CANDIDATES * 3;
  // Filled: every tile shows both pictures (live or still), or the count stopped growing for 10 s
  // (a grid that keeps some pictures off never gets to all of them).
  let best = 0;
  let bestAt = Date.now();
  const full = await waitUntil(
    () => snapshot(page),
    (s) => {
      const n = shownPictures(s);
      if (n > best) [best, bestAt] = [n, Date.now()];
      return n >= expected || (n > 0 && Date.now() - bestAt >= 10_000);
    },
    FILL_TIMEOUT_MS,
    null,
  );
  const fillMs = Date.now() - opened;
  await fit();
  log(
    `${label}: ${full.tiles.length} tiles; after ${fillMs} ms ${decodingVideos(full)} live videos and ${shownPictures(full) - decodingVideos(full)} stills of ${expected} pictures`,
  );
  const m = await measureWindow(page, opened, label, SETTLE_MAX_MS[label], cpuRoots, fleet, CANDIDATES);
  return { ...m, viewport, fillMs };
}

/** Lets the page settle, then measures one window: the page's stats, CPU, and what the candidates sent. */
async function measureWindow(
  page: Page,
  since: number,
  label: string,
  settleMaxMs: number,
  cpuRoots: Record<string, number[]>,
  fleet: SimFleet,
  publishing: number,
  settleMinMs = SETTLE_MS,
) {
  const settleKbps = await settle(page, since, settleMaxMs, settleMinMs);
  log(`${label}: settled after ${Math.round((Date.now() - since) / 1000)} s; total kbps per 5 s ${JSON.stringify(settleKbps)}`);

  const cpuA = sampleCpu(cpuRoots);
  const sentA = await fleet.stats();
  const a = await snapshot(page);
  await sleep(WINDOW_MS);
  const b = await snapshot(page);
  const sentB = await fleet.stats();
  const cpu = cpuBetween(cpuA, sampleCpu(cpuRoots));
  const stats = windowStats(a, b);
  const publisherFps = sentFps(sentA, sentB, publishing);
  await page.screenshot({ path: path.join(ARTIFACTS, `${label}.png`) });
  log(
    `${label}: ${stats.kbpsPerTile} kbps per tile (${stats.totalKbps} kbps in ${stats.inboundVideoStreams} streams), fps per tile min ${stats.fpsMin} median ${stats.fpsMedian}, sizes ${JSON.stringify(stats.receivedSizes)}`,
  );
  log(`${label}: CPU % of one core ${JSON.stringify(cpu)}; each candidate sent ${JSON.stringify(publisherFps)} fps`);
  log(`${label}: kbps per tile by source ${JSON.stringify(stats.kbpsPerTileBySource)}, fps by source ${JSON.stringify(stats.fpsBySource)}`);
  return { stats, cpu, publisherFps, settleKbps };
}

/**
 * Takes `ids` out of the room, then brings them back one at a time, timing from the start of
 * `connect()` to the first decoded frame on their tile, as the page itself observes it.
 */
async function measureJoins(page: Page, fleet: SimFleet, ids: number[]) {
  // They leave one by one, and the room gets a few seconds to take it in: what is timed is one
  // candidate coming back, not the aftermath of ten leaving at once.
  for (const id of ids) {
    await bounded(fleet.leave(id), 12_000).catch((err: unknown) => log(`  leave of candidate ${id}: ${err instanceof Error ? err.message : String(err)}`));
  }
  await sleep(5000);
  const out = [];
  const budgetEnds = Date.now() + JOINS_BUDGET_MS;
  for (const id of ids) {
    if (Date.now() > budgetEnds) {
      log(`  joins: out of time after ${out.length} of ${ids.length}`);
      break;
    }
    await watchJoin(page, id);
    const joinedAt = Date.now();
    // A join that has not even published within the time a picture may take is a failed one.
    const timing = await bounded(fleet.join(id), JOIN_TIMEOUT_MS).catch((err: unknown) => {
      log(`  join of candidate ${id} failed: ${err instanceof Error ? err.message : String(err)}`);
      return { startedAt: joinedAt, connectMs: NaN, screenPublishedMs: NaN, cameraPublishedMs: NaN };
    });
    for (const [role, ms] of [
      ['screen', timing.screenPublishedMs],
      ['camera', timing.cameraPublishedMs],
    ] as const) {
      if (Number.isFinite(ms) && (await rebaseJoin(page, id, role, timing.startedAt + ms - 50))) {
        log(`  join of candidate ${id}: an old ${role} still showed again before the track was published; not counted`);
      }
    }
    const r = await waitUntil(
      () => joinResult(page, id),
      (x) => x?.confirmed.screen != null && x?.confirmed.camera != null,
      timing.startedAt + JOIN_TIMEOUT_MS - Date.now(),
      null,
    );
    await unwatchJoin(page, id);
    const since = (at: number | undefined) => (at == null ? null : at - timing.startedAt);
    // A live picture counts from its first frame, once a second one proved it plays.
    const shown = (role: 'screen' | 'camera') => (r?.confirmed[role] != null ? since(r.first[role]) : null);
    const screenMs = shown('screen');
    const cameraMs = shown('camera');
    const pictures = [screenMs, cameraMs].filter((x): x is number => x != null);
    const firstRole = screenMs != null && (cameraMs == null || screenMs <= cameraMs) ? 'screen' : 'camera';
    const j = {
      candidateId: id,
      firstPictureMs: pictures.length ? Math.min(...pictures) : JOIN_TIMEOUT_MS,
      firstKind: pictures.length ? `${firstRole} ${r?.kind[firstRole]}` : 'none',
      screenMs: screenMs ?? JOIN_TIMEOUT_MS,
      screenKind: r?.kind.screen ?? 'none',
      cameraMs: cameraMs ?? JOIN_TIMEOUT_MS,
      cameraKind: r?.kind.camera ?? 'none',
      connectMs: timing.connectMs,
      screenPublishedMs: timing.screenPublishedMs,
      cameraPublishedMs: timing.cameraPublishedMs,
      trackAtPageMs: since(earliest(r?.track.screen, r?.track.camera)),
      videoElementMs: since(earliest(r?.attached.screen, r?.attached.camera)),
      failed: pictures.length === 0,
    };
    log(
      `  join ${out.length + 1}/${ids.length} (candidate ${id}): first picture ${j.firstPictureMs} ms (${j.firstKind}); screen ${j.screenMs} ms ${j.screenKind}, camera ${j.cameraMs} ms ${j.cameraKind} (connected ${j.connectMs}, screen published ${j.screenPublishedMs}, first track at page ${j.trackAtPageMs}, in a video element ${j.videoElementMs})${j.failed ? ' FAILED' : ''}`,
    );
    out.push(j);
    await sleep(1000);
  }
  return out;
}

/** Frames per second each candidate sent to the SFU, per picture over all its layers, between two fleet readings. */
function sentFps(a: FleetStats, b: FleetStats, publishing: number) {
  const seconds = (b.at - a.at) / 1000;
  const fps = (picture: 'screen' | 'camera' | 'witness') =>
    round(
      (['low', 'high'] as const).reduce((n, q) => n + b.sent[`${picture}.${q}`].frames - a.sent[`${picture}.${q}`].frames, 0) /
        seconds /
        Math.max(1, publishing),
    );
  return { screen: fps('screen'), camera: fps('camera'), witness: fps('witness') };
}

/**
 * Samples the page's inbound bitrate every 5 s until it stops moving: at least `minMs` after
 * `opened` and two samples, at most `maxMs` from now.
 */
async function settle(page: Page, opened: number, maxMs: number, minMs = SETTLE_MS) {
  const started = Date.now();
  const rates: number[] = [];
  let prev = await snapshot(page);
  for (;;) {
    await sleep(5000);
    const cur = await snapshot(page);
    const k = windowStats(prev, cur).totalKbps;
    prev = cur;
    rates.push(k);
    const last = rates.at(-2);
    const stable = last !== undefined && Math.abs(k - last) <= 0.1 * Math.max(k, last);
    if ((stable && Date.now() - opened >= minMs) || Date.now() - started >= maxMs) return rates;
  }
}

/** The promise, or a rejection once `ms` have passed (the work itself goes on in the background). */
function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms / 1000} s`)), ms)));
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

function earliest(...xs: (number | undefined)[]) {
  const known = xs.filter((x): x is number => x != null);
  return known.length ? Math.min(...known) : undefined;
}

main(ARTIFACTS, measure);
