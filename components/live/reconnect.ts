import type { ReconnectContext, ReconnectPolicy, RoomConnectOptions } from 'livekit-client';

/**
 * How an exam-room connection (the candidate's publisher, the phone, the invigilator's grid)
 * retries after it lost the SFU: quickly, and for as long as an exam lasts.
 *
 * LiveKit's default gives up after ten tries over about 40 s and waits 7 s between the later
 * ones, so a candidate whose network came back could sit up to 7 s without a picture, and after
 * a longer cut the room was closed and had to be joined anew. Here the first tries come at once,
 * then one every 0.5-1.5 s (jittered: 500 candidates who lost the SFU together spread their
 * attempts over a second rather than arriving in the same instant, ~500 signalling attempts a
 * second against an SFU that is coming back, each refused at once while it is down). After a
 * long cut the SFU refuses to resume (it dropped the participant), and the full rejoin that
 * follows is the next try: the gap between them is what a candidate waits for nothing. A browser that reports being back online retries
 * at once (livekit-client listens for `online`).
 *
 * With several SFU nodes, `connectRoom` (connect.ts) points these retries at a surviving node
 * once the lost one stops answering. Should that not bring the connection back within 20 s
 * (`alternatives()`: the server named other nodes), the retries end (`null`) and the page joins
 * again with a fresh token, which lists a surviving node first. With one SFU, it retries for 15
 * minutes, then the page joins anew the same way.
 */
export function examReconnectPolicy(alternatives: () => boolean = () => false): ReconnectPolicy {
  /** The try before the one that just failed: when it failed, the delay given, whether it heard nothing. */
  let last: { elapsedMs: number; delay: number; silent: boolean } | null = null;
  return {
    nextRetryDelayInMs({ retryCount, elapsedMs }: ReconnectContext) {
      if (retryCount === 0) last = null;
      if (elapsedMs > (alternatives() ? 20_000 : 15 * 60_000)) return null;
      // How long the failed try lasted: one that waited out its signalling timeout heard nothing.
      const lasted = last ? elapsedMs - last.elapsedMs - last.delay : null;
      const silent = lasted != null && lasted >= SIGNAL_TIMEOUT_MS - 500;
      const delay = nextDelay(retryCount, !silent && last?.silent === true);
      last = { elapsedMs, delay, silent };
      return delay;
    },
  };
}

function nextDelay(retryCount: number, answeredAfterSilence: boolean) {
  // Offline, a try cannot succeed, and each failed WebSocket makes Chromium hold back the next
  // one to that address (it throttles reconnecting WebSockets): try rarely until the browser is
  // back online. livekit-client tries at once on the `online` event, and the exam page joins
  // anew then after a long cut.
  if (typeof navigator !== 'undefined' && navigator.onLine === false) return 4_000 + Math.random() * 1000;
  // Tries that timed out, then one that failed fast: the network is back (the browser may never
  // have said it was gone: a home router's uplink lost behind working Wi-Fi), and after a long
  // outage that failure is the SFU refusing to resume a participant it dropped. The full rejoin
  // that follows is the try that can succeed: at once.
  if (answeredAfterSilence) return Math.random() * 200;
  if (retryCount === 0) return Math.random() * 300;
  if (retryCount < 3) return 300 + Math.random() * 300;
  return 500 + Math.random() * 1000;
}

/** Whether the server named more than one SFU node to connect to. */
export const hasAlternatives = (minted: { url: string; urls?: string[] }) => (minted.urls?.length ?? 1) > 1;

/**
 * A signalling attempt that has not answered in 5 s will not: with the network cut, the TCP
 * handshake hangs, and LiveKit's default of 15 s would make the first try after the network
 * returns wait out a try made while it was down.
 */
const SIGNAL_TIMEOUT_MS = 5_000;
export const EXAM_CONNECT_OPTIONS: RoomConnectOptions = { websocketTimeout: SIGNAL_TIMEOUT_MS };

/**
 * LiveKit's server drops a participant whose connection went silent for about 15 s (ICE
 * disconnected after 10 s, failed 5 s later; livekit-server 1.13 pkg/rtc/transport.go). After a
 * longer cut, resuming is refused: a page that knows it was offline that long joins anew at once.
 */
export const SFU_DROPS_SILENT_AFTER_MS = 12_000;
