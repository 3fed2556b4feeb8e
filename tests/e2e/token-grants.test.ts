import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '@/db/client';
import { mintCandidatePcToken, mintInvigilatorToken } from '@/server/livekit/tokens';
import { SimulatedCandidate } from '@/server/tooling/simulated-candidate';
import { makeRoomScenario } from '../fixtures/factories';
import { e2eDbPath, e2eSfuUrl } from '../helpers/e2e-env';

let db: Db;
const peers: SimulatedCandidate[] = [];

beforeAll(() => {
  db = openDb(e2eDbPath);
});

afterAll(async () => {
  for (const p of peers) await p.disconnect().catch(() => {});
  db?.$client.close();
});

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function join(token: string, autoSubscribe: boolean) {
  const peer = await new SimulatedCandidate().connect(e2eSfuUrl, token, { autoSubscribe });
  peers.push(peer);
  return peer;
}

describe('LiveKit grants enforced by the real SFU', () => {
  it("a candidate's token cannot subscribe to anyone, while an invigilator's token can", async () => {
    const { room, invigilator, candidates } = await makeRoomScenario(db, { candidates: 2 });
    const [publisher, snooper] = candidates as [NonNullable<(typeof candidates)[0]>, NonNullable<(typeof candidates)[0]>];

    const pub = await join((await mintCandidatePcToken({ room: room.livekitRoom, candidateId: publisher.id })).token, false);
    await pub.publish({ source: 'camera', width: 320, height: 240, fps: 10 });

    const cand = await join((await mintCandidatePcToken({ room: room.livekitRoom, candidateId: snooper.id })).token, true);
    const inv = await join((await mintInvigilatorToken({ room: room.livekitRoom, userId: invigilator.id, name: invigilator.name })).token, true);
    let candidateGot = 0;
    let invigilatorGot = 0;
    cand.onTrackSubscribed(() => candidateGot++);
    inv.onTrackSubscribed(() => invigilatorGot++);

    // The invigilator (control) receives the track: the set-up can subscribe at all.
    await expect.poll(() => invigilatorGot, { timeout: 15_000 }).toBeGreaterThan(0);

    // The candidate does see the publication, asks for it explicitly, and still gets nothing.
    await expect.poll(() => cand.remotePublications().length, { timeout: 10_000 }).toBeGreaterThan(0);
    for (const p of cand.remotePublications()) p.setSubscribed(true);
    await wait(3000);
    expect(candidateGot).toBe(0);
    expect(cand.remotePublications().every((p) => !p.subscribed)).toBe(true);
  });

  it("an invigilator's hidden participant is not visible to candidates", async () => {
    const { room, invigilator, candidates } = await makeRoomScenario(db, { candidates: 1 });
    const c = candidates[0]!;
    const cand = await join((await mintCandidatePcToken({ room: room.livekitRoom, candidateId: c.id })).token, false);
    await join((await mintInvigilatorToken({ room: room.livekitRoom, userId: invigilator.id, name: invigilator.name })).token, false);
    await wait(1500);
    expect([...cand.room.remoteParticipants.keys()].some((id) => id.startsWith('staff-'))).toBe(false);
  });
});
