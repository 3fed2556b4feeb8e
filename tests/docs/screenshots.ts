/**
 * `npm run docs:screenshots`: the README's pictures (docs/screenshots/*.png), taken from the real
 * app as the journeys drive it, so that they can be taken again after the pages change.
 *
 * Starts a private stack (app on 3797, SFU on 8790-8792, database and logs under
 * tests/.artifacts/docs), seeds the demo data (db/seed.ts) and sets its 500-candidate exam
 * running now. Room 1 of that exam gets 39 simulated candidates (the exam-day simulator of
 * tests/sim, as `npm run bench:grid` uses it) and one real Chromium candidate, so that the first
 * page of the grid holds 40 live tiles. The real candidate's camera films a face (cut from the
 * installed face-api demo photos, tests/fixtures/faces.ts), also their registered photo, and the
 * screen they share shows their own exam page. Then, each role logged in through the login page: the
 * candidate's exam page, the invigilator's grid and focus view, the support agent's desk with
 * the candidate's question open, the admin's live dashboard, and the exam page once more in
 * English. Each picture is taken once the page shows what it is there to show (decoded video,
 * loaded lists); nothing waits a fixed time. Images are saved downscaled and palette-quantised.
 *
 * Environment: DOCS_SKIP_BUILD=1 reuses an existing `.next` build; SIM_NETNS=0 runs the simulated
 * candidates on the host network (the default, a network namespace, needs root). Runs under
 * `flock /tmp/e2e.lock` beside the journeys on a shared machine: it loads the CPU as they do.
 */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { cameraFrame } from '../fixtures/faces';
import { launchBrowser } from '../helpers/browser';
import { fakeCameraFile } from '../helpers/fake-camera';
import { loginAsCandidate, loginAsStaff, waitForDecodedVideo } from '../helpers/journeys';
import { buildApp, freshDb, stackProcessEnv, startStack, type StackConfig } from '../helpers/stack';
import { benchRun } from '../bench/runner';
import { waitUntil } from '../bench/poll';
import { SimFleet, simNetFromEnv } from '../sim/fleet';

const ROOT = path.join(import.meta.dirname, '..', '..');
const ARTIFACTS = path.join(ROOT, 'tests', '.artifacts', 'docs');
/** Where the README links its pictures; tests/unit/readme.test.ts checks that every link resolves. */
export const SCREENSHOTS_DIR = path.join(ROOT, 'docs', 'screenshots');
const CONFIG: StackConfig = {
  appPort: 3797,
  sfuPort: 8790,
  sfuTcpPort: 8791,
  sfuUdpPort: 8792,
  apiKey: 'docs-key',
  apiSecret: 'docs-secret-0123456789abcdef0123456789abcdef',
  artifacts: ARTIFACTS,
  dbPath: path.join(ARTIFACTS, 'docs.db'),
};
/** A laptop's screen, as the journeys use; the grid gets a larger one (see GRID_VIEWPORT). */
const VIEWPORT = { width: 1366, height: 768 };
/** Forty tiles need a desk monitor to be seen as an invigilator sees them; saved at VIEWPORT's width. */
const GRID_VIEWPORT = { width: 1920, height: 1080 };
const TILES = 40;
/** Tiles must show their pictures within this (the simulated candidates have joined before). */
const GRID_FILL_MS = 120_000;
const MIN = 60_000;
/**
 * The buttons that move a candidate through the steps before the paper (in any order). A step
 * added to the exam page needs its button here; the run fails naming the buttons it saw.
 */
const STEP_BUTTONS = ['confirm-info', 'camera-ok', 'share-screen', 'notice-read'];
const QUESTION = '考试中摄像头画面突然变黑，刷新页面后恢复了。需要重新做设备检测吗？会影响我的考试吗？';
const OTHER_QUESTIONS = [
  { category: 'content', body: '第二部分第 3 题的题干里“上述材料”指的是哪一段？' },
  { category: 'technical', body: '屏幕共享的提示框点错了，现在显示“屏幕未共享”，怎么办？' },
] as const;

const { log, stopLater, startDeadline, main } = benchRun('docs', { deadlineMs: 10 * MIN });

