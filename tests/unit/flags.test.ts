import { candidateIdentity } from '@/server/livekit/tokens';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { flags, type TimelineEvent } from '@/db/schema';
import { getBus } from '@/server/events/bus';
import { handleLivekitWebhook } from '@/server/livekit/webhook';
import { login } from '@/server/services/auth';
import { finishExam } from '@/server/services/exams';
import { assignInvigilator } from '@/server/services/setup';
import { makeJpeg, makeRoomScenario, makeSittingScenario, makeStaff, PASSWORD } from '../fixtures/factories';
import { createTestDb } from '../helpers/db';
import { follow } from '../helpers/live';
import {
  auditRows,
  callerFor,
  httpCall,
  makeContext,
  signWebhook,
  timelineOf,
  trpcRefusal,
  webhookBody,
  type WebhookBodyOpts,
  cookieHeaders,
} from '../helpers/unit-support';

// The still route reads the session cookie and the app's database: both point at this test's.
const route = vi.hoisted(() => ({ db: undefined as unknown, token: undefined as string | undefined }));
vi.mock('@/server/db', () => ({ getDb: () => route.db }));

let db: ReturnType<typeof createTestDb>;
let stop: AbortController;
beforeEach(() => {
  db = createTestDb();
  route.db = db;
  route.token = undefined;
  stop = new AbortController();
});
afterEach(() => {
  stop.abort();
  db.cleanup();
});

const flagRows = (candidateId?: number) => (candidateId ? db.select().from(flags).where(eq(flags.candidateId, candidateId)) : db.select().from(flags)).all();

let clock = 1_900_000_000;
async function deliver(o: Omit<WebhookBodyOpts, 'createdAt'>): Promise<TimelineEvent> {
  const rawBody = webhookBody({ ...o, createdAt: ++clock });
  const res = await handleLivekitWebhook({ db, bus: getBus(), rawBody, authorization: await signWebhook(rawBody) });
  expect(res.stored).toBeDefined();
  return res.stored!;
}

describe('automatic flags from the candidate’s page', () => {
  it.each([
    ['page_hidden', 'tab_hidden'],
    ['window_blurred', 'tab_hidden'],
    ['fullscreen_left', 'fullscreen_left'],
    ['extended_display', 'extended_display'],
    ['screen_share_stopped', 'screen_share_stopped'],
    ['camera_lost', 'camera_lost'],
    ['microphone_lost', 'microphone_lost'],
  ] as const)('a sitting candidate reporting %s gets one open %s flag, raised by that event and announced after it', async (signal, type) => {
    const { exam, room, candidates } = await makeSittingScenario(db);
    const cand = candidates[0]!;

    const { id } = await callerFor(makeContext(db, cand)).exam.reportIntegrity({ examId: exam.id, signal, at: new Date() });

    const rows = flagRows(cand.id);
    expect(rows).toEqual([expect.objectContaining({ roomId: room.id, type, source: 'auto', status: 'open', eventId: id, createdBy: null, still: null })]);
    const raised = timelineOf(db, cand.id, 'flag_raised');
    expect(raised).toHaveLength(1);
    expect(raised[0]!.payload).toEqual({ flagId: rows[0]!.id, type });
    expect(raised[0]!.id).toBeGreaterThan(id);
  });

  it('a candidate’s signals that are not incidents (coming back, going online) raise nothing', async () => {
    const { exam, candidates } = await makeSittingScenario(db);
    const caller = callerFor(makeContext(db, candidates[0]!));
    for (const signal of ['page_visible', 'window_focused', 'fullscreen_entered', 'camera_restored', 'single_display', 'online', 'offline'] as const) {
      await caller.exam.reportIntegrity({ examId: exam.id, signal, at: new Date() });
    }
    expect(flagRows()).toEqual([]);
  });
});

