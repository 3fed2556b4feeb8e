import { createHash, randomBytes } from 'node:crypto';
import superjson from 'superjson';
import type { Db } from '@/db/client';
import { sessions } from '@/db/schema';
import { getBus, type EventBus } from '@/server/events/bus';
import { liveResponse } from '@/server/http/live';
import { encodeCursors, type KindOf, type LiveData, type LiveKind, type LiveOpen, type LiveRefused, type LiveTopic } from '@/server/live/types';

/** One frame of the live stream as a client reads it. */
export type LiveFrame =
  | { event: 'open'; id?: undefined; data: LiveOpen }
  | { event: 'refused'; id?: undefined; data: LiveRefused }
  | { event: LiveTopic; id?: number; data: LiveData[LiveKind] };

/** A frame of one event name, typed by it: a topic's frames carry that topic's data. */
export type FrameOf<E extends string> = E extends 'open' | 'refused'
  ? Extract<LiveFrame, { event: E }>
  : E extends LiveTopic
    ? { event: E; id?: number; data: LiveData[KindOf<E>] }
    : LiveFrame;

/** A session row for a user, as a login makes it (no argon2): the token for the `sid` cookie. */
export function sessionTokenFor(db: Db, user: { id: number }, hours = 12): string {
  const token = randomBytes(32).toString('base64url');
  db.insert(sessions)
    .values({ tokenHash: createHash('sha256').update(token).digest('hex'), userId: user.id, expiresAt: new Date(Date.now() + hours * 3600_000) })
    .run();
  return token;
}

/** Parses SSE bytes into frames (comments skipped; data is superjson). */
export async function* sseFrames(body: ReadableStream<Uint8Array>): AsyncGenerator<LiveFrame> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buf = '';
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let at: number;
      while ((at = buf.indexOf('\n\n')) >= 0) {
        const block = buf.slice(0, at);
        buf = buf.slice(at + 2);
        let event = 'message';
        let id: number | undefined;
        let data = '';
        for (const line of block.split('\n')) {
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = line.slice(0, colon);
          const val = line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = val;
          else if (field === 'id') id = Number(val);
          else if (field === 'data') data += val;
        }
        if (data) yield { event, id, data: superjson.parse(data) } as LiveFrame;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Opens `GET /api/live` through its real handler (as the route does) with a session cookie,
 * topics and cursors. `next(topic?)` waits for the next frame (of a topic); `within(ms)` returns
 * undefined if nothing came; `close()` aborts like a closed tab.
 */
export async function openLive({
  db,
  token,
  topics,
  cursors = [],
  bus = getBus(),
  signal,
  locale,
  cookie: rawCookie,
  handle = (req) => liveResponse({ req, db, bus }),
}: {
  db: Db;
  token: string | null;
  topics: (LiveTopic | string)[];
  cursors?: [LiveTopic, number][];
  bus?: EventBus;
  signal?: AbortSignal;
  locale?: string;
  /** A whole Cookie header instead of `token` and `locale` (another kind of session, say). */
  cookie?: string;
  /** What answers the request: the handler itself by default; the route module, say. */
  handle?: (req: Request) => Response | Promise<Response>;
}) {
  const abort = new AbortController();
  const onAbort = () => abort.abort();
  if (signal?.aborted) abort.abort();
  else signal?.addEventListener('abort', onAbort, { once: true });
  const headers: Record<string, string> = {};
  const cookie = rawCookie ?? [token ? `sid=${token}` : null, locale ? `NEXT_LOCALE=${locale}` : null].filter(Boolean).join('; ');
  if (cookie) headers.cookie = cookie;
  if (cursors.length) headers['last-event-id'] = encodeCursors(cursors);
  const req = new Request(`http://localhost/api/live?topics=${encodeURIComponent(topics.join(','))}`, { headers, signal: abort.signal });
  const res = await handle(req);
  if (res.headers.get('content-type')?.startsWith('application/json')) {
    // Nothing to end later: the caller's signal need not keep a listener for it.
    signal?.removeEventListener('abort', onAbort);
    return { res, json: (await res.json()) as { error: string; message: string }, frames: null } as const;
  }
  const it = sseFrames(res.body!)[Symbol.asyncIterator]();
  const pending: LiveFrame[] = [];
  // A read that outlived a timeout is kept for the next pull: the frame it brings is not lost.
  let reading: Promise<IteratorResult<LiveFrame>> | null = null;
  const pull = async (ms: number): Promise<LiveFrame | undefined> => {
    reading ??= it.next();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), ms)));
    try {
      const r = await Promise.race([reading, late]);
      if (r === 'late') return undefined;
      reading = null;
      if (r.done) throw new Error('the live stream ended');
      return r.value;
    } catch (err) {
      reading = null;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  };
  const live = {
    res,
    json: null,
    /** The next frame (of `event`, if given; earlier frames of other topics are kept for later). */
    async next<E extends string = string>(event?: E, ms = 10_000): Promise<FrameOf<E>> {
      const i = pending.findIndex((f) => !event || f.event === event);
      if (i >= 0) return pending.splice(i, 1)[0]! as FrameOf<E>;
      const deadline = Date.now() + ms;
      for (;;) {
        const left = deadline - Date.now();
        const f = left > 0 ? await pull(left) : undefined;
        if (!f) throw new Error(`no ${event ?? 'frame'} within ${ms} ms`);
        if (!event || f.event === event) return f as FrameOf<E>;
        pending.push(f);
      }
    },
    /** The next frame (of `event`) within `ms`, or undefined. A frame that comes later is still read by the next call. */
    async within<E extends string = string>(ms: number, event?: E): Promise<FrameOf<E> | undefined> {
      try {
        return await live.next(event, ms);
      } catch (err) {
        if ((err as Error).message.startsWith('no ')) return undefined;
        throw err;
      }
    },
    /** Resolves when the stream ends (the server closed it), within `ms`; false if still open. */
    async ended(ms = 10_000): Promise<boolean> {
      const deadline = Date.now() + ms;
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) return false;
        try {
          const f = await pull(left);
          if (f) pending.push(f);
        } catch {
          // Ended, or errored (a reader dropped for falling behind): either way it is over.
          return true;
        }
      }
    },
    close: () => abort.abort(),
  };
  return live;
}

/**
 * Opens the live stream as `user` through a real session row, as a page does, and reads it up
 * to the `open` frame: `opened` lists the topics accepted, `refused` the refusals sent before
 * it. Listening has started for every accepted topic once this resolves.
 */
export async function follow(
  db: Db,
  user: { id: number },
  topics: (LiveTopic | string)[],
  opts: Omit<Parameters<typeof openLive>[0], 'db' | 'token' | 'topics'> = {},
) {
  const live = await openLive({ db, token: sessionTokenFor(db, user), topics, ...opts });
  if (live.json) throw new Error(`the live stream was refused: ${live.res.status} ${live.json.error}`);
  const refused: LiveRefused[] = [];
  for (;;) {
    const f = await live.next();
    if (f.event === 'refused') refused.push(f.data);
    else if (f.event === 'open') return Object.assign(live, { opened: f.data.topics, refused });
    else throw new Error(`a ${f.event} frame came before the open frame`);
  }
}