async function run() {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  freshDb(CONFIG.dbPath);
  const skip = process.env.DOCS_SKIP_BUILD === '1';
  log(skip ? 'DOCS_SKIP_BUILD=1: reusing .next if present' : 'building the app (next build)…');
  buildApp(CONFIG, { skip });
  startDeadline();

  const net = simNetFromEnv();
  if (net) stopLater('simulator network', () => net.remove());
  const config: StackConfig = { ...CONFIG, sfuExtraAddresses: net ? [net.hostAddress] : [] };
  // Server modules read the environment once, at import: point them at this stack first. The
  // app's data folder (setup token, secrets) stays inside the artifacts, not the demo's `.data`.
  Object.assign(process.env, stackProcessEnv(config), { DATA_DIR: path.join(ARTIFACTS, 'data') });
  const data = await import('./screenshots-data');
  const { mintCandidatePcToken, mintCandidatePhoneToken } = await import('@/server/livekit/tokens');

  log(`starting the stack: app :${config.appPort}, SFU :${config.sfuPort}`);
  const stack = await startStack(config);
  stopLater('stack', stack.stop);

  const scene = await data.prepareScene({ dbPath: config.dbPath, tiles: TILES });
  log(`exam ${scene.examId}, room ${scene.room.name} (${scene.room.id}): ${scene.simulated.length} simulated candidates and ${scene.candidate.name}`);

  const fleet = await SimFleet.start({
    sfuPort: config.sfuPort,
    net,
    log,
    tokens: async (candidateId) => ({
      pc: (await mintCandidatePcToken({ room: scene.room.livekitRoom, candidateId })).token,
      phone: (await mintCandidatePhoneToken({ room: scene.room.livekitRoom, candidateId })).token,
    }),
  });
  stopLater('simulated candidates', () => fleet.stop());
  await fleet.joinAll(scene.simulated, {
    onJoined: (n) => n % 10 === 0 && log(`  ${n} simulated candidates publishing`),
    onRetry: (id, err) => log(`  candidate ${id} failed to join (${err instanceof Error ? err.message : String(err)}); retrying`),
  });
  await data.enterSimulated({ dbPath: config.dbPath, examId: scene.examId, candidateIds: scene.simulated });

  const browser = await launchBrowser();
  stopLater('staff browser', () => browser.close());
  const shots: string[] = [];
  const save = async (page: Page, name: string) => shots.push(await savePng(page, name));

  // The candidate's own browser: its camera films a face, its shared screen shows the exam page.
  const camera = fakeCameraFile('docs-candidate', [await cameraFrame(data.CANDIDATE_FACE)]);
  const candidateBrowser = await launchBrowser({ args: [`--use-file-for-fake-video-capture=${camera}`] });
  stopLater('candidate browser', () => candidateBrowser.close());
  const candidate = await newContext(candidateBrowser, stack.appUrl, VIEWPORT);
  const screen = await sharedScreen(candidate);
  const exam = await candidate.newPage();
  log(`candidate ${scene.candidate.name}: logging in and entering the exam`);
  await loginAsCandidate(exam, scene.candidate.idNumber, scene.candidate.password);
  await openPaper(exam, scene.examId);
  await screen.show(exam, await exam.screenshot());
  await save(exam, 'candidate-exam');

  log('invigilator: the grid of 40');
  const invigilator = await newContext(browser, stack.appUrl, GRID_VIEWPORT);
  const grid = await invigilator.newPage();
  await loginAsStaff(grid, scene.invigilator, scene.password);
  await grid.goto(`/rooms/${scene.room.id}?pageSize=${TILES}`);
  await waitForGrid(grid, TILES);
  await save(grid, 'invigilator-grid');

  log('invigilator: the focus view of the real candidate');
  await grid.getByTestId(`tile-${scene.candidate.id}`).click();
  const focus = grid.getByTestId('focus-view');
  await waitForDecodedVideo(focus.locator('video[data-testid="focus-screen"]'), 30_000);
  await waitForDecodedVideo(focus.locator('video[data-testid="focus-camera"]'), 30_000);
  await save(grid, 'invigilator-focus');

  log('support agent: the desk with the candidate’s question');
  const thread = data.askForHelp({
    dbPath: config.dbPath,
    candidateId: scene.candidate.id,
    body: QUESTION,
    others: scene.bystanders,
    otherQuestions: OTHER_QUESTIONS,
  });
  const support = await newContext(browser, stack.appUrl, VIEWPORT);
  const desk = await support.newPage();
  await loginAsStaff(desk, scene.support, scene.password);
  await desk.goto('/desk');
  await desk.getByTestId(`desk-row-${thread}`).click();
  await waitUntil(
    () => textOf(desk.getByTestId('desk-chat')),
    (text) => text.includes(QUESTION.slice(0, 12)),
    20_000,
    'the desk did not show the candidate’s question',
  );
  await desk.getByTestId('desk-context').waitFor();
  await waitUntil(
    () => desk.locator('[data-testid^="context-feed-"][data-on="true"]').count(),
    (n) => n > 0,
    20_000,
    'the desk’s context did not show the candidate’s live feeds',
  );
  await save(desk, 'help-desk');

  log('admin: the live exam dashboard');
  const admin = await newContext(browser, stack.appUrl, VIEWPORT);
  const dashboard = await admin.newPage();
  await loginAsStaff(dashboard, scene.admin, scene.password);
  await dashboard.goto(`/admin/exams/${scene.examId}`);
  await dashboard.getByTestId('exam-dashboard').waitFor({ timeout: 20_000 });
  await waitUntil(
    () => dashboard.getByTestId(`dashboard-room-${scene.room.id}`).count(),
    (n) => n > 0,
    20_000,
    'the dashboard did not list the rooms',
  );
  await save(dashboard, 'admin-dashboard');

  log('candidate: the exam page in English');
  await candidate.addCookies([{ name: 'NEXT_LOCALE', value: 'en', url: stack.appUrl }]);
  await exam.reload();
  await openPaper(exam, null);
  await save(exam, 'candidate-exam-en');

  for (const ctx of [candidate, invigilator, support, admin]) await ctx.close();
  return { screenshots: shots.map((f) => ({ file: path.relative(ROOT, f), bytes: fs.statSync(f).size })) };
}

