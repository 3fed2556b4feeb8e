import { RoomServiceClient } from 'livekit-server-sdk';
import { createClient, RESP_TYPES } from 'redis';
import { env, livekitNodes, livekitRedisUrl, type LivekitNode } from '../env';

/**
 * Which LiveKit node hosts an exam room, and putting it on one that is alive.
 *
 * In LiveKit's distributed mode a room lives on one node; a client may connect to any node, but
 * the node it connects to only relays its signalling to the room's node, so a client is best sent
 * straight there, and must be sent elsewhere when that node is gone. LiveKit keeps what we need in
 * the Redis the nodes share (pkg/routing/redisrouter.go, v1.13.5): the hash `nodes` (node id ->
 * livekit.Node protobuf, rewritten every couple of seconds with fresh stats) and the hash
 * `room_node_map` (room name -> node id).
 *
 * LiveKit's own choice of node follows stats that refresh every few seconds, so a burst of room
 * creations (an exam starting) lands on one node. Rooms are therefore created here, one at a time,
 * with an explicit node id (CreateRoomRequest.node_id), on the live node hosting the fewest rooms
 * according to `room_node_map`, which LiveKit writes before CreateRoom returns.
 */

/** The fields of livekit.Node (livekit_internal.proto, protocol v1.50) that placement reads. */
export type NodeRecord = {
  id: string;
  /** The node's `region` in its config: the name it has in LIVEKIT_URLS (`sfu-1`). */
  region: string;
  state: number;
  /** stats.updated_at, unix seconds; 0 when the record has no stats yet. */
  updatedAt: number;
  numRooms: number;
};

/** livekit.NodeState.SERVING */
const NODE_SERVING = 1;
/** LiveKit's selector.AvailableSeconds: a node whose stats are this old is dead to LiveKit too. */
const AVAILABLE_SECONDS = 5;

/** Reads a protobuf varint at `at`; returns the value (exact up to 2^53) and the next offset. */
function varint(buf: Uint8Array, at: number): [number, number] {
  let value = 0;
  for (let shift = 0; at < buf.length; shift += 7) {
    const b = buf[at++]!;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, at];
  }
  throw new Error('truncated varint');
}

/** The fields of one protobuf message: number, wire type and (varint or bytes) value. */
function* protoFields(buf: Uint8Array): Generator<{ field: number; value: number | Uint8Array }> {
  let at = 0;
  while (at < buf.length) {
    const [key, next] = varint(buf, at);
    at = next;
    const field = Math.floor(key / 8);
    switch (key & 7) {
      case 0: {
        const [value, after] = varint(buf, at);
        at = after;
        yield { field, value };
        break;
      }
      case 1:
        at += 8;
        break;
      case 2: {
        const [length, start] = varint(buf, at);
        at = start + length;
        if (at > buf.length) throw new Error('truncated field');
        yield { field, value: buf.subarray(start, at) };
        break;
      }
      case 5:
        at += 4;
        break;
      default:
        throw new Error(`unsupported wire type ${key & 7}`);
    }
  }
}

const text = (v: number | Uint8Array) => (typeof v === 'number' ? '' : Buffer.from(v).toString('utf8'));
const num = (v: number | Uint8Array) => (typeof v === 'number' ? v : 0);

/** Decodes LiveKit's Node record: id = 1, stats = 4 (updated_at = 2, num_rooms = 3), state = 6, region = 7. */
export function decodeNodeRecord(buf: Uint8Array): NodeRecord {
  const node: NodeRecord = { id: '', region: '', state: 0, updatedAt: 0, numRooms: 0 };
  for (const { field, value } of protoFields(buf)) {
    if (field === 1) node.id = text(value);
    else if (field === 6) node.state = num(value);
    else if (field === 7) node.region = text(value);
    else if (field === 4 && typeof value !== 'number') {
      for (const s of protoFields(value)) {
        if (s.field === 2) node.updatedAt = num(s.value);
        else if (s.field === 3) node.numRooms = num(s.value);
      }
    }
  }
  return node;
}

/** Alive the way LiveKit's selector sees it (selector.GetAvailableNodes). */
export function isNodeAlive(node: NodeRecord, nowMs: number) {
  return node.state === NODE_SERVING && (node.updatedAt === 0 || Math.floor(nowMs / 1000) - node.updatedAt < AVAILABLE_SECONDS);
}

export type RoomPlacement = {
  /** The name (LiveKit region) of the node hosting the room, or null when unknown. */
  node: string | null;
  /** Every node's URL, the room's host first, then live nodes, then the others. */
  urls: string[];
};

