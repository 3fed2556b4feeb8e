import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { RoomServiceClient } from 'livekit-server-sdk';
import { createClient, RESP_TYPES } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSfuCluster, type SfuCluster, type SfuPorts } from '@/server/livekit/cluster';
import { decodeNodeRecord, isNodeAlive, RoomPlacer } from '@/server/livekit/placement';
import { freePort, freeUdpPort, startRedis, type RedisServer } from '../helpers/redis';

/**
 * Room placement against the real thing: one redis-server and two livekit-server nodes in
 * LiveKit's distributed mode, started by the same code as `npm run dev -- --sfu-nodes 2`.
 */
const apiKey = 'placement-key';
const apiSecret = 'placement-secret-0123456789abcdef0123456789';
const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'placement-'));

let redis: RedisServer;
let cluster: SfuCluster;
let placer: RoomPlacer;
let reader: ReturnType<typeof createClient>;

const nodePorts = async (): Promise<SfuPorts> => ({
  port: await freePort(),
  tcpPort: await freePort(),
  udpPort: await freeUdpPort(),
  prometheusPort: await freePort(),
});

beforeAll(async () => {
  redis = await startRedis();
  cluster = await startSfuCluster({
    nodes: 2,
    ports: [await nodePorts(), await nodePorts()],
    redisUrl: redis.url,
    apiKey,
    apiSecret,
    // Nobody listens there: webhooks are not what this file tests.
    webhookUrl: `http://127.0.0.1:${await freePort()}/api/livekit/webhook`,
    workDir,
  });
  const nodes = cluster.nodes.map((n) => ({ name: n.name, url: n.url }));
  placer = new RoomPlacer({ nodes, redisUrl: redis.url, apiKey, apiSecret, log: () => {} });
  reader = createClient({ url: redis.url });
  await reader.connect();
  // Both nodes have registered themselves once LiveKit's node list holds two live records.
  await until(async () => (await liveRecords()).length === 2, 'both nodes registered in Redis');
}, 60_000);

afterAll(async () => {
  await placer?.close();
  if (reader?.isOpen) await reader.close();
  await cluster?.stop();
  await redis?.stop();
  fs.rmSync(workDir, { recursive: true, force: true });
});

async function until(check: () => Promise<boolean>, what: string, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function records() {
  const raw = await reader.withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer }).hVals('nodes');
  return raw.map((r) => decodeNodeRecord(r));
}
const liveRecords = async () => (await records()).filter((n) => isNodeAlive(n, Date.now()));