function newContext(browser: Browser, baseURL: string, viewport: { width: number; height: number }): Promise<BrowserContext> {
  return browser.newContext({ baseURL, viewport, locale: 'zh-CN', permissions: ['camera', 'microphone'] });
}

const textOf = (l: Locator) =>
  l.textContent({ timeout: 1000 }).then(
    (t) => t ?? '',
    () => '',
  );

/**
 * What the candidate shares: getDisplayMedia returns a canvas showing the picture last given to
 * `show` (at first a blank desktop), fetched by the page from a route of this context. A shared
 * screen shows the exam page itself; Chromium's fake one is a test pattern.
 */
async function sharedScreen(ctx: BrowserContext) {
  let picture: Buffer = await sharp({ create: { width: 1366, height: 768, channels: 3, background: '#1e3a5f' } })
    .png()
    .toBuffer();
  await ctx.route('**/__docs/screen.png*', (route) => route.fulfill({ body: picture, contentType: 'image/png' }));
  await ctx.addInitScript({
    content: `(() => {
      const md = navigator.mediaDevices;
      if (!md) return;
      window.__docsScreenLoads = 0;
      md.getDisplayMedia = async (constraints) => {
        const canvas = document.createElement('canvas');
        canvas.width = 1366;
        canvas.height = 768;
        const ctx = canvas.getContext('2d');
        let shown = null;
        const load = () => {
          const img = new Image();
          img.onload = () => {
            shown = img;
            window.__docsScreenLoads++;
          };
          img.src = '/__docs/screen.png?' + Date.now();
        };
        load();
        setInterval(load, 1000);
        const draw = () => {
          if (shown) ctx.drawImage(shown, 0, 0, canvas.width, canvas.height);
          requestAnimationFrame(draw);
        };
        draw();
        const f = constraints && typeof constraints.video === 'object' ? constraints.video.frameRate : undefined;
        const fps = typeof f === 'number' ? f : (f && (f.exact || f.max || f.ideal)) || 15;
        return canvas.captureStream(fps);
      };
    })();`,
  });
  return {
    /** Shares `png` from now on, once the page has loaded it. */
    async show(page: Page, png: Buffer) {
      picture = png;
      const loads = () => page.evaluate(() => (window as unknown as { __docsScreenLoads: number }).__docsScreenLoads);
      const before = await loads();
      await waitUntil(loads, (n) => n >= before + 2, 10_000, 'the shared screen did not take the new picture');
    },
  };
}

/**
 * From wherever the exam page starts (a step, the waiting room) to the paper with the
 * candidate's own camera and screen playing. `examId` null stays on the current page.
 */
