import { RoomServiceClient } from 'livekit-server-sdk';
import { env, livekitUrl } from '../env';

/** Why LiveKit did not answer as it should; never the key, the secret or the server's own message. */
export type LivekitProbeFailure = 'unauthorized' | 'timeout' | 'unreachable' | 'error';
export type LivekitProbe = { ok: true } | { ok: false; reason: LivekitProbeFailure };

export type LivekitProbeOptions = {
  url?: string;
  apiKey?: string;
  apiSecret?: string;
  /** Longest wait for the answer; the probe settles by then whatever the SFU does. */
  timeoutMs?: number;
};

/**
 * Asks the SFU for its room list, signed with our API key: an answer proves that the server is
 * up, reachable from this process, and accepts our key (a wrong key or secret is a 401, which
 * counts as not ready: no token we mint would work either). Bounded by `timeoutMs` even for an
 * SFU that accepts the connection and never answers (a frozen process).
 */
export async function probeLivekit({
  url = livekitUrl(),
  apiKey = env.LIVEKIT_API_KEY,
  apiSecret = env.LIVEKIT_API_SECRET,
  timeoutMs = 2000,
}: LivekitProbeOptions = {}): Promise<LivekitProbe> {
  // failover: off, so the SDK never turns one probe into a tour of LiveKit Cloud's regions.
  const client = new RoomServiceClient(url.replace(/^ws/, 'http'), apiKey, apiSecret, { requestTimeout: timeoutMs / 1000, failover: false });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<LivekitProbe>((resolve) => {
    timer = setTimeout(() => resolve({ ok: false, reason: 'timeout' }), timeoutMs);
  });
  const answer = client.listRooms([]).then(
    (): LivekitProbe => ({ ok: true }),
    (err: unknown): LivekitProbe => ({ ok: false, reason: failureOf(err) }),
  );
  try {
    return await Promise.race([answer, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

function failureOf(err: unknown): LivekitProbeFailure {
  const e = err as { status?: unknown; name?: unknown } | null;
  if (e?.status === 401 || e?.status === 403) return 'unauthorized';
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return 'timeout';
  if (typeof e?.status === 'number') return 'error';
  // fetch failed: refused, reset, no route.
  return 'unreachable';
}