describe('automatic flags from LiveKit', () => {
  it.each([
    ['SCREEN_SHARE', 'screen_share_stopped'],
    ['CAMERA', 'camera_lost'],
    ['MICROPHONE', 'microphone_lost'],
  ] as const)('LiveKit reporting a sitting candidate’s PC %s track unpublished raises %s', async (source, type) => {
    const { room, candidates } = await makeSittingScenario(db);
    const cand = candidates[0]!;
    const identity = candidateIdentity(cand.id, 'pc');
    await deliver({ event: 'track_published', room: room.livekitRoom, identity, track: { source } });

    const cause = await deliver({ event: 'track_unpublished', room: room.livekitRoom, identity, track: { source } });

    expect(flagRows(cand.id)).toEqual([expect.objectContaining({ type, source: 'auto', status: 'open', eventId: cause.id })]);
  });

  it('LiveKit reporting a sitting candidate’s PC left raises left_room; the phone leaving raises witness_missing', async () => {
    const { room, candidates } = await makeSittingScenario(db);
    const cand = candidates[0]!;

    await deliver({ event: 'participant_left', room: room.livekitRoom, identity: candidateIdentity(cand.id, 'pc') });
    await deliver({ event: 'participant_left', room: room.livekitRoom, identity: candidateIdentity(cand.id, 'phone') });

    expect(flagRows(cand.id).map((f) => f.type)).toEqual(['left_room', 'witness_missing']);
  });

  it('joins, publishes and reconnects raise nothing', async () => {
    const { room, candidates } = await makeSittingScenario(db);
    const identity = candidateIdentity(candidates[0]!.id, 'pc');
    await deliver({ event: 'participant_joined', room: room.livekitRoom, identity });
    await deliver({ event: 'track_published', room: room.livekitRoom, identity, track: { source: 'CAMERA' } });
    await deliver({ event: 'participant_connection_aborted', room: room.livekitRoom, identity });
    expect(flagRows()).toEqual([]);
  });

  it('a candidate who has not entered, or has finished, raises no flag: tracks stopping around the exam are not incidents', async () => {
    const notEntered = await makeRoomScenario(db);
    const outside = notEntered.candidates[0]!;
    await deliver({ event: 'participant_left', room: notEntered.room.livekitRoom, identity: candidateIdentity(outside.id, 'pc') });

    const { exam, room, candidates } = await makeSittingScenario(db);
    const done = candidates[0]!;
    finishExam({ db, candidateId: done.id, examId: exam.id, reason: 'submitted' });
    await deliver({ event: 'track_unpublished', room: room.livekitRoom, identity: candidateIdentity(done.id, 'pc'), track: { source: 'SCREEN_SHARE' } });
    await deliver({ event: 'participant_left', room: room.livekitRoom, identity: candidateIdentity(done.id, 'pc') });

    expect(flagRows()).toEqual([]);
  });
});

describe('one open flag per type', () => {
  it('a second hidden page while the first flag is open raises nothing; after the flag is dismissed the next one raises a new flag', async () => {
    const { exam, invigilator, candidates } = await makeSittingScenario(db);
    const cand = candidates[0]!;
    const report = (signal: 'page_hidden' | 'window_blurred' | 'camera_lost') =>
      callerFor(makeContext(db, cand)).exam.reportIntegrity({ examId: exam.id, signal, at: new Date() });

    await report('page_hidden');
    await report('window_blurred');
    await report('page_hidden');
    await report('camera_lost');
    expect(flagRows(cand.id).map((f) => [f.type, f.status])).toEqual([
      ['tab_hidden', 'open'],
      ['camera_lost', 'open'],
    ]);
    expect(timelineOf(db, cand.id, 'flag_raised')).toHaveLength(2);

    const first = flagRows(cand.id)[0]!;
    await callerFor(makeContext(db, invigilator)).invigilate.resolveFlag({ flagId: first.id, resolution: 'dismissed' });
    await report('page_hidden');

    expect(flagRows(cand.id).map((f) => [f.type, f.status])).toEqual([
      ['tab_hidden', 'dismissed'],
      ['camera_lost', 'open'],
      ['tab_hidden', 'open'],
    ]);
  });

  it('the same signal reported ten times at once raises one flag', async () => {
    const { exam, candidates } = await makeSittingScenario(db);
    const cand = candidates[0]!;
    const caller = callerFor(makeContext(db, cand));
    await Promise.all(Array.from({ length: 10 }, () => caller.exam.reportIntegrity({ examId: exam.id, signal: 'fullscreen_left', at: new Date() })));
    expect(flagRows(cand.id)).toHaveLength(1);
  });
});

