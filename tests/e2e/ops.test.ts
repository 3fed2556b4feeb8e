import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { openDb } from '@/db/client';
import { mintCandidatePcToken } from '@/server/livekit/tokens';
import { startSfu } from '@/server/livekit/sfu';
import { SimulatedCandidate } from '@/server/tooling/simulated-candidate';
import { makeRoomScenario, PASSWORD } from '../fixtures/factories';
import { launchBrowser, newContext } from '../helpers/browser';
import { E2E, e2eAppUrl, e2eDbPath, e2eSfuUrl } from '../helpers/e2e-env';
import { loginAsStaff, screenshot } from '../helpers/journeys';
import { freshDb, startStack, type Stack } from '../helpers/stack';

/** `name{labels} value` lines of a Prometheus exposition, by `name{labels}`. */
const samplesOf = (text: string) =>
  new Map(
    text
      .split('\n')
      .filter((l) => l && !l.startsWith('#'))
      .map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))] as const),
  );

const scrape = async () => {
  const res = await fetch(`${e2eAppUrl}/api/metrics`);
  expect(res.status).toBe(200);
  return samplesOf(await res.text());
};

describe('health, readiness and metrics of the running app', () => {
  const sims: SimulatedCandidate[] = [];
  afterAll(async () => {
    for (const s of sims) await s.disconnect().catch(() => {});
  });

  it('a load balancer gets health and readiness without a login; metrics from this machine count a candidate joining through LiveKit’s webhook', async () => {
    const health = await fetch(`${e2eAppUrl}/api/health`);
    expect([health.status, await health.json()]).toEqual([200, { status: 'ok' }]);
    const ready = await fetch(`${e2eAppUrl}/api/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ready', checks: { database: { ok: true }, livekit: { ok: true } } });

    const before = await scrape();
    for (const name of [
      'exam_live_streams',
      'nodejs_eventloop_lag_p99_seconds',
      'exam_flags_raised_total{kind="left_room"}',
      'exam_upload_backlog_bytes{track="screen"}',
    ]) {
      expect(before.has(name), name).toBe(true);
    }
    const db = openDb(e2eDbPath);
    try {
      const { room, candidates } = await makeRoomScenario(db, { candidates: 1 });
      const token = await mintCandidatePcToken({ room: room.livekitRoom, candidateId: candidates[0]!.id });
      sims.push(await new SimulatedCandidate().connect(e2eSfuUrl, token.token));
    } finally {
      db.$client.close();
    }
    // The webhook route's observation shows in the metrics route: one registry per process.
    const delays = 'exam_livekit_webhook_delay_seconds_count';
    await expect.poll(async () => (await scrape()).get(delays), { timeout: 20_000 }).toBeGreaterThan(before.get(delays)!);
    expect((await scrape()).get('exam_candidates_connected{device="pc"}')).toBeGreaterThanOrEqual(1);
  });
});

/**
 * The invigilator's warning needs an SFU this test may kill: a private stack of the same build
 * on this file's own ports (app 3591, SFU 8590-8592).
 */
describe('the invigilator console when the media server goes away', () => {
  const dir = path.join(E2E.artifacts, 'ops-banner');
  const config = {
    appPort: 3591,
    sfuPort: 8590,
    sfuTcpPort: 8591,
    sfuUdpPort: 8592,
    apiKey: E2E.apiKey,
    apiSecret: E2E.apiSecret,
    artifacts: dir,
    dbPath: path.join(dir, 'ops.db'),
  };
  let stack: Stack | undefined;
  let restarted: Awaited<ReturnType<typeof startSfu>> | undefined;
  let browser: Browser | undefined;
  afterAll(async () => {
    await browser?.close();
    await restarted?.stop();
    await stack?.stop();
  });

  it('shows “media server unreachable” while the SFU is down and clears by itself once it is back', async () => {
    fs.mkdirSync(dir, { recursive: true });
    freshDb(config.dbPath);
    const db = openDb(config.dbPath);
    const { room, invigilator } = await makeRoomScenario(db, { candidates: 2 });
    db.$client.close();
    stack = await startStack(config);
    browser = await launchBrowser();
    const page = await (await newContext(browser, stack.appUrl)).newPage();
    await loginAsStaff(page, invigilator.username!, PASSWORD);
    await page.goto(`/rooms/${room.id}`);
    await expect.poll(() => page.getByTestId('video-state').getAttribute('data-state'), { timeout: 20_000 }).toBe('connected');
    const banner = page.getByTestId('media-server-banner');
    expect(await banner.count()).toBe(0);

    // As on an exam day: the SFU process dies (kill -9), nothing is said to anyone.
    stack.sfu.process.kill('SIGKILL');
    // The page's own connection notices first (reconnecting) unless its next poll of the app
    // comes sooner; the poll (every 10 s, answer cached 2 s) then says the server is down.
    const seen = new Set<string | null>();
    await expect
      .poll(
        async () => {
          const state = await banner.getAttribute('data-state', { timeout: 1000 }).catch(() => null);
          if (state === 'reconnecting' && !seen.has(state)) await screenshot(page, 'console-media-reconnecting');
          seen.add(state);
          return state;
        },
        { timeout: 30_000 },
      )
      .toBe('down');
    expect(await banner.textContent()).toContain('媒体服务器无法连接');
    await screenshot(page, 'console-media-server-down');
    // The same in English, after a reload during the outage: the page asks at once.
    await page.context().addCookies([{ name: 'NEXT_LOCALE', value: 'en', url: stack.appUrl }]);
    await page.reload();
    await expect.poll(() => banner.textContent().catch(() => null), { timeout: 20_000 }).toBe('Media server unreachable — video may be interrupted');
    await screenshot(page, 'console-media-server-down-en');

    restarted = await startSfu({ ...stackSfuOptions(config, stack.appUrl), workDir: path.join(dir, 'sfu') });
    await expect.poll(() => banner.count(), { timeout: 60_000 }).toBe(0);
    await expect.poll(() => page.getByTestId('video-state').getAttribute('data-state'), { timeout: 60_000 }).toBe('connected');
    await screenshot(page, 'console-media-server-back');
  });
});

function stackSfuOptions(c: { apiKey: string; apiSecret: string; sfuPort: number; sfuTcpPort: number; sfuUdpPort: number }, appUrl: string) {
  return {
    apiKey: c.apiKey,
    apiSecret: c.apiSecret,
    port: c.sfuPort,
    tcpPort: c.sfuTcpPort,
    udpPort: c.sfuUdpPort,
    webhookUrl: `${appUrl}/api/livekit/webhook`,
  };
}
