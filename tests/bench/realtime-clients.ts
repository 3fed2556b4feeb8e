/**
 * A worker process of the realtime benchmark: holds many SSE subscriptions (tRPC over
 * `eventsource`, as Node clients of the app) and notes when each stream first sees each marker,
 * a `BENCH...` token the benchmark puts into a message. Run with fork(); driven over IPC (see
 * the `Command` type). Kept out of the main process so receiving is not slowed by sending.
 */
import { EventSource } from 'eventsource';

export type StreamSpec = {
  /** tRPC procedure path, e.g. `messages.onMine`. */
  path: string;
  /** The session cookie (`name=value`). */
  cookie: string;
  input?: unknown;
};

export type Command =
  | { t: 'connect'; base: string; streams: StreamSpec[]; concurrency: number }
  | { t: 'expect'; marker: string; count: number }
  | { t: 'query'; id: number; markers: string[] }
  | { t: 'stats' }
  | { t: 'close' };

/** When the streams first saw a marker; `repeats` counts later events carrying it again (e.g. a thread update quoting the message). */
export type MarkerResult = { count: number; first: number; last: number; repeats: number };

export type Reply =
  | { t: 'connected'; ok: number; failed: number; errors: string[]; ms: number }
  | { t: 'reached'; marker: string; count: number; last: number }
  | { t: 'result'; id: number; data: Record<string, MarkerResult | null> }
  | { t: 'stats'; streams: number; open: number; messages: number; errors: number; reconnects: number; duplicateIds: number };

const MARKER = /BENCH[a-z0-9]+x\d+/g;

/** Wall clock in ms with sub-ms resolution, comparable across processes on one machine. */
export const now = () => performance.timeOrigin + performance.now();

type Seen = { byStream: Map<number, number>; dups: number; first: number; last: number; expect?: number };
const seen = new Map<string, Seen>();
const sources: EventSource[] = [];
let messages = 0;
let errors = 0;
let reconnects = 0;
/** Tracked events whose id a stream had already had: a resumed stream must never repeat one. */
let duplicateIds = 0;

const send = (reply: Reply) => process.send?.(reply);

function note(stream: number, data: string, at: number) {
  const markers = data.match(MARKER);
  if (!markers) return;
  for (const m of new Set(markers)) {
    let s = seen.get(m);
    if (!s) seen.set(m, (s = { byStream: new Map(), dups: 0, first: at, last: at }));
    if (s.byStream.has(stream)) {
      s.dups++;
      continue;
    }
    s.byStream.set(stream, at);
    s.last = Math.max(s.last, at);
    s.first = Math.min(s.first, at);
    if (s.expect !== undefined && s.byStream.size === s.expect) send({ t: 'reached', marker: m, count: s.byStream.size, last: s.last });
  }
}

function trpcUrl(base: string, spec: StreamSpec) {
  const url = new URL(`/api/trpc/${spec.path}`, base);
  if (spec.input !== undefined) url.searchParams.set('input', JSON.stringify({ json: spec.input }));
  return url.toString();
}

/** Opens one stream; resolves when tRPC says it started (or rejects on the first failure). */
function open(base: string, spec: StreamSpec, index: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let started = false;
    const es = new EventSource(trpcUrl(base, spec), {
      fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, cookie: spec.cookie } }),
    });
    sources.push(es);
    es.addEventListener('connected', () => {
      if (started) reconnects++;
      started = true;
      resolve();
    });
    const ids = new Set<string>();
    es.addEventListener('message', (e) => {
      messages++;
      if (e.lastEventId) {
        if (ids.has(e.lastEventId)) duplicateIds++;
        ids.add(e.lastEventId);
      }
      note(index, e.data, now());
    });
    es.addEventListener('serialized-error', (e) => {
      errors++;
      if (!started) reject(new Error(`${spec.path}: ${e.data.slice(0, 200)}`));
    });
    es.addEventListener('error', (e) => {
      errors++;
      if (!started) {
        es.close();
        reject(new Error(`${spec.path}: ${(e as { message?: string }).message ?? 'connection failed'}`));
      }
    });
  });
}

async function connect(base: string, streams: StreamSpec[], concurrency: number) {
  const t0 = Date.now();
  let next = 0;
  let ok = 0;
  const failures: string[] = [];
  const lane = async () => {
    while (next < streams.length) {
      const i = next++;
      try {
        await open(base, streams[i]!, i);
        ok++;
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  send({ t: 'connected', ok, failed: failures.length, errors: failures.slice(0, 5), ms: Date.now() - t0 });
}

process.on('message', (cmd: Command) => {
  switch (cmd.t) {
    case 'connect':
      void connect(cmd.base, cmd.streams, cmd.concurrency);
      break;
    case 'expect': {
      let s = seen.get(cmd.marker);
      if (!s) seen.set(cmd.marker, (s = { byStream: new Map(), dups: 0, first: Infinity, last: 0 }));
      s.expect = cmd.count;
      if (s.byStream.size >= cmd.count) send({ t: 'reached', marker: cmd.marker, count: s.byStream.size, last: s.last });
      break;
    }
    case 'query': {
      const data: Record<string, MarkerResult | null> = {};
      for (const m of cmd.markers) {
        const s = seen.get(m);
        data[m] = s && s.byStream.size ? { count: s.byStream.size, first: s.first, last: s.last, repeats: s.dups } : null;
      }
      send({ t: 'result', id: cmd.id, data });
      break;
    }
    case 'stats':
      send({
        t: 'stats',
        streams: sources.length,
        open: sources.filter((s) => s.readyState === EventSource.OPEN).length,
        messages,
        errors,
        reconnects,
        duplicateIds,
      });
      break;
    case 'close':
      for (const s of sources) s.close();
      process.exit(0);
  }
});
