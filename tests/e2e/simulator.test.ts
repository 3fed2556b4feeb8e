import { expect, inject, it } from 'vitest';
import { mintCandidatePcToken, mintCandidatePhoneToken } from '@/server/livekit/tokens';
import { makeRoomScenario, PASSWORD } from '../fixtures/factories';
import { E2E } from '../helpers/e2e-env';
import { useE2eSession } from '../helpers/e2e-session';
import { loginAsStaff, screenshot, videoState, waitForDecodedVideo } from '../helpers/journeys';
import { clipLayers } from '../sim/clips';
import { SimFleet } from '../sim/fleet';
import { interfaceBytes } from '../sim/netns';

const e2e = useE2eSession();

it("the simulator's candidates publish what the app expects: the grid decodes their screen, camera and witness, the focus view the top layer", async () => {
  const net = inject('simNet');
  const { room, invigilator, candidates } = await makeRoomScenario(e2e.db, { candidates: 2 });
  const fleet = await SimFleet.start({
    sfuPort: E2E.sfuPort,
    net,
    tokens: async (candidateId) => ({
      pc: (await mintCandidatePcToken({ room: room.livekitRoom, candidateId })).token,
      phone: (await mintCandidatePhoneToken({ room: room.livekitRoom, candidateId })).token,
    }),
  });
  try {
    const before = net && interfaceBytes(net.hostInterface);
    await fleet.joinAll(candidates.map((c) => c.id));

    const page = await e2e.newPage();
    await page.setViewportSize({ width: 1600, height: 900 });
    await loginAsStaff(page, invigilator.username!, PASSWORD);
    await page.goto(`/rooms/${room.id}`);
    for (const c of candidates) {
      const tile = page.getByTestId(`tile-${c.id}`);
      // The app knows each device from the SFU's webhooks: the PC's tracks and the bound phone.
      await expect.poll(() => tile.getAttribute('data-subscribed'), { timeout: 30_000 }).toMatch(/screen/);
      for (const picture of ['screen', 'camera', 'witness']) {
        const video = tile.getByTestId(`tile-${picture}`);
        await waitForDecodedVideo(video.locator('video').or(video).first(), 30_000);
      }
      await expect.poll(() => tile.getByTestId('tile-witness-unbound').count()).toBe(0);
    }
    await screenshot(page, 'simulator-grid');

    // The focus view asks for the top layer: the clip encoded at the app's own full size.
    const top = clipLayers().screen.at(-1)!;
    await page.getByTestId(`tile-${candidates[0]!.id}`).click();
    const focus = page.getByTestId('focus-screen');
    await expect
      .poll(async () => (await videoState(focus.locator('video').or(focus).first()).catch(() => ({ height: 0 }))).height, { timeout: 30_000 })
      .toBe(top.height);

    const sent = await fleet.stats();
    for (const key of ['screen.low', 'camera.low', 'witness.low', 'screen.high', 'microphone'] as const) expect(sent.sent[key].bytes, key).toBeGreaterThan(0);
    if (net && before) {
      // Media went through the test's own network: at least what the fleet counted as sent.
      const sentBytes = Object.values(sent.sent).reduce((n, c) => n + c.bytes, 0);
      expect(interfaceBytes(net.hostInterface).received - before.received).toBeGreaterThanOrEqual(sentBytes);
    }
  } finally {
    await fleet.stop();
  }
});
