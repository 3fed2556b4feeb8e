import fs from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '@/db/client';
import { RoomPlacer } from '@/server/livekit/placement';
import { createRoom } from '@/server/services/setup';
import { makeChief, makeQuestionSheet, makeRoomScenario, PASSWORD } from '../fixtures/factories';
import { launchBrowser, newContext } from '../helpers/browser';
import { E2E } from '../helpers/e2e-env';
import { loginAsCandidate, loginAsStaff, recordMetric, screenshot, shareScreen, waitForDecodedVideo } from '../helpers/journeys';
import { serverLedger } from '../helpers/recording-ledger';
import { capturesOn, countCaptures } from '../helpers/captures';
import { freshDb, startStack, type Stack, type StackConfig } from '../helpers/stack';

/**
 * Losing an SFU node: a private copy of the stack with two livekit-server nodes sharing one
 * redis-server (LiveKit's distributed mode) and the app handing out both nodes' URLs. The node
 * hosting an exam room is killed with SIGKILL and not started again; the candidate's screen,
 * camera and microphone must come back on the invigilator's grid from the surviving node with
 * nobody clicking anything: no new screen capture, the recording going on.
 *
 * Ports (this file's own): app 3691; node i signals on 8690 + 2i (TCP) with ICE/TCP on
 * 8691 + 2i and ICE/UDP on 8690 + 2i, metrics on 8696 + 2i.
 */
const dir = path.join(E2E.artifacts, 'faults-node-loss');
const config: StackConfig = {
  appPort: 3691,
  sfuPort: 8690,
  sfuTcpPort: 8691,
  sfuUdpPort: 8690,
  sfuPrometheusPort: 8696,
  sfuPortStride: 2,
  sfuNodes: 2,
  apiKey: 'node-loss-key',
  apiSecret: 'node-loss-secret-0123456789abcdef0123456789',
  artifacts: dir,
  dbPath: path.join(dir, 'node-loss.db'),
};
const appUrl = `http://127.0.0.1:${config.appPort}`;

let stack: Stack;
let db: Db;
let browser: Browser;
let placer: RoomPlacer;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  fs.mkdirSync(dir, { recursive: true });
  freshDb(config.dbPath);
  stack = await startStack(config);
  db = openDb(config.dbPath);
  browser = await launchBrowser();
  placer = new RoomPlacer({
    nodes: stack.cluster.nodes.map((n) => ({ name: n.name, url: n.url })),
    redisUrl: stack.redis!.url,
    apiKey: config.apiKey,
    apiSecret: config.apiSecret,
    log: () => {},
  });
});

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => {});
  await browser?.close();
  await placer?.close();
  db?.$client.close();
  await stack?.stop();
});

async function newPage(init?: () => void): Promise<Page> {
  const context = await newContext(browser, appUrl);
  contexts.push(context);
  if (init) await context.addInitScript(init);
  return context.newPage();
}

/** The ledger rows of a candidate's recordings: track and arrival time of each chunk. */
function ledger(candidateId: number) {
  const { recs, chunks } = serverLedger(db, candidateId);
  const track = new Map(recs.map((r) => [r.id, r.track]));
  return chunks.map((c) => ({ track: track.get(c.recordingId)!, receivedAt: c.receivedAt.getTime() }));
}

