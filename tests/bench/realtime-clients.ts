/**
 * A worker process of the realtime benchmark: holds many tabs' live connections
 * (`GET /api/live?topics=...`, one per tab, as the browser's LiveProvider does) and notes when
 * each connection first sees each marker, a `BENCH...` token the benchmark puts into a message.
 * Run with fork(); driven over IPC (see the `Command` type). Kept out of the main process so
 * receiving is not slowed by sending.
 *
 * Like a tab, each connection keeps the last id of every tracked topic and, when the stream
 * drops, reconnects after `reconnectDelay(failures)` (components/live/backoff.ts) with those
 * cursors in the `Last-Event-ID` header (`topic=id,topic=id`), so the server resumes each
 * topic after them. Parsing is kept to what the benchmark needs: the event name, the id, and
 * markers in the data of the topics that carry them (no JSON parse): the clients share two
 * cores with the app.
 */
import http from 'node:http';
import { reconnectDelay } from '@/components/live/backoff';
import { CURSORS_HEADER } from '@/server/live/types';

export type StreamSpec = {
  /** Whose session this is (the expectations of an audit are per user). */
  userId: number;
  /** The session cookie (`name=value`). */
  cookie: string;
  /** The page's topics, e.g. `commands:3`, `messages`, `help`. */
  topics: string[];
};

/**
 * Tracked ids a connection must have had on a topic: `all` for every connection holding the
 * topic, `byUser` for some users only (the rest need none).
 */
export type Expectation = { kind: string; all?: number[]; byUser?: Record<number, number[]> };

export type Command =
  | { t: 'connect'; base: string; streams: StreamSpec[]; concurrency: number }
  | { t: 'expect'; marker: string; count: number }
  | { t: 'query'; id: number; markers: string[] }
  | { t: 'audit'; id: number; since: number; expected: Expectation[] }
  | { t: 'stats' }
  | { t: 'close' };

/** When the streams first saw a marker; `repeats` counts later events carrying it again (e.g. a thread update quoting the message). */
export type MarkerResult = { count: number; first: number; last: number; repeats: number };

/**
 * A check of every connection against the ids it should have (see `audit`): how many are
 * missing, how many connections have not (re)opened since `since`, and when the last
 * connection was complete (its open frame or its last new tracked id, whichever came later).
 */
export type AuditResult = {
  streams: number;
  notBack: number;
  missing: number;
  missingStreams: number;
  examples: string[];
  /** The first and the last connection (re)opened since `since` (0: none). */
  firstBackAt: number;
  lastBackAt: number;
  completeAt: number;
};

export type Reply =
  | { t: 'connected'; ok: number; failed: number; errors: string[]; ms: number }
  | { t: 'reached'; marker: string; count: number; last: number }
  | { t: 'result'; id: number; data: Record<string, MarkerResult | null> }
  | { t: 'audit'; id: number; data: AuditResult }
  | {
      t: 'stats';
      streams: number;
      open: number;
      messages: number;
      errors: number;
      refused: number;
      reconnects: number;
      duplicateIds: number;
      outOfOrder: number;
      lastError: string | null;
    };

const MARKER = /BENCH[a-z0-9]+x\d+/g;
/** Topics whose data the benchmark reads markers from: the desk (help messages) and system messages (broadcasts). */
const MARKED = new Set(['desk', 'messages']);

/** Wall clock in ms with sub-ms resolution, comparable across processes on one machine. */
export const now = () => performance.timeOrigin + performance.now();

type Seen = { byStream: Map<number, number>; dups: number; first: number; last: number; expect?: number };
const seen = new Map<string, Seen>();
const streams: LiveTab[] = [];
let messages = 0;
let errors = 0;
let refused = 0;
let reconnects = 0;
/** Tracked events a connection had already had (an id at or below its cursor): a resumed stream must never repeat one. */
let duplicateIds = 0;
/** Tracked ids that came below a newer one on the same topic (each topic is sent in id order). */
let outOfOrder = 0;
let lastError: string | null = null;

const send = (reply: Reply) => process.send?.(reply);

