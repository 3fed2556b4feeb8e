import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { openDb } from '@/db/client';
import { recordingChunks, recordings, type RecordingTrack } from '@/db/schema';
import { getBus } from '@/server/events/bus';
import { metricsRefusal, renderMetrics } from '@/server/http/ops';
import { handleLivekitWebhook } from '@/server/livekit/webhook';
import { candidateIdentity } from '@/server/livekit/tokens';
import { metrics } from '@/server/metrics';
import { createFlag } from '@/server/services/invigilate';
import { connectedCandidates, uploadBacklog } from '@/server/services/monitoring';
import { roomTiles } from '@/server/services/rooms';
import { recordEvent } from '@/server/services/timeline';
import { makeRoomScenario, makeSittingScenario, makeStaff } from '../fixtures/factories';
import { createTestDb } from '../helpers/db';
import { openLive, sessionTokenFor } from '../helpers/live';
import { asStaff, signWebhook, webhookBody } from '../helpers/unit-support';

// Route handlers read the app's database: this test's.
const route = vi.hoisted(() => ({ db: undefined as unknown }));
vi.mock('@/server/db', () => ({ getDb: () => route.db }));

let db: ReturnType<typeof createTestDb>;
beforeEach(() => {
  db = createTestDb();
  route.db = db;
});
afterEach(() => db.cleanup());

/* ------------------------------------------------------------------ reading the exposition */

type Samples = Map<string, number>;

/**
 * Parses Prometheus' text exposition format strictly: every line is a HELP or TYPE comment or a
 * sample `name{label="value",...} number`; a sample's metric family must have been TYPEd. Returns
 * samples keyed `name{labels}` as printed (labels in the order written).
 */