/** Resolves with the time the condition first held, polling every 100 ms. */
async function when(check: () => Promise<boolean>, what: string, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return Date.now();
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const decoding = (page: Page, testId: string) => async () => {
  await waitForDecodedVideo(page.getByTestId(testId).locator('video').or(page.getByTestId(testId)).first(), 1500);
  return true;
};

describe('losing an SFU node', () => {
  it("brings the candidate's screen, camera and microphone back on the grid from the surviving node, without a new capture", async () => {
    const { exam, room, invigilator, candidates } = await makeRoomScenario(db, { candidates: 1, exam: { startsIn: -1, durationMinutes: 30 } });
    makeQuestionSheet(db, exam.id);
    const second = createRoom({ db, examId: exam.id, name: '第二考场' });
    const chief = await makeChief(db, exam.id);
    const c = candidates[0]!;

    // The invigilator's grid: the app places the room on a node (the first, both being empty).
    const inv = await newPage();
    await loginAsStaff(inv, invigilator.username!, PASSWORD);
    await inv.goto(`/rooms/${room.id}`);
    await expect.poll(() => inv.getByTestId('video-state').getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
    // The exam's other room, placed the way the app places it: on the node with fewer rooms.
    const other = await placer.place(second.livekitRoom);
    const host = (await placer.locate([room.livekitRoom])).get(room.livekitRoom)!;
    expect(host).toBe('sfu-1');
    expect(other.node).toBe('sfu-2');

    // The chief sees which node carries each room.
    const chiefPage = await newPage();
    await loginAsStaff(chiefPage, chief.username!, PASSWORD);
    await chiefPage.goto(`/chief/${exam.id}`);
    await expect.poll(() => chiefPage.getByTestId(`chief-room-${room.id}-node`).getAttribute('data-node'), { timeout: 15_000 }).toBe('sfu-1');
    await expect.poll(() => chiefPage.getByTestId(`chief-room-${second.id}-node`).getAttribute('data-node')).toBe('sfu-2');
    await screenshot(chiefPage, 'node-loss-chief-before');

    const cand = await newPage(countCaptures);
    await loginAsCandidate(cand, c.idNumber!, PASSWORD);
    await cand.goto(`/exams/${exam.id}`);
    await shareScreen(cand);
    for (const s of ['screen_share', 'camera', 'microphone']) {
      await expect.poll(() => cand.getByTestId(`source-${s}`).getAttribute('data-on'), { timeout: 20_000 }).toBe('true');
    }
    const tile = inv.getByTestId(`tile-${c.id}`);
    await expect.poll(() => tile.getAttribute('data-status'), { timeout: 20_000 }).toBe('live');
    await decoding(inv, 'tile-screen')();
    await decoding(inv, 'tile-camera')();
    // A chunk of each recorded track is on the server before the kill.
    await expect.poll(() => new Set(ledger(c.id).map((r) => r.track)).size, { timeout: 30_000 }).toBe(2);
    const capturedBefore = await capturesOn(cand);
    expect(capturedBefore.display).toBe(1);
    // A page that gave up on its connection asks for a fresh token: count those requests.
    const tokenRequests = { candidate: 0, grid: 0 };
    cand.on('request', (r) => void (r.url().includes('exam.enter') && tokenRequests.candidate++));
    inv.on('request', (r) => void (r.url().includes('room.watchToken') && tokenRequests.grid++));

    // Kill the node hosting the room; it stays dead.
    const victim = stack.cluster.nodes.find((n) => n.name === host)!;
    const survivor = stack.cluster.nodes.find((n) => n !== victim)!;
    const killedAt = Date.now();
    victim.handle.process.kill('SIGKILL');
    await victim.handle.exited;

    // The grid notices, then gets the candidate's pictures back through the survivor.
    await when(async () => (await inv.getByTestId('video-state').getAttribute('data-state')) !== 'connected', 'the grid to notice', 15_000);
    const screenBack = await when(decoding(inv, 'tile-screen'), 'the screen back on the grid', 60_000);
    const cameraBack = await when(decoding(inv, 'tile-camera'), 'the camera back on the grid', 60_000);
    expect((await placer.locate([room.livekitRoom])).get(room.livekitRoom)).toBe(survivor.name);
    // The microphone: the focus view subscribes to it (the grid plays no sound).
    await tile.click();
    await inv.getByTestId('focus-view').waitFor();
    const micBack = await when(
      async () => (await inv.getByTestId('focus-audio').isEnabled()) && (await inv.getByTestId('focus-audio-element').count()) > 0,
      'the microphone',
      60_000,
    );
    const capturedAfter = await capturesOn(cand);

    const result = {
      metric: 'faults.nodeLoss',
      screenBackMs: screenBack - killedAt,
      cameraBackMs: cameraBack - killedAt,
      micBackMs: micBack - killedAt,
      displayCaptures: capturedAfter.display,
      userCaptures: { before: capturedBefore.user, after: capturedAfter.user },
      tokenRequestsAfterKill: tokenRequests,
    };
    console.log(JSON.stringify(result));
    recordMetric('faults_node_loss_screen_back_ms', result.screenBackMs);
    recordMetric('faults_node_loss_camera_back_ms', result.cameraBackMs);
    recordMetric('faults_node_loss_mic_back_ms', result.micBackMs);

    // No new capture: a screen share would have needed the candidate's click, and the camera and
    // microphone the page already runs are republished as they are.
    expect(capturedAfter.display).toBe(1);
    expect(capturedAfter.user).toBe(capturedBefore.user);
    expect(Math.max(result.screenBackMs, result.cameraBackMs, result.micBackMs)).toBeLessThan(20_000);

    // The recording went on: new chunks of both tracks arrived after the kill.
    await expect
      .poll(
        () => {
          const after = ledger(c.id).filter((r) => r.receivedAt > killedAt);
          return ['screen', 'camera'].every((t) => after.filter((r) => r.track === t).length >= 2);
        },
        { timeout: 30_000 },
      )
      .toBe(true);

    await chiefPage.reload();
    await expect.poll(() => chiefPage.getByTestId(`chief-room-${room.id}-node`).getAttribute('data-node'), { timeout: 15_000 }).toBe(survivor.name);
    await screenshot(chiefPage, 'node-loss-chief-after');
  }, 180_000);
});