// One socket per stream, as many as needed; no keep-alive pooling (a live response never ends
// while in use, and a tab reconnects on a fresh connection).
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

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

/** The kind of a topic: `commands:3` -> `commands`. */
const kindOf = (topic: string) => {
  const i = topic.indexOf(':');
  return i < 0 ? topic : topic.slice(0, i);
};

/** One tab's live connection, reconnecting as the browser's LiveProvider does. */
class LiveTab {
  /** Last id per topic: sent back as cursors on a reconnect. */
  readonly cursors = new Map<string, number>();
  /** Every tracked id received per topic kind, in arrival order (ascending unless `outOfOrder`). */
  readonly ids = new Map<string, number[]>();
  /** Failed attempts in a row (0 while connected or just dropped). */
  failures = 0;
  /** When the last `open` frame came (the server accepted the topics). */
  openedAt = 0;
  /** When the last new tracked id came. */
  lastNewAt = 0;
  isOpen = false;
  private closed = false;
  private req: http.ClientRequest | null = null;
  private attempt = 0;
  private started: { resolve: () => void; reject: (e: Error) => void } | null = null;

  constructor(
    readonly base: string,
    readonly spec: StreamSpec,
    readonly index: number,
  ) {}

  /** Connects; resolves on the first `open` frame, rejects on a refusal or a failed first attempt. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.started = { resolve, reject };
      this.connect();
    });
  }

  close() {
    this.closed = true;
    this.req?.destroy();
  }

  private fail(message: string, fatal: boolean) {
    errors++;
    lastError = message;
    const started = this.started;
    if (started) {
      // The first connect of a tab: the benchmark wants to know now rather than retry.
      this.started = null;
      this.close();
      started.reject(new Error(message));
      return;
    }
    if (fatal) this.close();
  }

  /** The stream ended or could not be opened: try again after the backoff, as a tab does. */
  private dropped(attempt: number, message: string | null) {
    if (attempt !== this.attempt || this.closed) return;
    this.attempt++;
    this.req?.destroy();
    this.req = null;
    const wasOpen = this.isOpen;
    this.isOpen = false;
    if (message) this.fail(message, false);
    if (this.closed) return;
    // Dropped after it was open: the first (short) window; failed to reconnect: the next one.
    if (!wasOpen) this.failures++;
    setTimeout(() => this.connect(), reconnectDelay(wasOpen ? 0 : this.failures));
  }

  private connect() {
    if (this.closed) return;
    const attempt = this.attempt;
    const headers: Record<string, string> = { cookie: this.spec.cookie, accept: 'text/event-stream' };
    if (this.cursors.size) headers[CURSORS_HEADER] = [...this.cursors].map(([t, n]) => `${t}=${n}`).join(',');
    const url = new URL(`/api/live?topics=${encodeURIComponent(this.spec.topics.join(','))}`, this.base);
    const req = http.get(url, { agent, headers });
    this.req = req;
    req.on('error', (err) => this.dropped(attempt, this.started ? `${url.pathname}: ${err.message}` : null));
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => {
          const message = `HTTP ${res.statusCode}: ${body.slice(0, 200)}`;
          // 401/400: the session or the request is wrong; a tab would not retry either.
          if (res.statusCode! < 500) {
            if (attempt === this.attempt) this.fail(message, true);
          } else this.dropped(attempt, message);
        });
        return;
      }
      res.setEncoding('utf8');
      let buf = '';
      res.on('data', (chunk: string) => {
        if (attempt !== this.attempt) return;
        buf += chunk;
        let at: number;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, at);
          buf = buf.slice(at + 2);
          this.frame(block);
        }
      });
      res.on('end', () => this.dropped(attempt, null));
      res.on('error', () => this.dropped(attempt, null));
      res.on('close', () => this.dropped(attempt, null));
    });
  }

  /** One SSE block as the server writes it: `event: <topic>\n[id: <n>\n]data: <json>` (or a `:` comment). */
  private frame(block: string) {
    if (!block.startsWith('event: ')) return;
    const at = now();
    const eol = block.indexOf('\n');
    const event = block.slice(7, eol);
    let rest = eol + 1;
    let id: number | undefined;
    if (block.startsWith('id: ', rest)) {
      const end = block.indexOf('\n', rest);
      id = Number(block.slice(rest + 4, end));
      rest = end + 1;
    }
    if (event === 'open') {
      if (this.openedAt) reconnects++;
      this.openedAt = at;
      this.isOpen = true;
      this.failures = 0;
      const started = this.started;
      this.started = null;
      started?.resolve();
      return;
    }
    if (event === 'refused') {
      refused++;
      this.fail(`refused: ${block.slice(rest + 6, rest + 306)}`, false);
      return;
    }
    messages++;
    const kind = kindOf(event);
    if (id !== undefined) {
      const last = this.cursors.get(event);
      if (last !== undefined && id <= last) {
        duplicateIds++;
        return;
      }
      this.cursors.set(event, id);
      let list = this.ids.get(kind);
      if (!list) this.ids.set(kind, (list = []));
      if (list.length && id < list.at(-1)!) outOfOrder++;
      list.push(id);
      this.lastNewAt = at;
    }
    if (MARKED.has(kind)) note(this.index, block.slice(rest), at);
  }
}