describe('flags live on the room stream', () => {
  it('an invigilator sees the cause, then flag_raised with the tile’s open flag, then flag_resolved with the flag gone', async () => {
    const { exam, room, invigilator, candidates } = await makeSittingScenario(db);
    const cand = candidates[0]!;
    const state = await callerFor(makeContext(db, invigilator)).invigilate.roomState({ roomId: room.id });
    const topic = `room:${room.id}` as const;
    const grid = await follow(db, invigilator, [topic], { cursors: [[topic, state.lastEventId]], signal: stop.signal });
    const sub = { next: () => grid.next(topic), close: grid.close };

    await callerFor(makeContext(db, cand)).exam.reportIntegrity({ examId: exam.id, signal: 'fullscreen_left', at: new Date() });
    const cause = await sub.next();
    const raised = await sub.next();

    expect(cause.data.event.type).toBe('integrity.fullscreen_left');
    expect(raised.data.event.type).toBe('flag_raised');
    const flagId = raised.data.event.payload!.flagId as number;
    expect(raised.data.tile).toMatchObject({ candidateId: cand.id, openFlags: [{ id: flagId, type: 'fullscreen_left' }] });

    await callerFor(makeContext(db, invigilator)).invigilate.resolveFlag({ flagId, resolution: 'confirmed' });
    const resolved = await sub.next();
    expect(resolved.data.event).toMatchObject({ type: 'flag_resolved', payload: { flagId, type: 'fullscreen_left', resolution: 'confirmed' } });
    expect(resolved.data.tile!.openFlags).toEqual([]);
    await sub.close();
  });
});

describe('manual flags', () => {
  it('an invigilator flags a candidate with a note and a still: stored, on the timeline, audited, listed with the candidate', async () => {
    const { room, invigilator, candidates } = await makeSittingScenario(db, { candidates: 2 });
    const cand = candidates[1]!;
    const { buf, dataUrl } = makeJpeg(2048);

    const { flagId } = await callerFor(makeContext(db, invigilator)).invigilate.createFlag({
      roomId: room.id,
      candidateId: cand.id,
      note: '  疑似查看手机  ',
      still: dataUrl,
    });

    const [row] = flagRows(cand.id);
    expect(row).toMatchObject({ id: flagId, type: 'manual', source: 'manual', status: 'open', note: '疑似查看手机', createdBy: invigilator.id });
    expect(Buffer.compare(row!.still!, buf)).toBe(0);
    expect(timelineOf(db, cand.id, 'flag_raised').map((e) => e.payload)).toEqual([{ flagId, type: 'manual' }]);
    expect(auditRows(db)).toEqual([
      expect.objectContaining({
        actorId: invigilator.id,
        action: 'flag.created',
        roomId: room.id,
        candidateId: cand.id,
        detail: { flagId, note: '疑似查看手机', still: true },
      }),
    ]);

    const list = await callerFor(makeContext(db, invigilator)).invigilate.flags({ roomId: room.id });
    expect(list).toEqual([
      expect.objectContaining({
        id: flagId,
        candidateId: cand.id,
        candidateName: cand.name,
        seat: 2,
        type: 'manual',
        source: 'manual',
        status: 'open',
        hasStill: true,
        note: '疑似查看手机',
        createdBy: invigilator.id,
        createdByName: invigilator.name,
        resolvedByName: null,
      }),
    ]);
    expect(list[0]).not.toHaveProperty('still');
  });

  it('several manual flags may be open for one candidate at once', async () => {
    const { room, invigilator, candidates } = await makeSittingScenario(db);
    const caller = callerFor(makeContext(db, invigilator));
    await caller.invigilate.createFlag({ roomId: room.id, candidateId: candidates[0]!.id, note: '第一次' });
    await caller.invigilate.createFlag({ roomId: room.id, candidateId: candidates[0]!.id, note: '第二次' });
    expect(flagRows().map((f) => [f.note, f.status, f.still])).toEqual([
      ['第一次', 'open', null],
      ['第二次', 'open', null],
    ]);
  });

  it('an invigilator sending a still above 400 kB is told so in Chinese, and nothing is stored or audited', async () => {
    const { room, invigilator, candidates } = await makeSittingScenario(db);
    const { dataUrl } = makeJpeg(400 * 1024 + 1);

    const { status, body } = await httpCall({
      ctx: makeContext(db, invigilator),
      path: 'invigilate.createFlag',
      input: { roomId: room.id, candidateId: candidates[0]!.id, note: '截图过大', still: dataUrl },
    });

    expect(status).toBe(400);
    expect(body.error.json.data.appCode).toBe('flags.stillTooLarge');
    expect(body.error.json.message).toBe('截图太大（最大 400 KB），请降低画质后重试。');
    expect(flagRows()).toEqual([]);
    expect(auditRows(db)).toEqual([]);
    expect(timelineOf(db, candidates[0]!.id, 'flag_raised')).toEqual([]);
  });

  it('a still of exactly 400 kB is accepted', async () => {
    const { room, invigilator, candidates } = await makeSittingScenario(db);
    const { dataUrl } = makeJpeg(400 * 1024);
    await callerFor(makeContext(db, invigilator)).invigilate.createFlag({ roomId: room.id, candidateId: candidates[0]!.id, note: '边界', still: dataUrl });
    expect(flagRows()[0]!.still!.length).toBe(400 * 1024);
  });

  it('a still that is not a JPEG data URL, or JPEG-labelled bytes that are not a JPEG, is refused with a field error', async () => {
    const { room, invigilator, candidates } = await makeSittingScenario(db);
    const ctx = makeContext(db, invigilator, { locale: 'en' });
    const input = { roomId: room.id, candidateId: candidates[0]!.id, note: 'x' };

    const png = await httpCall({
      ctx,
      path: 'invigilate.createFlag',
      input: { ...input, still: `data:image/png;base64,${Buffer.from('png').toString('base64')}` },
    });
    expect(png.status).toBe(400);
    expect(png.body.error.json.data.fieldErrors.still).toBe('Not in the right format');

    const fake = await httpCall({
      ctx,
      path: 'invigilate.createFlag',
      input: { ...input, still: `data:image/jpeg;base64,${Buffer.from('not a jpeg').toString('base64')}` },
    });
    expect(fake.status).toBe(400);
    expect(fake.body.error.json.data.appCode).toBe('flags.stillInvalid');
    expect(fake.body.error.json.message).toBe('The snapshot is not a valid JPEG image.');
    expect(flagRows()).toEqual([]);
  });

  it('a manual flag needs a note of 1 to 500 characters (blanks do not count)', async () => {
    const { room, invigilator, candidates } = await makeSittingScenario(db);
    const ctx = makeContext(db, invigilator);
    const empty = await httpCall({ ctx, path: 'invigilate.createFlag', input: { roomId: room.id, candidateId: candidates[0]!.id, note: '   ' } });
    expect(empty.body.error.json.data.fieldErrors.note).toBe('不能为空');
    const long = await httpCall({ ctx, path: 'invigilate.createFlag', input: { roomId: room.id, candidateId: candidates[0]!.id, note: '长'.repeat(501) } });
    expect(long.body.error.json.data.fieldErrors.note).toBe('太长了，最多 500 个字符');
    expect(flagRows()).toEqual([]);
  });
});