/** The rooms a node itself says it hosts, from its own Prometheus endpoint (livekit_room_total). */
async function roomsOnNode(name: string) {
  const node = cluster.nodes.find((n) => n.name === name)!;
  const text = await (await fetch(`http://127.0.0.1:${node.ports.prometheusPort}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('livekit_room_total{'));
  if (!line) throw new Error(`no livekit_room_total in ${name}'s metrics`);
  return Number(line.split(' ').pop());
}

const examRooms = (exam: number, n: number) => Array.from({ length: n }, (_, i) => `exam-${exam}-room-${i + 1}`);

describe('LiveKit room placement over two nodes', () => {
  it("reads LiveKit's node records: each node under its own region, serving, with fresh stats", async () => {
    const nodes = await records();
    expect(nodes.map((n) => n.region).sort()).toEqual(['sfu-1', 'sfu-2']);
    for (const n of nodes) {
      expect(n.id).toMatch(/^ND_/);
      expect(isNodeAlive(n, Date.now())).toBe(true);
      expect(n.updatedAt).toBeGreaterThan(0);
    }
  });

  it('spreads the rooms of one exam created back to back over both nodes, alternating', async () => {
    const rooms = examRooms(1, 4);
    const placed = await Promise.all(rooms.map((r) => placer.place(r)));
    expect(placed.map((p) => p.node)).toEqual(['sfu-1', 'sfu-2', 'sfu-1', 'sfu-2']);
    // The client's first URL is its room's host; the other node follows as the fallback.
    const url = (name: string) => cluster.nodes.find((n) => n.name === name)!.url;
    for (const p of placed) expect(p.urls).toEqual([url(p.node!), ...cluster.nodes.map((n) => n.url).filter((u) => u !== url(p.node!))]);
    // LiveKit agrees: its room map, and each node's own count of the rooms it runs.
    const byId = new Map((await records()).map((n) => [n.id, n.region]));
    const hosts = await reader.hmGet('room_node_map', rooms);
    expect(hosts.map((id) => byId.get(id!))).toEqual(['sfu-1', 'sfu-2', 'sfu-1', 'sfu-2']);
    await until(async () => (await roomsOnNode('sfu-1')) === 2 && (await roomsOnNode('sfu-2')) === 2, 'two rooms running on each node');
    expect(await placer.locate(rooms)).toEqual(new Map(rooms.map((r, i) => [r, i % 2 ? 'sfu-2' : 'sfu-1'])));
  });

  it('places a room already open on a live node where it is, and creates nothing twice', async () => {
    const [room] = examRooms(2, 1);
    const first = await placer.place(room!);
    const again = new RoomPlacer({ nodes: cluster.nodes, redisUrl: redis.url, apiKey, apiSecret, log: () => {} });
    try {
      expect((await again.place(room!)).node).toBe(first.node);
    } finally {
      await again.close();
    }
    const rooms = await new RoomServiceClient(cluster.nodes[0]!.url.replace('ws', 'http'), apiKey, apiSecret).listRooms([room!]);
    expect(rooms).toHaveLength(1);
  });

  it('hands out every URL (node unknown) when Redis does not answer', async () => {
    const nodes = cluster.nodes.map((n) => ({ name: n.name, url: n.url }));
    const cut = new RoomPlacer({ nodes, redisUrl: `redis://127.0.0.1:${await freePort()}`, apiKey, apiSecret, budgetMs: 500, log: () => {} });
    try {
      expect(await cut.place('exam-3-room-1')).toEqual({ node: null, urls: nodes.map((n) => n.url) });
      expect(await cut.locate(['exam-3-room-1'])).toEqual(new Map([['exam-3-room-1', null]]));
    } finally {
      await cut.close();
    }
  });

  it('after kill -9 of the node hosting a room, places that room on the surviving node', async () => {
    const rooms = examRooms(4, 2);
    const placed = await Promise.all(rooms.map((r) => placer.place(r)));
    const victim = cluster.nodes.find((n) => n.name === placed[0]!.node)!;
    const survivor = cluster.nodes.find((n) => n !== victim)!;
    const survivorRooms = await roomsOnNode(survivor.name);
    const killedAt = Date.now();
    victim.handle.process.kill('SIGKILL');
    await victim.handle.exited;

    // LiveKit itself treats a node as gone once its stats are 5 s old; placement follows it.
    let moved: Awaited<ReturnType<RoomPlacer['place']>> | null = null;
    await until(async () => {
      moved = await placer.place(rooms[0]!);
      return moved.node === survivor.name;
    }, `${rooms[0]} placed on ${survivor.name}`);
    const replacedAfterMs = Date.now() - killedAt;
    expect(moved!.urls).toEqual([survivor.url, victim.url]);
    expect((await placer.locate(rooms)).get(rooms[0]!)).toBe(survivor.name);
    // The room really runs there now, and the survivor's own rooms never moved.
    await until(async () => (await roomsOnNode(survivor.name)) === survivorRooms + 1, `${rooms[0]} running on ${survivor.name}`);
    expect((await placer.place(rooms[1]!)).node).toBe(survivor.name);
    console.log(JSON.stringify({ metric: 'placement.nodeLoss', roomPlacedOnSurvivorAfterMs: replacedAfterMs }));
  });
});