async function connect(base: string, specs: StreamSpec[], concurrency: number) {
  const t0 = Date.now();
  let next = 0;
  let ok = 0;
  const failures: string[] = [];
  const lane = async () => {
    while (next < specs.length) {
      const tab = new LiveTab(base, specs[next]!, streams.length);
      next++;
      streams.push(tab);
      try {
        await tab.start();
        ok++;
      } catch (err) {
        failures.push((err as Error).message);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  send({ t: 'connected', ok, failed: failures.length, errors: failures.slice(0, 5), ms: Date.now() - t0 });
}

/** Ids of `want` (ascending) missing from `have` (ascending unless out of order). */
function missingIds(have: number[] | undefined, want: number[]) {
  if (!want.length) return [];
  const sorted = have ? (outOfOrder ? [...have].sort((a, b) => a - b) : have) : [];
  const out: number[] = [];
  let i = 0;
  for (const id of want) {
    while (i < sorted.length && sorted[i]! < id) i++;
    if (sorted[i] !== id) out.push(id);
  }
  return out;
}

/** Every connection against the ids it should have had by now (the benchmark reads them from the database). */
function audit(since: number, expected: Expectation[]): AuditResult {
  const r: AuditResult = { streams: 0, notBack: 0, missing: 0, missingStreams: 0, examples: [], firstBackAt: 0, lastBackAt: 0, completeAt: 0 };
  for (const tab of streams) {
    r.streams++;
    if (!tab.isOpen || tab.openedAt < since) r.notBack++;
    else {
      r.firstBackAt = r.firstBackAt ? Math.min(r.firstBackAt, tab.openedAt) : tab.openedAt;
      r.lastBackAt = Math.max(r.lastBackAt, tab.openedAt);
    }
    let missing = 0;
    const kinds = new Set(tab.spec.topics.map(kindOf));
    for (const e of expected) {
      if (!kinds.has(e.kind)) continue;
      const want = e.all ?? e.byUser?.[tab.spec.userId] ?? [];
      const gone = missingIds(tab.ids.get(e.kind), want);
      missing += gone.length;
      if (gone.length && r.examples.length < 5)
        r.examples.push(`user ${tab.spec.userId} ${e.kind}: ${gone.length} missing, e.g. ${gone.slice(0, 3).join(',')}`);
    }
    r.missing += missing;
    if (missing) r.missingStreams++;
    r.completeAt = Math.max(r.completeAt, tab.openedAt, tab.lastNewAt);
  }
  return r;
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
    case 'audit':
      send({ t: 'audit', id: cmd.id, data: audit(cmd.since, cmd.expected) });
      break;
    case 'stats':
      send({
        t: 'stats',
        streams: streams.length,
        open: streams.filter((s) => s.isOpen).length,
        messages,
        errors,
        refused,
        reconnects,
        duplicateIds,
        outOfOrder,
        lastError,
      });
      break;
    case 'close':
      for (const s of streams) s.close();
      process.exit(0);
  }
});