async function openPaper(page: Page, examId: number | null) {
  if (examId != null) await page.goto(`/exams/${examId}`);
  const paper = page.getByTestId('answer-q1');
  const steps = STEP_BUTTONS.map((id) => page.getByTestId(id));
  const anything = steps.reduce((either, step) => either.or(step), paper);
  for (;;) {
    await anything
      .first()
      .waitFor({ timeout: 30_000 })
      .catch(async () => {
        const seen = await page.locator('button[data-testid]:visible').evaluateAll((bs) => bs.map((b) => b.getAttribute('data-testid')));
        throw new Error(`the exam page showed neither the paper nor a known step within 30 s; buttons on it: ${seen.join(', ') || 'none'}`);
      });
    if (await paper.isVisible()) break;
    for (const step of steps) {
      if (!(await step.isVisible())) continue;
      // A step's button may wait for something (the camera live) before it is enabled.
      await step.click({ timeout: 30_000 });
      await step.waitFor({ state: 'hidden', timeout: 30_000 });
      break;
    }
  }
  await waitForDecodedVideo(page.getByTestId('local-camera'), 30_000);
  await waitForDecodedVideo(page.getByTestId('local-screen'), 30_000);
  await waitUntil(
    () => page.getByTestId('source-screen_share').getAttribute('data-on'),
    (on) => on === 'true',
    30_000,
    'the exam page did not publish its screen',
  );
  // A system message that arrived meanwhile is a toast over the camera: read, it goes.
  const toasts = page.getByTestId('message-toast');
  for (let i = 0; i < 5 && (await toasts.count()) > 0; i++) {
    await toasts.first().getByRole('button').first().click();
    await waitUntil(
      () => toasts.count(),
      (n) => n === 0,
      5_000,
      null,
    );
  }
}

/**
 * Every tile of the page live with a picture, then as many pictures as the page shows: screen
 * and camera on every tile, or no new picture for 10 s (the grid keeps some off when the CPU is
 * short, as on a loaded machine).
 */
async function waitForGrid(page: Page, tiles: number) {
  const state = () =>
    page.locator('[data-testid^="tile-"][data-status]').evaluateAll((els) =>
      els.map((el) => {
        const videos = [...el.querySelectorAll('video')].filter((v) => v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 0).length;
        const stills = [...el.querySelectorAll('img')].filter((i) => i.complete && i.naturalWidth > 0).length;
        return { status: el.getAttribute('data-status'), pictures: videos + stills };
      }),
    );
  const allLive = (s: Awaited<ReturnType<typeof state>>) => s.length >= tiles && s.every((t) => t.status === 'live' && t.pictures >= 1);
  let best = 0;
  let bestAt = Date.now();
  const last = await waitUntil(
    state,
    (s) => {
      const n = s.reduce((sum, t) => sum + t.pictures, 0);
      if (n > best) [best, bestAt] = [n, Date.now()];
      return allLive(s) && (s.every((t) => t.pictures >= 2) || Date.now() - bestAt >= 10_000);
    },
    GRID_FILL_MS,
    null,
    250,
  );
  const live = last.filter((t) => t.status === 'live' && t.pictures >= 1).length;
  log(`grid: ${live} of ${tiles} tiles live with a picture, ${last.reduce((sum, t) => sum + t.pictures, 0)} pictures`);
  if (!allLive(last)) {
    await page.screenshot({ path: path.join(ARTIFACTS, 'grid-incomplete.png') });
    throw new Error(
      `the grid showed ${live} of ${tiles} tiles live with a picture within ${GRID_FILL_MS / 1000} s (tests/.artifacts/docs/grid-incomplete.png)`,
    );
  }
}

/** The viewport as a PNG at VIEWPORT's width, on a 256-colour palette: ~100-250 KB for the README. */
async function savePng(page: Page, name: string) {
  const file = path.join(SCREENSHOTS_DIR, `${name}.png`);
  // Pictures (a registered photo, a tile's still) load after the page that shows them.
  const loaded = await waitUntil(
    () => page.evaluate(() => [...document.images].filter((i) => i.getAttribute('src')).every((i) => i.complete && i.naturalWidth > 0)),
    (ok) => ok,
    10_000,
    null,
  );
  if (!loaded) log(`${name}: an image on the page had not loaded after 10 s`);
  const raw = await page.screenshot();
  fs.writeFileSync(path.join(ARTIFACTS, `${name}-full.png`), raw);
  await sharp(raw)
    .resize({ width: VIEWPORT.width, withoutEnlargement: true })
    .png({ palette: true, colours: 256, effort: 10, compressionLevel: 9 })
    .toFile(file);
  log(`saved ${path.relative(ROOT, file)} (${Math.round(fs.statSync(file).size / 1024)} KB)`);
  return file;
}

main(ARTIFACTS, run);