describe('resolving flags', () => {
  it('an invigilator confirms one flag and dismisses two; the room keeps the counts per type and status', async () => {
    const { exam, room, invigilator, candidates } = await makeSittingScenario(db, { candidates: 3 });
    for (const c of candidates) await callerFor(makeContext(db, c)).exam.reportIntegrity({ examId: exam.id, signal: 'page_hidden', at: new Date() });
    await callerFor(makeContext(db, candidates[0]!)).exam.reportIntegrity({ examId: exam.id, signal: 'camera_lost', at: new Date() });
    const caller = callerFor(makeContext(db, invigilator));
    const [a, b, c, d] = flagRows();

    const confirmed = await caller.invigilate.resolveFlag({ flagId: a!.id, resolution: 'confirmed', note: '确认切屏' });
    await caller.invigilate.resolveFlag({ flagId: b!.id, resolution: 'dismissed' });
    await caller.invigilate.resolveFlag({ flagId: d!.id, resolution: 'dismissed', note: '网络波动' });

    expect(confirmed).toMatchObject({ flagId: a!.id, status: 'confirmed' });
    expect(db.select().from(flags).where(eq(flags.id, a!.id)).get()).toMatchObject({
      status: 'confirmed',
      resolvedBy: invigilator.id,
      resolutionNote: '确认切屏',
    });
    const listed = await caller.invigilate.flags({ roomId: room.id, status: 'confirmed' });
    expect(listed).toEqual([
      expect.objectContaining({ id: a!.id, createdBy: null, createdByName: null, resolvedByName: invigilator.name, resolutionNote: '确认切屏' }),
    ]);
    const { flagCounts } = await caller.invigilate.roomState({ roomId: room.id });
    expect(flagCounts.tab_hidden).toEqual({ open: 1, confirmed: 1, dismissed: 1 });
    expect(flagCounts.camera_lost).toEqual({ open: 0, confirmed: 0, dismissed: 1 });
    expect(flagCounts.manual).toEqual({ open: 0, confirmed: 0, dismissed: 0 });
    expect(Object.keys(flagCounts).sort()).toEqual(
      [
        'camera_lost',
        'client_mismatch',
        'extended_display',
        'fullscreen_left',
        'left_room',
        'manual',
        'microphone_lost',
        'screen_share_stopped',
        'tab_hidden',
        'witness_missing',
        'face_missing',
        'second_person',
        'identity_mismatch',
        'looking_away',
        'phone_visible',
      ].sort(),
    );
    expect((await caller.invigilate.flags({ roomId: room.id, status: 'open' })).map((f) => f.id)).toEqual([c!.id]);
    expect(auditRows(db).map((r) => [r.action, r.detail])).toEqual([
      ['flag.resolved', { flagId: a!.id, resolution: 'confirmed', note: '确认切屏' }],
      ['flag.resolved', { flagId: b!.id, resolution: 'dismissed' }],
      ['flag.resolved', { flagId: d!.id, resolution: 'dismissed', note: '网络波动' }],
    ]);
  });

  it('a second invigilator resolving the same flag is refused with CONFLICT flags.alreadyResolved; the first resolution stands, audited once', async () => {
    const { exam, room, invigilator, candidates } = await makeSittingScenario(db);
    const second = await makeStaff(db, 'invigilator');
    assignInvigilator({ db, roomId: room.id, userId: second.id });
    await callerFor(makeContext(db, candidates[0]!)).exam.reportIntegrity({ examId: exam.id, signal: 'page_hidden', at: new Date() });
    const flagId = flagRows()[0]!.id;

    await callerFor(makeContext(db, invigilator)).invigilate.resolveFlag({ flagId, resolution: 'confirmed' });
    const err = await trpcRefusal(callerFor(makeContext(db, second)).invigilate.resolveFlag({ flagId, resolution: 'dismissed' }));

    expect(err.code).toBe('CONFLICT');
    expect(err.cause).toMatchObject({ key: 'flags.alreadyResolved' });
    expect(flagRows()[0]).toMatchObject({ status: 'confirmed', resolvedBy: invigilator.id });
    expect(auditRows(db)).toHaveLength(1);
    expect(timelineOf(db, candidates[0]!.id, 'flag_resolved')).toHaveLength(1);
  });

  it('resolving a flag that does not exist is NOT_FOUND flags.notFound', async () => {
    const { invigilator } = await makeSittingScenario(db);
    const err = await trpcRefusal(callerFor(makeContext(db, invigilator)).invigilate.resolveFlag({ flagId: 999, resolution: 'confirmed' }));
    expect(err.code).toBe('NOT_FOUND');
    expect(err.cause).toMatchObject({ key: 'flags.notFound' });
  });
});

