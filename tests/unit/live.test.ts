import { gt, sql } from 'drizzle-orm';
import superjson from 'superjson';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { events, helpEvents, type User } from '@/db/schema';
import { getBus, type EventBus } from '@/server/events/bus';
import { RedisBus } from '@/server/events/redis-bus';
import { frame } from '@/server/events/sse';
import { liveResponse } from '@/server/http/live';
import { LIVE_LIMITS, STREAM_RECHECK } from '@/server/live/connection';
import { openTopic } from '@/server/live/topics';
import { MAX_TOPICS, type LiveTopic } from '@/server/live/types';
import { unassignInvigilator } from '@/server/services/admin/rooms';
import { logout } from '@/server/services/auth';
import { openThread } from '@/server/services/help';
import { assignInvigilator, createRoom, registerCandidate } from '@/server/services/setup';
import { recordEvent } from '@/server/services/timeline';
import { makeCandidate, makeRoomScenario, makeSittingScenario, makeStaff } from '../fixtures/factories';
import { follow, openLive, sessionTokenFor } from '../helpers/live';
import { startRedis, type RedisServer } from '../helpers/redis';
import { useTestDb } from '../helpers/unit-db';
import { asCaller, callerFor, cookieHeaders, makeContext } from '../helpers/unit-support';

/*
 * The live connection (`GET /api/live`: server/http/live.ts, server/live/connection.ts) as a
 * page meets it: refusals as translated JSON, topics refused one by one inside the stream,
 * resuming by per-topic cursors, one serialisation per event, slow readers dropped, heartbeats,
 * bus listeners released, and access re-checked while the connection stays open.
 */

const fx = useTestDb();

const as = (u: User) => callerFor(makeContext(fx.db, u));

// The limits are module state that tests shorten: each test gets them back as they were.
const savedLimits = { ...LIVE_LIMITS };
const savedRecheck = { ...STREAM_RECHECK };
afterEach(() => {
  Object.assign(LIVE_LIMITS, savedLimits);
  Object.assign(STREAM_RECHECK, savedRecheck);
});

/** The newest timeline event id: a grid's cursor after its page load. */
const newestEventId = () =>
  fx.db
    .select({ id: sql<number>`coalesce(max(${events.id}), 0)` })
    .from(events)
    .get()!.id;

/** Stores a room event (announced on the process's bus once committed) and returns it. */
const roomEvent = (roomId: number, candidateId: number) => recordEvent({ db: fx.db, roomId, candidateId, type: 'participant_joined' });

