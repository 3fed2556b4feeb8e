import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BACKOFF, reconnectDelay } from '@/components/live/backoff';
import { LiveClient } from '@/components/live/live-client';
import { getBus } from '@/server/events/bus';
import { liveResponse } from '@/server/http/live';
import type { LiveRefused } from '@/server/live/types';
import { sendSystemMessage } from '@/server/services/messages';
import { makeRoomScenario, makeStaff } from '../fixtures/factories';
import { sessionTokenFor } from '../helpers/live';
import { useTestDb } from '../helpers/unit-db';
import { asStaff } from '../helpers/unit-support';

const fx = useTestDb();

const saved = { ...BACKOFF };
beforeEach(() => Object.assign(BACKOFF, { firstMs: 50, baseMs: 20, capMs: 200 }));
afterEach(() => Object.assign(BACKOFF, saved));

/**
 * The browser's fetch, answered by the real /api/live handler with a session cookie. `drop()`
 * ends every open response from the server's side, as a restart or a proxy would.
 */
function serverFor(token: string) {
  const requests: { topics: string; cursors: string | null; server: AbortController }[] = [];
  const fetchFn = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), 'http://localhost');
    const server = new AbortController();
    init?.signal?.addEventListener('abort', () => server.abort(), { once: true });
    const headers = new Headers(init?.headers);
    headers.set('cookie', `sid=${token}`);
    requests.push({ topics: url.searchParams.get('topics') ?? '', cursors: headers.get('last-event-id'), server });
    return liveResponse({ req: new Request(url, { headers, signal: server.signal }), db: fx.db, bus: getBus() });
  }) as typeof fetch;
  return { fetchFn, requests, drop: () => requests.forEach((r) => r.server.abort()) };
}

function broadcast(admin: Awaited<ReturnType<typeof makeStaff>>, title: string) {
  return sendSystemMessage({
    db: fx.db,
    bus: getBus(),
    caller: asStaff(admin),
    input: { audience: 'all', title, body: title, priority: 'normal', mustAcknowledge: false },
  });
}

describe('LiveClient: one connection per tab', () => {
  it('hooks mounting together share one request; a dropped connection resumes each topic after its last id, with nothing missed or repeated', async () => {
    const s = await makeRoomScenario(fx.db);
    const admin = await makeStaff(fx.db, 'admin');
    const cand = s.candidates[0]!;
    const server = serverFor(sessionTokenFor(fx.db, cand));
    const client = new LiveClient('/api/live', server.fetchFn);
    const got: string[] = [];
    const opened: string[] = [];
    const offA = client.subscribe('messages', { onData: (m) => got.push((m as { title: string }).title), onOpen: () => opened.push('messages') });
    const offB = client.subscribe(`commands:${s.exam.id}`, { onData: () => {}, onOpen: () => opened.push('commands') });
    try {
      await vi.waitFor(() => expect(opened.sort()).toEqual(['commands', 'messages']), { timeout: 5_000 });
      expect(server.requests).toHaveLength(1);
      expect(server.requests[0]!.topics.split(',').sort()).toEqual([`commands:${s.exam.id}`, 'messages']);

      broadcast(admin, 'one');
      await vi.waitFor(() => expect(got).toEqual(['one']), { timeout: 5_000 });

      // The server drops the stream; two messages are sent before the tab is back.
      server.drop();
      broadcast(admin, 'two');
      broadcast(admin, 'three');
      await vi.waitFor(() => expect(got).toEqual(['one', 'two', 'three']), { timeout: 10_000 });
      const resumed = server.requests.at(-1)!;
      expect(server.requests.length).toBeGreaterThanOrEqual(2);
      expect(resumed.cursors).toMatch(/(^|,)messages=\d+/);
      expect(client.status('messages')).toBe('live');
    } finally {
      offA();
      offB();
      client.close();
    }
  });

  it('a refused topic is reported to its hook and left out of the next connection; the others keep running', async () => {
    const s = await makeRoomScenario(fx.db);
    const admin = await makeStaff(fx.db, 'admin');
    const server = serverFor(sessionTokenFor(fx.db, s.candidates[0]!));
    const client = new LiveClient('/api/live', server.fetchFn);
    const refusals: LiveRefused[] = [];
    const got: string[] = [];
    const offRoom = client.subscribe(`room:${s.room.id}`, { onData: () => {}, onRefused: (r) => refusals.push(r) });
    const offMsg = client.subscribe('messages', { onData: (m) => got.push((m as { title: string }).title) });
    try {
      await vi.waitFor(() => expect(refusals.map((r) => r.key)).toEqual(['auth.wrongRole']), { timeout: 5_000 });
      expect(client.status(`room:${s.room.id}`)).toBe('refused');
      broadcast(admin, 'still here');
      await vi.waitFor(() => expect(got).toEqual(['still here']), { timeout: 5_000 });
      server.drop();
      await vi.waitFor(() => expect(server.requests.length).toBeGreaterThanOrEqual(2), { timeout: 5_000 });
      expect(server.requests.at(-1)!.topics).toBe('messages');
    } finally {
      offRoom();
      offMsg();
      client.close();
    }
  });

  it('unsubscribing the last hook of a topic reconnects without it, and the last hook closes the connection', async () => {
    const s = await makeRoomScenario(fx.db);
    const server = serverFor(sessionTokenFor(fx.db, s.candidates[0]!));
    const client = new LiveClient('/api/live', server.fetchFn);
    const offMsg = client.subscribe('messages', { onData: () => {} });
    const offHelp = client.subscribe('help', { onData: () => {} });
    try {
      await vi.waitFor(() => expect(client.status('help')).toBe('live'), { timeout: 5_000 });
      offHelp();
      await vi.waitFor(() => expect(server.requests.at(-1)!.topics).toBe('messages'), { timeout: 5_000 });
      expect(server.requests.slice(0, -1).every((r) => r.server.signal.aborted)).toBe(true);
      offMsg();
      await vi.waitFor(() => expect(server.requests.every((r) => r.server.signal.aborted)).toBe(true), { timeout: 5_000 });
    } finally {
      client.close();
    }
  });
});

describe('reconnectDelay: full jitter', () => {
  it('stays inside its window, doubles up to the cap, and spreads 5,000 tabs over the first window', () => {
    Object.assign(BACKOFF, saved);
    expect(reconnectDelay(0, () => 0)).toBe(0);
    expect(reconnectDelay(0, () => 0.999)).toBeLessThanOrEqual(BACKOFF.firstMs);
    expect(reconnectDelay(2, () => 1)).toBe(4 * BACKOFF.baseMs);
    expect(reconnectDelay(30, () => 1)).toBe(BACKOFF.capMs);
    // 5,000 tabs after a restart: the 30 slots of 100 ms expect about 167 each; none gets more
    // than 5% of the tabs (250: over six standard deviations, so this does not fail by chance).
    const slots: number[] = new Array(BACKOFF.firstMs / 100).fill(0);
    for (let i = 0; i < 5000; i++) slots[Math.min(slots.length - 1, Math.floor(reconnectDelay(0) / 100))]!++;
    expect(Math.max(...slots)).toBeLessThan(250);
    expect(Math.min(...slots)).toBeGreaterThan(90);
  });
});