export type PlacerOptions = {
  nodes: LivekitNode[];
  redisUrl: string;
  apiKey: string;
  apiSecret: string;
  /** Longest a caller waits (a token being minted); past it, the URLs in their plain order. */
  budgetMs?: number;
  log?: (line: string) => void;
};

/** How long LiveKit's node list is reused (it changes every stats interval, 2 s). */
const NODES_TTL_MS = 1000;
/** How long a room's host is reused: short, so a dead node is noticed soon after LiveKit notices it. */
const PLACED_TTL_MS = 2000;

export class RoomPlacer {
  private readonly redis: ReturnType<typeof createClient>;
  private readonly connected: Promise<unknown>;
  private readonly budgetMs: number;
  private readonly log: (line: string) => void;
  private readonly services = new Map<string, RoomServiceClient>();
  private nodesCache: { at: number; value: Promise<NodeRecord[]> } | null = null;
  private readonly placed = new Map<string, { at: number; value: RoomPlacement }>();
  private readonly inflight = new Map<string, Promise<RoomPlacement>>();
  /** Room creations run one after another, so each sees where the previous one went. */
  private creations: Promise<unknown> = Promise.resolve();
  private lastError = '';
  /** The live nodes as last read, for the order of URLs when Redis does not answer in time. */
  private lastLive: string[] | null = null;

  constructor(private readonly o: PlacerOptions) {
    this.budgetMs = o.budgetMs ?? 2000;
    this.log = o.log ?? ((line) => console.error(line));
    // Fail fast while Redis is away (no offline queue) and keep trying to reconnect in the
    // background: a token must never wait on a Redis that is down.
    this.redis = createClient({
      url: o.redisUrl,
      disableOfflineQueue: true,
      socket: { connectTimeout: 1000, reconnectStrategy: (retries) => Math.min(200 * 2 ** retries, 5000) },
    });
    this.redis.on('error', (err: Error) => this.warn(`LiveKit placement: Redis: ${err.message}`));
    this.connected = this.redis.connect();
    this.connected.catch(() => {});
  }

  /** Makes sure the room is on a live node (creating it there if needed); never throws, never waits past the budget. */
  place(room: string): Promise<RoomPlacement> {
    const cached = this.placed.get(room);
    if (cached && Date.now() - cached.at < PLACED_TTL_MS) return Promise.resolve(cached.value);
    let work = this.inflight.get(room);
    if (!work) {
      work = this.placeNow(room)
        .then((value) => {
          this.placed.set(room, { at: Date.now(), value });
          return value;
        })
        .finally(() => this.inflight.delete(room));
      this.inflight.set(room, work);
    }
    return this.bounded(work, () => this.order(null, this.lastLive));
  }

  /** The node name hosting each room (null: no room, a dead node, or Redis unreachable); creates nothing. */
  async locate(rooms: string[]): Promise<Map<string, string | null>> {
    const none = () => new Map(rooms.map((r) => [r, null] as [string, string | null]));
    if (!rooms.length) return none();
    return this.bounded(
      (async () => {
        await this.connected;
        const [nodes, hosts] = await Promise.all([this.nodes(), this.redis.hmGet('room_node_map', rooms)]);
        const alive = new Map(nodes.filter((n) => isNodeAlive(n, Date.now())).map((n) => [n.id, n.region]));
        return new Map(rooms.map((r, i) => [r, (hosts[i] && alive.get(hosts[i]!)) || null] as [string, string | null]));
      })(),
      none,
    );
  }

  async close() {
    // A client still trying to reach Redis would wait for it: drop it instead.
    if (this.redis.isReady) await this.redis.close();
    else if (this.redis.isOpen) this.redis.destroy();
  }

  private async placeNow(room: string): Promise<RoomPlacement> {
    // The first connection (commands fail at once while Redis is away, see the constructor).
    await this.connected;
    const found = await this.hostOf(room);
    if (found.host) return this.order(found.host, found.live);
    return this.serialised(async () => {
      // Another request may have placed it while this one waited its turn.
      const again = await this.hostOf(room, { fresh: true });
      if (again.host) return this.order(again.host, again.live);
      const target = await this.leastBusy();
      if (!target) return this.order(null, again.live);
      await this.service(target.name).createRoom({ name: room, nodeId: target.id });
      // LiveKit keeps a room that is still on a live node where it is: read where it really is.
      const placed = await this.hostOf(room, { fresh: true });
      return this.order(placed.host ?? target.name, placed.live);
    });
  }

  /** The live node hosting the room, if any, and the names of the live nodes. */
  private async hostOf(room: string, { fresh = false } = {}) {
    const [nodes, hostId] = await Promise.all([this.nodes({ fresh }), this.redis.hGet('room_node_map', room)]);
    const live = nodes.filter((n) => isNodeAlive(n, Date.now()));
    const host = live.find((n) => n.id === hostId)?.region ?? null;
    return { host, live: live.map((n) => n.region) };
  }