describe('the still of a flag over HTTP', () => {
  async function flagWithStill() {
    const s = await makeSittingScenario(db);
    const { buf, dataUrl } = makeJpeg(1000);
    const { flagId } = await callerFor(makeContext(db, s.invigilator)).invigilate.createFlag({
      roomId: s.room.id,
      candidateId: s.candidates[0]!.id,
      note: '证据',
      still: dataUrl,
    });
    return { ...s, buf, flagId };
  }
  const get = async (flagId: number | string) => {
    const { GET } = await import('@/app/api/flags/[id]/still/route');
    return GET(new Request(`http://localhost/api/flags/${flagId}/still`, { headers: cookieHeaders(route) }), {
      params: Promise.resolve({ id: String(flagId) }),
    });
  };
  const signIn = async (username: string) => {
    route.token = (await login({ db, kind: 'staff', identifier: username, password: PASSWORD })).token;
  };

  it('the room’s invigilator gets the JPEG, not cached', async () => {
    const { invigilator, buf, flagId } = await flagWithStill();
    await signIn(invigilator.username!);

    const res = await get(flagId);

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(Buffer.compare(Buffer.from(await res.arrayBuffer()), buf)).toBe(0);
  });

  it('an invigilator of another room gets 404, like a flag that does not exist; without a session, 401', async () => {
    const { flagId } = await flagWithStill();
    const other = await makeRoomScenario(db);
    await signIn(other.invigilator.username!);
    expect((await get(flagId)).status).toBe(404);
    expect((await get(flagId + 100)).status).toBe(404);
    expect((await get('abc')).status).toBe(404);

    route.token = undefined;
    expect((await get(flagId)).status).toBe(401);
  });

  it('a support staff member gets 404', async () => {
    const { flagId } = await flagWithStill();
    const support = await makeStaff(db, 'support');
    await signIn(support.username!);
    expect((await get(flagId)).status).toBe(404);
  });
});
