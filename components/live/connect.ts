import { ConnectionState, RoomEvent, type Room, type RoomConnectOptions } from 'livekit-client';
import { EXAM_CONNECT_OPTIONS } from './reconnect';

/** What the server hands out with a LiveKit token (server/livekit/tokens.ts MintedToken). */
export type SfuAddress = { url: string; urls?: string[]; token: string };

export type ConnectRoomOptions = RoomConnectOptions & {
  /** Rewrites each SFU URL before use (the phone reaches a loopback SFU through the page's host). */
  mapUrl?: (url: string) => string;
  /**
   * A STUN address (`stun:host:port`, server/network-probe.ts) and what to call when it answers
   * again after silence while LiveKit is still reconnecting, with how long it has been: see
   * `watchNetwork`.
   */
  networkProbe?: { url: string; onBack: (lostForMs: number) => void };
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
  const { mapUrl = (u: string) => u, networkProbe, ...rest } = options;
  const connectOptions = { ...EXAM_CONNECT_OPTIONS, ...rest };
  const urls = [...new Set((minted.urls?.length ? minted.urls : [minted.url]).map(mapUrl))];
  const url = urls.length === 1 ? urls[0]! : ((await firstAnswering(urls)) ?? urls[0]!);
  await room.connect(url, minted.token, connectOptions);
  if (urls.length > 1) followSurvivors(room, url, urls);
  if (networkProbe) watchNetwork(room, networkProbe.url, networkProbe.onBack);
  return url;
}

const reconnectingNow = (room: Room) => room.state === ConnectionState.Reconnecting || room.state === ConnectionState.SignalReconnecting;

/** How often, and for how long each, the network probe asks (Chromium's gatherer sends a STUN request at once and resends it after 250 and 750 ms). */
const NETWORK_PROBE_MS = 1000;

/**
 * Whether the STUN responder at `url` answers within `ms`: an ICE gatherer asks it, and its
 * answer arrives as a server-reflexive candidate. Each call is a peer connection of its own,
 * closed at once (no media, no signalling).
 */
async function stunAnswers(url: string, ms: number) {
  const pc = new RTCPeerConnection({ iceServers: [{ urls: url }] });
  try {
    const answered = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      pc.onicecandidate = (e) => {
        if (e.candidate?.type !== 'srflx') return;
        clearTimeout(timer);
        resolve(true);
      };
    });
    pc.createDataChannel('probe');
    await pc.setLocalDescription(await pc.createOffer());
    return await answered;
  } catch {
    return false;
  } finally {
    pc.close();
  }
}

/**
 * Tells the page when packets flow again after an outage the browser never noticed (a home
 * router lost its uplink behind working Wi-Fi: no `offline`, no `online`). LiveKit learns it only
 * from its own next try, which a try begun during the outage can hold back by seconds; after an
 * outage long enough for the SFU to have dropped the participant, that try is a refused resume
 * before the full rejoin. While the room is reconnecting and the browser thinks it is online,
 * this asks the network probe about once a second; its first answer after a silence calls
 * `onBack`, and the page can join anew at once. Offline, the browser says when it is back.
 */
function watchNetwork(room: Room, url: string, onBack: (lostForMs: number) => void) {
  let watching = false;
  const watch = async () => {
    if (watching) return;
    watching = true;
    const since = Date.now();
    let silent = false;
    try {
      while (reconnectingNow(room)) {
        if (navigator.onLine === false) {
          await new Promise((r) => setTimeout(r, NETWORK_PROBE_MS));
          continue;
        }
        const t0 = Date.now();
        const answered = await stunAnswers(url, NETWORK_PROBE_MS);
        if (!reconnectingNow(room)) break;
        if (!answered) silent = true;
        else if (silent) {
          silent = false;
          onBack(Date.now() - since);
        }
        await new Promise((r) => setTimeout(r, Math.max(0, NETWORK_PROBE_MS - (Date.now() - t0))));
      }
    } finally {
      watching = false;
    }
  };
  const onReconnecting = () => void watch();
  const stop = () => {
    room.off(RoomEvent.Reconnecting, onReconnecting).off(RoomEvent.SignalReconnecting, onReconnecting);
  };
  room.on(RoomEvent.Reconnecting, onReconnecting).on(RoomEvent.SignalReconnecting, onReconnecting).once(RoomEvent.Disconnected, stop);
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
  const reconnecting = () => reconnectingNow(room);

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