  /** The live node of ours with the fewest rooms in LiveKit's room map; ties go to the first listed. */
  private async leastBusy() {
    const [nodes, map] = await Promise.all([this.nodes({ fresh: true }), this.redis.hGetAll('room_node_map')]);
    const rooms = new Map<string, number>();
    for (const id of Object.values(map)) rooms.set(id, (rooms.get(id) ?? 0) + 1);
    const now = Date.now();
    const candidates = this.o.nodes
      .map((ours) => nodes.find((n) => n.region === ours.name && isNodeAlive(n, now)))
      .filter((n): n is NodeRecord => !!n)
      .map((n) => ({ id: n.id, name: n.region, rooms: rooms.get(n.id) ?? 0 }));
    return candidates.reduce<(typeof candidates)[number] | null>((best, n) => (!best || n.rooms < best.rooms ? n : best), null);
  }

  private nodes({ fresh = false } = {}): Promise<NodeRecord[]> {
    if (!fresh && this.nodesCache && Date.now() - this.nodesCache.at < NODES_TTL_MS) return this.nodesCache.value;
    const value = this.redis
      .withTypeMapping({ [RESP_TYPES.BLOB_STRING]: Buffer })
      .hVals('nodes')
      .then((records) => {
        const nodes = records.map((r) => decodeNodeRecord(r));
        const now = Date.now();
        this.lastLive = nodes.filter((n) => isNodeAlive(n, now)).map((n) => n.region);
        return nodes;
      });
    this.nodesCache = { at: Date.now(), value };
    value.catch(() => {
      if (this.nodesCache?.value === value) this.nodesCache = null;
    });
    return value;
  }

  /** The URL list for a client: the host first, then live nodes, then the rest, each in the listed order. */
  private order(host: string | null, live: string[] | null): RoomPlacement {
    const rank = (n: LivekitNode) => (n.name === host ? 0 : !live || live.includes(n.name) ? 1 : 2);
    const urls = this.o.nodes
      .map((n, i) => ({ n, i }))
      .sort((a, b) => rank(a.n) - rank(b.n) || a.i - b.i)
      .map(({ n }) => n.url);
    return { node: host, urls };
  }

  private service(name: string) {
    let client = this.services.get(name);
    if (!client) {
      const node = this.o.nodes.find((n) => n.name === name)!;
      client = new RoomServiceClient(node.url.replace(/^ws/, 'http'), this.o.apiKey, this.o.apiSecret, { requestTimeout: 2 });
      this.services.set(name, client);
    }
    return client;
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.creations.then(fn, fn);
    this.creations = run.catch(() => {});
    return run;
  }

  /** The work's answer if it comes within the budget (and does not fail), the fallback's otherwise. */
  private async bounded<T>(work: Promise<T>, fallback: () => T): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.budgetMs)));
    try {
      const result = await Promise.race([work, late]);
      if (result !== 'late') {
        this.lastError = '';
        return result;
      }
      this.warn(`LiveKit placement: no answer within ${this.budgetMs} ms; clients get every node`);
    } catch (err) {
      this.warn(`LiveKit placement failed: ${(err as Error).message}; clients get every node`);
    } finally {
      clearTimeout(timer);
    }
    return fallback();
  }

  /** Says each kind of trouble once, not once per token. */
  private warn(line: string) {
    if (line !== this.lastError) this.log(line);
    this.lastError = line;
  }
}

let placer: RoomPlacer | null | undefined;

/** The app's placer: only with several LiveKit nodes and a Redis to read them from. */
function appPlacer(): RoomPlacer | null {
  if (placer !== undefined) return placer;
  const nodes = livekitNodes();
  const redisUrl = livekitRedisUrl();
  placer = nodes.length > 1 && redisUrl ? new RoomPlacer({ nodes, redisUrl, apiKey: env.LIVEKIT_API_KEY, apiSecret: env.LIVEKIT_API_SECRET }) : null;
  return placer;
}

/** Where a client should connect for this room: one URL with one node, every node's (host first) with several. */
export async function placeRoom(room: string): Promise<RoomPlacement> {
  const p = appPlacer();
  if (p) return p.place(room);
  return { node: null, urls: livekitNodes().map((n) => n.url) };
}

/** The node name hosting each room, for the chief's view; null for all in single-node mode. */
export async function locateRooms(rooms: string[]): Promise<Map<string, string | null>> {
  const p = appPlacer();
  if (p) return p.locate(rooms);
  return new Map(rooms.map((r) => [r, null]));
}
