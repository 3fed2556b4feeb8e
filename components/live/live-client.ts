import superjson from 'superjson';
import { CURSORS_HEADER, encodeCursors, MAX_TOPICS, type LiveOpen, type LiveRefused, type LiveTopic } from '@/server/live/types';
import { reconnectDelay } from './backoff';

export type LiveStatus = 'connecting' | 'live' | 'refused';

export type LiveListener = {
  onData: (data: unknown, id: number | undefined) => void;
  /** Each time the connection (re)opens with this topic in it. */
  onOpen?: () => void;
  onRefused?: (refusal: LiveRefused) => void;
};

type TopicState = {
  listeners: Set<LiveListener>;
  /** The last tracked id received: sent back on a reconnect, so the server resumes after it. */
  cursor: number | null;
  status: LiveStatus;
  refusal: LiveRefused | null;
};

/** A stream that has said nothing (not even a heartbeat, every 15 s) for this long is taken as dead. */
const STALL_MS = 45_000;
/** How often a tab whose session ended tries again (a new login in another tab brings it back). */
const SIGNED_OUT_RETRY_MS = 60_000;

/**
 * A tab's one live connection (`GET /api/live`), shared by every hook on the page. Hooks register
 * topics; the client keeps one streaming request carrying all of them, each resumed after its
 * last id on a reconnect. A change of topics reconnects at once (a few ms later, so a page
 * mounting several hooks opens one request); a lost connection reconnects after a random
 * delay (`reconnectDelay`), so a server restart is not met by every tab in the same second.
 */
export class LiveClient {
  private readonly topics = new Map<LiveTopic, TopicState>();
  private readonly watchers = new Set<() => void>();
  private current: { topics: string; abort: AbortController } | null = null;
  private syncTimer: ReturnType<typeof setTimeout> | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private signedOut = false;
  private closed = false;

  constructor(
    private readonly url = '/api/live',
    private readonly fetchFn: typeof fetch = (...args) => fetch(...args),
  ) {}

  /** Follows a topic; `after` is where to start when the topic is new here (null: as a page load). Returns the unsubscribe. */
  subscribe(topic: LiveTopic, listener: LiveListener, after: number | null = null): () => void {
    let state = this.topics.get(topic);
    if (!state) {
      state = { listeners: new Set(), cursor: after, status: 'connecting', refusal: null };
      this.topics.set(topic, state);
    } else if (state.status === 'refused' && !state.listeners.size) {
      // Asked again after a refusal (e.g. a remount): try once more.
      state.status = 'connecting';
      state.refusal = null;
    }
    state.listeners.add(listener);
    if (state.status === 'refused' && state.refusal) listener.onRefused?.(state.refusal);
    this.scheduleSync();
    return () => {
      state.listeners.delete(listener);
      this.scheduleSync();
    };
  }

  status(topic: LiveTopic): LiveStatus {
    return this.topics.get(topic)?.status ?? 'connecting';
  }

  /** For useSyncExternalStore: called on every status change. */
  watch(cb: () => void): () => void {
    this.watchers.add(cb);
    return () => this.watchers.delete(cb);
  }