function parseExposition(text: string): { samples: Samples; types: Map<string, string> } {
  const samples: Samples = new Map();
  const types = new Map<string, string>();
  const name = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  // prom-client writes NaN as `Nan`; Prometheus reads the value with Go's ParseFloat, which ignores case.
  const sample = new RegExp(`^(${name})(\\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\\]|\\\\.)*",?)*\\})? (-?[0-9.eE+-]+|[Nn][Aa][Nn]|\\+Inf|-Inf)$`);
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const typed = new RegExp(`^# TYPE (${name}) (counter|gauge|histogram|summary|untyped)$`).exec(line);
    if (typed) {
      types.set(typed[1]!, typed[2]!);
      continue;
    }
    if (new RegExp(`^# HELP ${name} .*$`).test(line)) continue;
    const m = sample.exec(line);
    if (!m) throw new Error(`not a line of the exposition format: ${line}`);
    const family = m[1]!.replace(/_(bucket|sum|count|total)$/, '');
    if (!types.has(m[1]!) && !types.has(family)) throw new Error(`sample before its TYPE: ${line}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return { samples, types };
}

async function scrape(now = new Date()) {
  return parseExposition((await renderMetrics({ db: () => db, now })).body);
}

const flagsRaised = async (kind: string) => (await scrape()).samples.get(`exam_flags_raised_total{kind="${kind}"}`);

/** Lets queued microtasks (the announcement after a commit) run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

/* ------------------------------------------------------------------ tests */

describe('GET /api/metrics: the exposition', () => {
  it('parses as Prometheus text and holds every metric: candidates, streams, backlog, flags, event-loop lag, webhook delay', async () => {
    const { samples, types } = await scrape();
    expect(Object.fromEntries([...types].filter(([n]) => n.startsWith('exam_') || n.startsWith('nodejs_eventloop_lag_seconds')))).toEqual({
      exam_flags_raised_total: 'counter',
      exam_livekit_webhook_delay_seconds: 'histogram',
      exam_live_streams: 'gauge',
      exam_candidates_connected: 'gauge',
      exam_upload_backlog_chunks: 'gauge',
      exam_upload_backlog_bytes: 'gauge',
      nodejs_eventloop_lag_seconds: 'gauge',
    });
    for (const key of [
      'exam_candidates_connected{device="pc"}',
      'exam_candidates_connected{device="phone"}',
      'exam_live_streams',
      'exam_upload_backlog_bytes{track="screen"}',
      'exam_upload_backlog_chunks{track="witness"}',
      'exam_flags_raised_total{kind="left_room"}',
      'exam_livekit_webhook_delay_seconds_count',
      'exam_livekit_webhook_delay_seconds_bucket{le="+Inf"}',
      'nodejs_eventloop_lag_p99_seconds',
    ]) {
      expect(samples.has(key), key).toBe(true);
    }
  });

  it('the route serves it to this machine in the exposition content type, never cached', async () => {
    const { GET } = await import('@/app/api/metrics/route');
    const res = await GET(new Request('http://127.0.0.1/api/metrics', { headers: { 'x-forwarded-for': '127.0.0.1' } }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(parseExposition(await res.text()).samples.has('exam_live_streams')).toBe(true);
  });

  it('one set of metrics per process: a module evaluated again (a route bundle, a dev reload) finds it and registers nothing twice', async () => {
    const first = metrics();
    vi.resetModules();
    const again = await import('@/server/metrics');
    expect(again.metrics()).toBe(first);
    expect((await first.registry.getMetricsAsJSON()).filter((m) => m.name === 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
  });
});

describe('who may read metrics', () => {
  const req = (headers: Record<string, string>) => new Request('http://app/api/metrics', { headers });

  it('without METRICS_TOKEN, only a client on this machine: IPv4 and IPv6 loopback pass; any other address, or none, is refused', () => {
    expect(metricsRefusal(req({ 'x-forwarded-for': '127.0.0.1' }), undefined)).toBeNull();
    expect(metricsRefusal(req({ 'x-forwarded-for': '::1' }), undefined)).toBeNull();
    expect(metricsRefusal(req({ 'x-forwarded-for': '::ffff:127.0.0.1' }), undefined)).toBeNull();
    expect(metricsRefusal(req({ 'x-forwarded-for': '203.0.113.7' }), undefined)).toEqual({ status: 403, key: 'metrics.loopbackOnly' });
    expect(metricsRefusal(req({}), undefined)).toEqual({ status: 403, key: 'metrics.loopbackOnly' });
    // A client cannot claim loopback: the hop Next wrote (the socket) is the last one.
    expect(metricsRefusal(req({ 'x-forwarded-for': '127.0.0.1, 203.0.113.7' }), undefined)).toEqual({ status: 403, key: 'metrics.loopbackOnly' });
  });

  it('with METRICS_TOKEN, the bearer token and nothing else, from anywhere (loopback included)', () => {
    const token = 'metrics-token-0123456789abcdef';
    expect(metricsRefusal(req({ authorization: `Bearer ${token}`, 'x-forwarded-for': '203.0.113.7' }), token)).toBeNull();
    expect(metricsRefusal(req({ authorization: `bearer ${token}` }), token)).toBeNull();
    for (const authorization of [undefined, `Bearer ${token}x`, `Bearer ${token.slice(1)}`, `Basic ${token}`, token]) {
      const headers: Record<string, string> = { 'x-forwarded-for': '127.0.0.1' };
      if (authorization) headers.authorization = authorization;
      expect(metricsRefusal(req(headers), token)).toEqual({ status: 401, key: 'metrics.tokenRequired' });
    }
  });

  it('a refused scrape gets a translated message and no metrics', async () => {
    const { GET } = await import('@/app/api/metrics/route');
    const res = await GET(new Request('http://app/api/metrics', { headers: { 'x-forwarded-for': '203.0.113.7', cookie: 'NEXT_LOCALE=en' } }));
    expect(res.status).toBe(403);
    const body = await res.text();
    expect(JSON.parse(body)).toEqual({ error: 'metrics.loopbackOnly', message: 'Metrics are served only to this machine unless METRICS_TOKEN is set.' });
    expect(body).not.toContain('exam_');
  });
});

describe('flags raised', () => {
  it('counts each committed flag by kind: an invigilator’s own, and one raised automatically', async () => {
    const s = await makeSittingScenario(db, { candidates: 1 });
    const candidateId = s.candidates[0]!.id;
    const manualBefore = (await flagsRaised('manual'))!;
    const hiddenBefore = (await flagsRaised('tab_hidden'))!;

    createFlag({ db, caller: asStaff(s.invigilator), roomId: s.room.id, candidateId, note: '桌上有手机' });
    recordEvent({ db, roomId: s.room.id, candidateId, type: 'integrity.page_hidden' });
    await settle();

    expect(await flagsRaised('manual')).toBe(manualBefore + 1);
    expect(await flagsRaised('tab_hidden')).toBe(hiddenBefore + 1);
  });

  it('a flag rolled back with its transaction is not counted', async () => {
    const s = await makeSittingScenario(db, { candidates: 1 });
    const before = (await flagsRaised('manual'))!;
    expect(() =>
      db.transaction(() => {
        createFlag({ db, caller: asStaff(s.invigilator), roomId: s.room.id, candidateId: s.candidates[0]!.id, note: '撤销' });
        throw new Error('rolled back');
      }),
    ).toThrow('rolled back');
    await settle();
    expect(await flagsRaised('manual')).toBe(before);
  });
});

describe('webhook delay', () => {
  it('the webhook route observes now minus the event’s creation time for each event it stores; refused ones are not observed', async () => {
    const { POST } = await import('@/app/api/livekit/webhook/route');
    const s = await makeRoomScenario(db, { candidates: 1 });
    const read = async () => {
      const { samples } = await scrape();
      return {
        count: samples.get('exam_livekit_webhook_delay_seconds_count')!,
        sum: samples.get('exam_livekit_webhook_delay_seconds_sum')!,
        upTo2s: samples.get('exam_livekit_webhook_delay_seconds_bucket{le="2"}')!,
      };
    };
    const before = await read();
    const rawBody = webhookBody({
      event: 'participant_joined',
      room: s.room.livekitRoom,
      identity: candidateIdentity(s.candidates[0]!.id, 'pc'),
      createdAt: Math.floor(Date.now() / 1000) - 3,
    });
    const post = (authorization: string) =>
      POST(
        new Request('http://app/api/livekit/webhook', {
          method: 'POST',
          headers: { authorization, 'content-type': 'application/webhook+json' },
          body: rawBody,
        }),
      );

    expect((await post('not a signature')).status).toBe(401);
    expect(await read()).toEqual(before);

    expect((await post(await signWebhook(rawBody))).status).toBe(200);
    const after = await read();
    expect(after.count).toBe(before.count + 1);
    // Created at least 3 s before it was stored.
    expect(after.sum - before.sum).toBeGreaterThanOrEqual(3);
    expect(after.upTo2s).toBe(before.upTo2s);
  });
});

describe('connected candidates', () => {
  let clock = Math.floor(Date.now() / 1000) - 600;
  async function deliver(room: string, candidateId: number, device: 'pc' | 'phone', event: string, track?: string) {
    const rawBody = webhookBody({
      event,
      room,
      identity: candidateIdentity(candidateId, device),
      createdAt: ++clock,
      ...(track ? { track: { source: track } } : {}),
    });
    const res = await handleLivekitWebhook({ db, bus: getBus(), rawBody, authorization: await signWebhook(rawBody) });
    expect(res.stored).toBeDefined();
  }

  it('counts each device whose tile is live, as the grid folds it, whether read whole or event by event since the last scrape', async () => {
    const s = await makeSittingScenario(db, { candidates: 6 });
    const [a, b, c, d, e, f] = s.candidates.map((x) => x.id) as [number, number, number, number, number, number];
    const room = s.room.livekitRoom;
    // The first scrape starts following the room; the events below arrive between scrapes.
    expect(await connectedCandidates({ db })).toEqual({ pc: 0, phone: 0 });
    await deliver(room, a, 'pc', 'participant_joined');
    await deliver(room, a, 'pc', 'track_published', 'SCREEN_SHARE');
    await deliver(room, b, 'pc', 'participant_joined');
    await deliver(room, b, 'pc', 'participant_left');
    await deliver(room, c, 'pc', 'participant_joined');
    expect(await connectedCandidates({ db })).toEqual({ pc: 2, phone: 0 });
    await deliver(room, c, 'phone', 'participant_joined');
    await deliver(room, d, 'pc', 'participant_joined');
    await deliver(room, d, 'pc', 'participant_connection_aborted');
    await deliver(room, e, 'phone', 'participant_joined');
    await deliver(room, e, 'phone', 'track_unpublished', 'CAMERA');
    // A feed published again while reconnecting: the tile keeps it reconnecting.
    await deliver(room, f, 'pc', 'participant_joined');
    await deliver(room, f, 'pc', 'track_published', 'CAMERA');
    await deliver(room, f, 'pc', 'participant_connection_aborted');
    await deliver(room, f, 'pc', 'track_published', 'CAMERA');

    const tiles = roomTiles({ db, roomId: s.room.id });
    const fromTiles = { pc: tiles.filter((t) => t.pc.status === 'live').length, phone: tiles.filter((t) => t.phone.status === 'live').length };
    expect(fromTiles).toEqual({ pc: 2, phone: 2 });
    expect(await connectedCandidates({ db })).toEqual(fromTiles);
    // Another handle on the same file has followed nothing: it reads the room whole, three ids at a time.
    const other = openDb(db.$client.name);
    try {
      expect(await connectedCandidates({ db: other, span: 3 })).toEqual(fromTiles);
    } finally {
      other.$client.close();
    }

    // LiveKit reconnects d: it is counted again.
    await deliver(room, d, 'pc', 'participant_joined');
    const { samples } = await scrape();
    expect(samples.get('exam_candidates_connected{device="pc"}')).toBe(3);
    expect(samples.get('exam_candidates_connected{device="phone"}')).toBe(2);
  });

  it('counts an exam from its entry opening until a day after its end, even if LiveKit never said its candidates left', async () => {
    const s = await makeRoomScenario(db, { candidates: 1, exam: { opensIn: 60, closesIn: 120, startsIn: 90, durationMinutes: 60 } });
    await deliver(s.room.livekitRoom, s.candidates[0]!.id, 'pc', 'participant_joined');
    const at = (min: number) => new Date(Date.now() + min * 60_000);
    expect((await connectedCandidates({ db })).pc).toBe(0);
    expect((await connectedCandidates({ db, now: at(61) })).pc).toBe(1);
    const dayAfterEnd = (s.exam.startsAt.getTime() + (s.exam.durationMinutes + 24 * 60) * 60_000 - Date.now()) / 60_000;
    expect((await connectedCandidates({ db, now: at(dayAfterEnd - 1) })).pc).toBe(1);
    expect((await connectedCandidates({ db, now: at(dayAfterEnd + 1) })).pc).toBe(0);
  });
});

describe('upload backlog', () => {
  /** A recording with the chunks `seqs` received (`size` bytes each), straight into the ledger. */
  function ledger(o: { candidateId: number; examId: number; track: RecordingTrack; expected?: number; seqs: number[]; size: number; complete?: boolean }) {
    const rec = db
      .insert(recordings)
      .values({
        candidateId: o.candidateId,
        examId: o.examId,
        track: o.track,
        clientKey: `k-${Math.random()}`,
        mimeType: 'video/webm',
        startedAt: new Date(),
        expectedChunks: o.expected ?? null,
        receivedChunks: o.seqs.length,
        receivedBytes: o.seqs.length * o.size,
        completedAt: o.complete ? new Date() : null,
      })
      .returning()
      .get();
    for (const seq of o.seqs) {
      db.insert(recordingChunks)
        .values({ recordingId: rec.id, seq, size: o.size, sha256: '0'.repeat(64), path: `x/${rec.id}/${seq}`, receivedAt: new Date() })
        .run();
    }
    return rec;
  }

  it('counts the chunks the ledger is owed (exactly) and their bytes (at the recording’s mean chunk size), by track', async () => {
    const s = await makeSittingScenario(db, { candidates: 3 });
    const [a, b, c] = s.candidates.map((x) => x.id) as [number, number, number];
    const examId = s.exam.id;
    // Finished: 10 chunks, 6 arrived -> 4 owed at 1000 bytes.
    ledger({ candidateId: a, examId, track: 'screen', expected: 10, seqs: [0, 1, 2, 3, 4, 5], size: 1000 });
    // Still recording: 0, 1 and 3 arrived -> 2 is owed (what comes after 3 is not known yet).
    ledger({ candidateId: b, examId, track: 'screen', seqs: [0, 1, 3], size: 2000 });
    // Complete: owes nothing.
    ledger({ candidateId: c, examId, track: 'screen', expected: 2, seqs: [0, 1], size: 5000, complete: true });
    // Finished with nothing received: 5 owed, at the mean of the track's other camera chunks (3000).
    ledger({ candidateId: a, examId, track: 'camera', expected: 5, seqs: [], size: 0 });
    ledger({ candidateId: b, examId, track: 'camera', expected: 2, seqs: [0, 1], size: 3000, complete: false });

    expect(uploadBacklog({ db })).toEqual({
      screen: { chunks: 5, bytes: 4 * 1000 + 2000 },
      camera: { chunks: 5, bytes: 5 * 3000 },
      witness: { chunks: 0, bytes: 0 },
    });
    const { samples } = await scrape();
    expect(samples.get('exam_upload_backlog_chunks{track="screen"}')).toBe(5);
    expect(samples.get('exam_upload_backlog_bytes{track="camera"}')).toBe(15_000);
  });

  it('a recording whose uploads are closed (a day after the sitting ended) is no longer owed anything', async () => {
    const s = await makeSittingScenario(db, { candidates: 1 });
    ledger({ candidateId: s.candidates[0]!.id, examId: s.exam.id, track: 'witness', expected: 4, seqs: [0], size: 100 });
    expect(uploadBacklog({ db }).witness).toEqual({ chunks: 3, bytes: 300 });
    const end = s.exam.startsAt.getTime() + s.exam.durationMinutes * 60_000;
    expect(uploadBacklog({ db, now: new Date(end + 24 * 3600_000 - 1000) }).witness.chunks).toBe(3);
    expect(uploadBacklog({ db, now: new Date(end + 24 * 3600_000 + 1000) }).witness.chunks).toBe(0);
  });
});

describe('open live streams', () => {
  it('counts the live connections this process holds: one more while a page is connected, back when it goes', async () => {
    const agent = await makeStaff(db, 'support');
    const streams = async () => (await scrape()).samples.get('exam_live_streams')!;
    const before = await streams();
    const live = await openLive({ db, token: sessionTokenFor(db, agent), topics: ['desk'] });
    if (live.json) throw new Error(`the stream was refused: ${live.json.message}`);
    await live.next('open');
    expect(await streams()).toBe(before + 1);
    live.close();
    const deadline = Date.now() + 10_000;
    while ((await streams()) !== before) {
      if (Date.now() > deadline) throw new Error('the stream was never counted closed');
      await new Promise((r) => setTimeout(r, 20));
    }
  });
});