/** Polls until `check` holds (no fixed sleeps); fails with `what` after `ms`. */
async function until(check: () => boolean, what: string, ms = 10_000) {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** `GET /api/live` through the handler, for tests that look at the raw bytes. */
function rawLive(user: User, topics: string[], { cursors, bus = getBus() }: { cursors?: string; bus?: EventBus } = {}) {
  const headers: Record<string, string> = cookieHeaders({ token: sessionTokenFor(fx.db, user) });
  if (cursors) headers['last-event-id'] = cursors;
  const req = new Request(`http://localhost/api/live?topics=${encodeURIComponent(topics.join(','))}`, { headers, signal: fx.stop.signal });
  return liveResponse({ req, db: fx.db, bus });
}

/** Reads the body as text until `enough` says so. */
async function readUntil(reader: ReadableStreamDefaultReader<Uint8Array>, enough: (text: string) => boolean) {
  const decoder = new TextDecoder();
  let text = '';
  while (!enough(text)) {
    const r = await reader.read();
    if (r.done) throw new Error(`the stream ended before the condition held; read: ${text}`);
    text += decoder.decode(r.value, { stream: true });
  }
  return text;
}

const MESSAGES = {
  required: { 'zh-CN': '请先登录。', en: 'Please log in first.' },
  badTopics: {
    'zh-CN': '页面请求了无法识别的实时更新（最多 8 项）。请刷新页面。',
    en: 'This page asked for live updates the server does not know (at most 8 topics). Reload the page.',
  },
  badCursor: { 'zh-CN': '页面的续传位置无效。请刷新页面。', en: "The page's resume position is not valid. Reload the page." },
} as const;

// Generous timeouts: these tests wait on conditions (never on the clock), and a busy machine is slow to meet them.
describe('refusals before the stream: JSON in the reader’s language', { timeout: 30_000 }, () => {
  it('without a session (or with one that does not exist): 401 auth.required, in Chinese by default and in English for an English reader', async () => {
    for (const token of [null, 'no-such-session']) {
      for (const locale of ['zh-CN', 'en'] as const) {
        const live = await openLive({ db: fx.db, token, topics: ['desk'], locale: locale === 'en' ? 'en' : undefined, signal: fx.stop.signal });
        expect(live.res.status).toBe(401);
        expect(live.res.headers.get('cache-control')).toBe('no-store');
        expect(live.json).toEqual({ error: 'auth.required', message: MESSAGES.required[locale] });
      }
    }
  });

  it('a topic the server does not know: 400 live.badTopics, each in its language', async () => {
    const { invigilator } = await makeRoomScenario(fx.db);
    const token = sessionTokenFor(fx.db, invigilator);
    for (const topics of [['desk', 'bogus'], ['room:0'], ['room:x'], ['desk:1'], ['messages:5'], ['']]) {
      for (const locale of ['zh-CN', 'en'] as const) {
        const live = await openLive({ db: fx.db, token, topics, locale, signal: fx.stop.signal });
        expect(live.res.status, topics.join(',')).toBe(400);
        expect(live.json).toEqual({ error: 'live.badTopics', message: MESSAGES.badTopics[locale] });
      }
    }
  });

  it(`more than ${MAX_TOPICS} topics: 400 live.badTopics; ${MAX_TOPICS} are fine, a repeated one counting once`, async () => {
    const { invigilator } = await makeRoomScenario(fx.db);
    const token = sessionTokenFor(fx.db, invigilator);
    const nine = Array.from({ length: MAX_TOPICS + 1 }, (_, i) => `room:${i + 1}`);
    for (const locale of ['zh-CN', 'en'] as const) {
      const tooMany = await openLive({ db: fx.db, token, topics: nine, locale, signal: fx.stop.signal });
      expect(tooMany.res.status).toBe(400);
      expect(tooMany.json).toEqual({ error: 'live.badTopics', message: MESSAGES.badTopics[locale] });
    }

    const eight = await follow(fx.db, invigilator, [...nine.slice(0, MAX_TOPICS), 'room:1'], { signal: fx.stop.signal });
    // Each topic is answered once, opened or refused.
    expect([...eight.opened, ...eight.refused.map((r) => r.topic)].sort()).toEqual(nine.slice(0, MAX_TOPICS).sort());
  });

  it('a malformed cursor header: 400 live.badCursor, each in its language', async () => {
    const { invigilator, room } = await makeRoomScenario(fx.db);
    const token = sessionTokenFor(fx.db, invigilator);
    for (const header of [`room:${room.id}=abc`, 'garbage', 'desk=-1', 'desk=1234567890123456', `room:${room.id}=1;desk=2`]) {
      for (const locale of ['zh-CN', 'en'] as const) {
        const res = await liveResponse({
          req: new Request(`http://localhost/api/live?topics=desk`, {
            headers: { ...cookieHeaders({ token, locale }), 'last-event-id': header },
            signal: fx.stop.signal,
          }),
          db: fx.db,
          bus: getBus(),
        });
        expect(res.status, header).toBe(400);
        expect(await res.json()).toEqual({ error: 'live.badCursor', message: MESSAGES.badCursor[locale] });
      }
    }
  });
});

describe('one connection, several topics', { timeout: 30_000 }, () => {
  it('a refused topic does not stop the others: each refusal has its own frame, the rest open and deliver', async () => {
    const s = await makeSittingScenario(fx.db);
    const cand = s.candidates[0]!;
    const other = await makeRoomScenario(fx.db);
    const admin = await makeStaff(fx.db, 'admin');
    const commands = `commands:${s.exam.id}` as const;
    const notMine = `commands:${other.exam.id}` as const;
    const room = `room:${s.room.id}` as const;

    const live = await follow(fx.db, cand, [commands, room, notMine, 'messages'], { signal: fx.stop.signal });

    expect(live.refused).toEqual([
      { topic: room, code: 'FORBIDDEN', key: 'auth.wrongRole', message: '您没有权限进行此操作。' },
      { topic: notMine, code: 'NOT_FOUND', key: 'exam.notRegistered', message: '未找到您的这场考试。' },
    ]);
    expect(live.opened).toEqual([commands, 'messages']);
    const { messageId: command } = await as(s.invigilator).invigilate.sendMessage({ roomId: s.room.id, candidateId: cand.id, text: '请调整摄像头' });
    const { messageId: notice } = await as(admin).messages.send({ audience: 'candidate', candidateId: cand.id, title: '通知', body: '正文' });
    expect((await live.next(commands)).data).toMatchObject({ type: 'message', messageId: command });
    expect((await live.next('messages')).data).toMatchObject({ id: notice, title: '通知' });
  });

  it('resuming: two topics with different cursors each resume after their own id, with nothing missed or repeated', async () => {
    const s = await makeRoomScenario(fx.db, { candidates: 1 });
    const cand = s.candidates[0]!;
    const room = `room:${s.room.id}` as const;
    // Room events first, so the two topics' ids differ: one cursor applied to both would show.
    for (let i = 0; i < 3; i++) roomEvent(s.room.id, cand.id);

    const first = await follow(fx.db, s.invigilator, [room, 'desk'], { cursors: [[room, newestEventId()]], signal: fx.stop.signal });
    roomEvent(s.room.id, cand.id);
    const thread = openThread({ db: fx.db, candidateId: cand.id, category: 'technical', body: '听不到声音' });
    const seenRoom = await first.next(room);
    const seenDesk = await first.next('desk');
    expect(seenRoom.id).not.toBe(seenDesk.id);
    first.close();
    expect(await first.ended()).toBe(true);

    // While disconnected: two room events, two help messages.
    const offline = [roomEvent(s.room.id, cand.id), roomEvent(s.room.id, cand.id)];
    await as(cand).help.send({ threadId: thread.id, body: '一' });
    await as(cand).help.send({ threadId: thread.id, body: '二' });
    const missedDesk = fx.db.select().from(helpEvents).where(gt(helpEvents.id, seenDesk.id!)).all();
    expect(missedDesk).toHaveLength(2);

    const again = await follow(fx.db, s.invigilator, [room, 'desk'], {
      cursors: [
        [room, seenRoom.id!],
        ['desk', seenDesk.id!],
      ],
      signal: fx.stop.signal,
    });
    expect([(await again.next(room)).id, (await again.next(room)).id]).toEqual(offline.map((e) => e.id));
    const desk = [await again.next('desk'), await again.next('desk')];
    expect(desk.map((f) => f.id)).toEqual(missedDesk.map((e) => e.id));
    expect(desk.map((f) => f.data.message?.body)).toEqual(['一', '二']);

    // Then live, each once.
    const live = roomEvent(s.room.id, cand.id);
    await as(cand).help.send({ threadId: thread.id, body: '三' });
    expect((await again.next(room)).id).toBe(live.id);
    expect((await again.next('desk')).data.message?.body).toBe('三');
    expect(await again.within(100)).toBeUndefined();
  });

  it('an invigilator unassigned from a room gets a refused frame for room:<id> while the desk keeps running, now without that room', async () => {
    STREAM_RECHECK.everyMs = 50;
    const s = await makeRoomScenario(fx.db, { candidates: 1 });
    const admin = await makeStaff(fx.db, 'admin');
    const roomB = createRoom({ db: fx.db, examId: s.exam.id, name: 'B' });
    assignInvigilator({ db: fx.db, roomId: roomB.id, userId: s.invigilator.id });
    const candB = await makeCandidate(fx.db);
    registerCandidate({ db: fx.db, examId: s.exam.id, roomId: roomB.id, candidateId: candB.id, seat: 1 });
    const room = `room:${s.room.id}` as const;
    const live = await follow(fx.db, s.invigilator, [room, 'desk'], { cursors: [[room, newestEventId()]], signal: fx.stop.signal });
    expect(live.opened).toEqual([room, 'desk']);

    unassignInvigilator({ db: fx.db, actorId: admin.id, roomId: s.room.id, userId: s.invigilator.id, removeStaff: async () => {} });

    expect((await live.next('refused')).data).toEqual({ topic: room, code: 'FORBIDDEN', key: 'room.notAssigned', message: '您未被分配到该考场，无法监考。' });
    roomEvent(s.room.id, s.candidates[0]!.id);
    openThread({ db: fx.db, candidateId: s.candidates[0]!.id, category: 'technical', body: 'A 考场的求助' });
    const inB = openThread({ db: fx.db, candidateId: candB.id, category: 'technical', body: 'B 考场的求助' });
    expect((await live.next('desk')).data.thread).toMatchObject({ id: inB.id, roomId: roomB.id });
    expect(await live.within(100, room)).toBeUndefined();
  });

  it('a session logged out mid-stream ends the connection at the next re-check', async () => {
    STREAM_RECHECK.everyMs = 50;
    const { invigilator } = await makeRoomScenario(fx.db);
    const token = sessionTokenFor(fx.db, invigilator);
    const live = await openLive({ db: fx.db, token, topics: ['desk'], signal: fx.stop.signal });
    if (live.json) throw new Error(live.json.error);
    await live.next('open');
    // Several re-checks pass while the session lasts.
    expect(await live.ended(200)).toBe(false);

    logout({ db: fx.db, token });

    expect(await live.ended()).toBe(true);
  });

  it('heartbeats keep a quiet connection alive', async () => {
    LIVE_LIMITS.heartbeatMs = 20;
    const { invigilator } = await makeRoomScenario(fx.db);
    const res = rawLive(invigilator, ['desk']);
    const reader = res.body!.getReader();
    const text = await readUntil(reader, (t) => t.includes(': keep-alive\n\n'));
    expect(text.startsWith('event: open\n')).toBe(true);
    await reader.cancel();
  });
});

describe('one serialisation per event', () => {
  it('frame() returns the very same bytes for the same data object, and a fresh serialisation for another object', () => {
    const data = { title: '通知', at: new Date(0) };
    const bytes = frame('messages', data, 7);
    expect(frame('messages', data, 7)).toBe(bytes);
    expect(new TextDecoder().decode(bytes)).toBe(`event: messages\nid: 7\ndata: ${superjson.stringify(data)}\n\n`);
    const copy = frame('messages', { ...data }, 7);
    expect(copy).not.toBe(bytes);
    expect(copy).toEqual(bytes);
    // Another topic name or id is another frame.
    expect(new TextDecoder().decode(frame('room:1', data, 8))).toMatch(/^event: room:1\nid: 8\n/);
  });

  it('two candidates receiving one broadcast get the same data object, so their frames are the same bytes', async () => {
    const s = await makeRoomScenario(fx.db, { candidates: 2 });
    const admin = await makeStaff(fx.db, 'admin');
    const open = (u: User) => openTopic({ db: fx.db, bus: getBus(), caller: asCaller(u) }, 'messages', 0, null, fx.stop.signal);
    const [a, b] = await Promise.all(s.candidates.map(open));

    const { messageId } = await as(admin).messages.send({ audience: 'all', title: '全体通知', body: '正文' });

    const [x, y] = await Promise.all([a!.items[Symbol.asyncIterator]().next(), b!.items[Symbol.asyncIterator]().next()]);
    expect(x.value).toMatchObject({ id: messageId, data: { id: messageId, title: '全体通知' } });
    expect(x.value!.data).toBe(y.value!.data);
    expect(frame('messages', x.value!.data, x.value!.id)).toBe(frame('messages', y.value!.data, y.value!.id));
  });

  it('two staff watching one room get the same tile update object for an event', async () => {
    const s = await makeRoomScenario(fx.db, { candidates: 1 });
    const admin = await makeStaff(fx.db, 'admin');
    const after = newestEventId();
    const open = (u: User) => openTopic({ db: fx.db, bus: getBus(), caller: asCaller(u) }, 'room', s.room.id, after, fx.stop.signal);
    const [a, b] = await Promise.all([open(s.invigilator), open(admin)]);

    const stored = roomEvent(s.room.id, s.candidates[0]!.id);

    const [x, y] = await Promise.all([a.items[Symbol.asyncIterator]().next(), b.items[Symbol.asyncIterator]().next()]);
    expect(x.value!.id).toBe(stored.id);
    expect(x.value!.data).toBe(y.value!.data);
  });
});

describe('bus listeners (Redis, where they can be counted)', { timeout: 30_000 }, () => {
  let redis: RedisServer;
  let bus: RedisBus;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  beforeEach(() => {
    bus = new RedisBus({ url: redis.url, prefix: `live${Math.random().toString(36).slice(2)}:`, log: () => {} });
  });
  afterEach(async () => {
    await bus.close();
  });

  it('closing the page releases every topic’s bus subscription', async () => {
    const s = await makeRoomScenario(fx.db);
    const admin = await makeStaff(fx.db, 'admin');
    const { messageId } = await as(admin).messages.send({ audience: 'room', roomId: s.room.id, title: '提醒', body: '正文' });
    const topics: LiveTopic[] = [`room:${s.room.id}`, 'desk', `stats:${messageId}`];
    const live = await follow(fx.db, admin, topics, { bus, signal: fx.stop.signal });
    expect(live.opened).toEqual(topics);
    expect(bus.subscribedChannels()).toEqual({ [`room:${s.room.id}`]: 1, 'help:desk': 1, [`messages:stats:${messageId}`]: 1 });

    live.close();

    await until(() => Object.keys(bus.subscribedChannels()).length === 0, 'the subscriptions to be released');
    expect(await live.ended()).toBe(true);
  });

  it('a reader that stops reading is dropped once it is too far behind, and its topics’ bus subscriptions are released', async () => {
    LIVE_LIMITS.maxQueuedBytes = 1;
    const s = await makeRoomScenario(fx.db, { candidates: 1 });
    const topic = `room:${s.room.id}`;
    const res = rawLive(s.invigilator, [topic], { cursors: `${topic}=${newestEventId()}`, bus });
    const reader = res.body!.getReader();
    await readUntil(reader, (t) => t.includes('event: open\n'));
    expect(bus.subscribedChannels()).toEqual({ [topic]: 1 });

    // The page stops reading while the room's events keep coming (each is read back from the
    // database by the Redis bus's gap read, so they are stored first).
    let sent = 0;
    const listening = () => Object.keys(bus.subscribedChannels()).length > 0;
    while (listening() && sent < 500) {
      bus.emit(`room:${s.room.id}`, roomEvent(s.room.id, s.candidates[0]!.id));
      sent++;
      // Lets the topic turn the event into a frame before the next one.
      await new Promise((r) => setImmediate(r));
    }
    await until(() => !listening(), 'the slow reader to be dropped');
    // What was queued for it is gone: the next read fails instead of delivering a backlog.
    await expect(reader.read()).rejects.toThrow(/too slow/);
  });
});