  close() {
    this.closed = true;
    this.current?.abort.abort();
    this.current = null;
    if (this.syncTimer) clearTimeout(this.syncTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }

  private notify() {
    for (const cb of this.watchers) cb();
  }

  private setStatus(topic: LiveTopic, status: LiveStatus) {
    const s = this.topics.get(topic);
    if (!s || s.status === status) return;
    s.status = status;
    this.notify();
  }

  private scheduleSync() {
    if (this.syncTimer || this.closed) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      this.sync();
    }, 20);
  }

  /** The topics the connection should carry: those with listeners and not refused. */
  private wanted(): LiveTopic[] {
    for (const [topic, s] of this.topics) if (!s.listeners.size) this.topics.delete(topic);
    return [...this.topics]
      .filter(([, s]) => s.status !== 'refused')
      .map(([t]) => t)
      .sort()
      .slice(0, MAX_TOPICS);
  }

  /** Opens, replaces or closes the connection so that it carries exactly the wanted topics. */
  private sync() {
    if (this.closed) return;
    const topics = this.wanted();
    const key = topics.join(',');
    if (this.current?.topics === key) return;
    this.current?.abort.abort();
    this.current = null;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
    }
    if (!topics.length) return;
    const abort = new AbortController();
    this.current = { topics: key, abort };
    void this.run(topics, abort).then((again) => {
      // Replaced by a connection with other topics, or closed: nothing to retry.
      if (this.closed || !again || this.current?.abort !== abort) return;
      // Dropped by the network, the server or a restart: come back after a random while.
      this.current = null;
      for (const t of topics) if (this.topics.get(t)?.status === 'live') this.setStatus(t, 'connecting');
      const delay = this.signedOut ? SIGNED_OUT_RETRY_MS : reconnectDelay(this.failures++);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        this.sync();
      }, delay);
    });
  }

  /** One connection, until it ends. Resolves true when it should be retried. */
  private async run(topics: LiveTopic[], abort: AbortController): Promise<boolean> {
    const cursors = topics.flatMap((t): [LiveTopic, number][] => {
      const c = this.topics.get(t)?.cursor;
      return c != null ? [[t, c]] : [];
    });
    let stall: ReturnType<typeof setTimeout> | undefined;
    let stalled = false;
    const alive = () => {
      clearTimeout(stall);
      stall = setTimeout(() => {
        stalled = true;
        abort.abort();
      }, STALL_MS);
    };
    try {
      alive();
      const res = await this.fetchFn(`${this.url}?topics=${encodeURIComponent(topics.join(','))}`, {
        headers: cursors.length ? { [CURSORS_HEADER]: encodeCursors(cursors) } : {},
        signal: abort.signal,
        cache: 'no-store',
        credentials: 'same-origin',
      });
      // Logged out (here or in another tab): ask again now and then, not every few seconds.
      this.signedOut = res.status === 401;
      if (!res.ok || !res.body) return true;
      const reader = res.body.getReader();
      const decoder = new TextDecoder();
      let buf = '';
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return true;
        alive();
        buf += decoder.decode(value, { stream: true });
        let at: number;
        while ((at = buf.indexOf('\n\n')) >= 0) {
          this.dispatch(buf.slice(0, at));
          buf = buf.slice(at + 2);
        }
      }
    } catch {
      // A network error or a stall: retry. Our own abort (a change of topics, close): don't.
      return stalled || !abort.signal.aborted;
    } finally {
      clearTimeout(stall);
    }
  }

  private dispatch(block: string) {
    let event = '';
    let id: number | undefined;
    let data = '';
    for (const line of block.split('\n')) {
      if (line.startsWith('event: ')) event = line.slice(7);
      else if (line.startsWith('id: ')) id = Number(line.slice(4));
      else if (line.startsWith('data: ')) data += line.slice(6);
    }
    if (!event || !data) return;
    const payload = superjson.parse(data);
    if (event === 'open') {
      this.failures = 0;
      for (const topic of (payload as LiveOpen).topics) {
        this.setStatus(topic, 'live');
        for (const l of this.topics.get(topic)?.listeners ?? []) l.onOpen?.();
      }
      return;
    }
    if (event === 'refused') {
      const refusal = payload as LiveRefused;
      const s = this.topics.get(refusal.topic);
      if (!s) return;
      s.refusal = refusal;
      this.setStatus(refusal.topic, 'refused');
      for (const l of s.listeners) l.onRefused?.(refusal);
      return;
    }
    const s = this.topics.get(event as LiveTopic);
    if (!s) return;
    if (id != null) s.cursor = id;
    for (const l of s.listeners) l.onData(payload, id);
  }
}
