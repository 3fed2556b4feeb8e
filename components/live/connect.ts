import { ConnectionState, RoomEvent, type Room, type RoomConnectOptions } from 'livekit-client';
import { EXAM_CONNECT_OPTIONS } from './reconnect';

/** What the server hands out with a LiveKit token (server/livekit/tokens.ts MintedToken). */
export type SfuAddress = { url: string; urls?: string[]; token: string };

export type ConnectRoomOptions = RoomConnectOptions & {
  /** Rewrites each SFU URL before use (the phone reaches a loopback SFU through the page's host). */
  mapUrl?: (url: string) => string;
};

/** How long one SFU node may take to answer a probe before the next one in the list is taken. */
export const PROBE_TIMEOUT_MS = 1500;
/** While reconnecting, nodes are probed this often; two misses in a row and the node counts as gone. */
const PROBE_EVERY_MS = 1000;
const MISSES_FOR_GONE = 2;

const httpOf = (url: string) => url.replace(/^ws/, 'http');

/**
 * Whether anything answers HTTP at the node's address. Opaque (no-cors) is enough: a dead
 * process refuses the connection, a lost machine times out, a live livekit-server answers.
 */
async function answers(url: string, timeoutMs = PROBE_TIMEOUT_MS) {
  try {
    await fetch(httpOf(url), { mode: 'no-cors', cache: 'no-store', signal: AbortSignal.timeout(timeoutMs) });
    return true;
  } catch {
    return false;
  }
}

/** The first URL, in list order, whose node answers; all are probed at once. */
async function firstAnswering(urls: string[]) {
  const probes = urls.map((u) => answers(u));
  for (let i = 0; i < urls.length; i++) if (await probes[i]) return urls[i]!;
  return null;
}

/**
 * Joins the room through the first SFU node of the list that answers (the server puts the node
 * hosting the room first) and resolves with the URL used, with the exam connection options
 * (`EXAM_CONNECT_OPTIONS`: a 5 s signalling timeout) under the caller's. With one URL it is `room.connect`.
 *
 * Only nodes that answered a probe are joined: a join that fails emits `Disconnected`, which the
 * pages take as the end of the connection and answer by joining again with a fresh token, so a
 * dead node is skipped before joining rather than after.
 */
export async function connectRoom(room: Room, minted: SfuAddress, options: ConnectRoomOptions = {}): Promise<string> {
  const { mapUrl = (u: string) => u, ...rest } = options;
  const connectOptions = { ...EXAM_CONNECT_OPTIONS, ...rest };
  const urls = [...new Set((minted.urls?.length ? minted.urls : [minted.url]).map(mapUrl))];
  if (urls.length === 1) {
    await room.connect(urls[0]!, minted.token, connectOptions);
    return urls[0]!;
  }
  const url = (await firstAnswering(urls)) ?? urls[0]!;
  await room.connect(url, minted.token, connectOptions);
  followSurvivors(room, url, urls);
  return url;
}

/**
 * livekit-client reconnects on its own, but always to the URL it joined: after the loss of that
 * node it would retry a dead address for about 40 s and then give up. While the room is
 * reconnecting, this probes the nodes, and once the current one has missed two probes in a row
 * while another answers, points the client's next attempt at that one. The surviving node takes
 * the room over once LiveKit sees the old node's stats go stale (5 s), tells the client its
 * session is unknown there, and the client rejoins in full, publishing the tracks it already has:
 * no page-level rejoin, no new screen capture.
 *
 * The address of the next attempt is the engine's `url`, which livekit-client 2.23 keeps on its
 * RTCEngine (set by every join, read by every reconnect attempt); it has no public setter. If a
 * later version renames it, nothing is redirected, and the page's rejoin after `Disconnected`
 * (with a fresh token listing the surviving node first) is what recovers.
 */
function followSurvivors(room: Room, joined: string, urls: string[]) {
  let current = joined;
  let probing = false;
  const reconnecting = () => room.state === ConnectionState.Reconnecting || room.state === ConnectionState.SignalReconnecting;

  const probe = async () => {
    if (probing) return;
    probing = true;
    let misses = 0;
    try {
      while (reconnecting()) {
        const alive = await Promise.all(urls.map((u) => answers(u)));
        misses = alive[urls.indexOf(current)] ? 0 : misses + 1;
        const next = urls.find((u, i) => u !== current && alive[i]);
        if (misses >= MISSES_FOR_GONE && next && retarget(room, next)) {
          current = next;
          misses = 0;
        }
        await new Promise((r) => setTimeout(r, PROBE_EVERY_MS));
      }
    } finally {
      probing = false;
    }
  };
  const stop = () => {
    room.off(RoomEvent.Reconnecting, onReconnecting).off(RoomEvent.SignalReconnecting, onReconnecting).off(RoomEvent.Disconnected, stop);
  };
  const onReconnecting = () => void probe();
  room.on(RoomEvent.Reconnecting, onReconnecting).on(RoomEvent.SignalReconnecting, onReconnecting).once(RoomEvent.Disconnected, stop);
}

/** Points the engine's next reconnect attempt at another node; false when the engine keeps no URL. */
function retarget(room: Room, url: string) {
  const engine = room.engine as unknown as { url?: unknown };
  if (typeof engine?.url !== 'string') return false;
  engine.url = url;
  return true;
}
