import { candidateIdentity } from '@/server/livekit/tokens';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import type { TimelineEvent, User } from '@/db/schema';
import { getBus } from '@/server/events/bus';
import { liveResponse } from '@/server/http/live';
import { handleLivekitWebhook } from '@/server/livekit/webhook';
import type { TileUpdate } from '@/server/services/rooms';
import { makeRoomScenario } from '../fixtures/factories';
import { follow, sessionTokenFor } from '../helpers/live';
import { useTestDb } from '../helpers/unit-db';
import { cookieHeaders, signWebhook, webhookBody, type WebhookBodyOpts } from '../helpers/unit-support';

const fx = useTestDb();

let clock = 1_900_000_000;

/** Delivers a signed webhook and returns the stored row. */
async function deliver(o: Omit<WebhookBodyOpts, 'createdAt'>): Promise<TimelineEvent> {
  const rawBody = webhookBody({ ...o, createdAt: ++clock });
  const res = await handleLivekitWebhook({ db: fx.db, bus: getBus(), rawBody, authorization: await signWebhook(rawBody) });
  expect(res.status).toBe(200);
  expect(res.stored).toBeDefined();
  return res.stored!;
}

/** An invigilator's grid following its room on the live connection, resuming after `after`. */
async function subscribe(user: User, roomId: number, after?: number) {
  const topic = `room:${roomId}` as const;
  const live = await follow(fx.db, user, [topic], { cursors: after != null ? [[topic, after]] : [], signal: fx.stop.signal });
  return { live, next: () => live.next(topic) };
}

describe('the room topic', () => {
  it('an invigilator resuming after the first event receives exactly the second and third, then live ones', async () => {
    const { room, invigilator, candidates } = await makeRoomScenario(fx.db, { candidates: 2 });
    const cand = candidates[0]!;
    const identity = candidateIdentity(cand.id, 'pc');
    const first = await deliver({ event: 'participant_joined', room: room.livekitRoom, identity });
    const second = await deliver({ event: 'track_published', room: room.livekitRoom, identity, track: { source: 'CAMERA' } });
    const third = await deliver({ event: 'track_published', room: room.livekitRoom, identity, track: { source: 'SCREEN_SHARE' } });

    const sub = await subscribe(invigilator, room.id, first.id);

    const a = await sub.next();
    expect(a.id).toBe(second.id);
    expect(a.data.event).toEqual(second);
    expect(a.data.tile).toMatchObject({ candidateId: cand.id, seat: 1, name: cand.name });
    // The tile is folded from the whole timeline, not only from the events after the cursor.
    expect(a.data.tile!.pc).toMatchObject({ status: 'live', tracks: ['camera', 'screen_share'] });

    const b = await sub.next();
    expect(b.id).toBe(third.id);
    expect(b.data.event).toEqual(third);

    const fourth = await deliver({ event: 'track_unpublished', room: room.livekitRoom, identity, track: { source: 'CAMERA' } });
    const c = await sub.next();
    expect(c.id).toBe(fourth.id);
    expect(c.data.event).toEqual(fourth);
    expect(c.data.tile!.pc).toMatchObject({ status: 'live', tracks: ['screen_share'] });
    expect(c.data.tile!.phone).toMatchObject({ status: 'not_joined', tracks: [] });

    const fifth = await deliver({ event: 'participant_left', room: room.livekitRoom, identity });
    const d = await sub.next();
    expect(d.id).toBe(fifth.id);
    expect(d.data.tile!.pc).toEqual({ status: 'left', tracks: [], since: fifth.occurredAt.getTime() });

    sub.live.close();
  });

  it('an invigilator opening the topic without a cursor receives the whole timeline of the room first', async () => {
    const { room, invigilator, candidates } = await makeRoomScenario(fx.db, { candidates: 2 });
    const [a, b] = candidates;
    const e1 = await deliver({ event: 'participant_joined', room: room.livekitRoom, identity: candidateIdentity(a!.id, 'pc') });
    const e2 = await deliver({ event: 'participant_joined', room: room.livekitRoom, identity: candidateIdentity(b!.id, 'phone') });

    const sub = await subscribe(invigilator, room.id);

    const x = await sub.next();
    const y = await sub.next();
    expect([x.id, y.id]).toEqual([e1.id, e2.id]);
    expect(x.data.tile).toMatchObject({ candidateId: a!.id, pc: { status: 'live' } });
    expect(y.data.tile).toMatchObject({ candidateId: b!.id, phone: { status: 'live' }, pc: { status: 'not_joined' } });
    sub.live.close();
  });

  it('an invigilator does not receive events of another room', async () => {
    const mine = await makeRoomScenario(fx.db);
    const other = await makeRoomScenario(fx.db);
    const sub = await subscribe(mine.invigilator, mine.room.id);
    const pending = sub.next();

    await deliver({ event: 'participant_joined', room: other.room.livekitRoom, identity: candidateIdentity(other.candidates[0]!.id, 'pc') });
    const own = await deliver({ event: 'participant_joined', room: mine.room.livekitRoom, identity: candidateIdentity(mine.candidates[0]!.id, 'pc') });

    expect((await pending).id).toBe(own.id);
    sub.live.close();
  });

  it('an invigilator receives an event seen both in the backfill and live only once', async () => {
    const { room, invigilator, candidates } = await makeRoomScenario(fx.db);
    const identity = candidateIdentity(candidates[0]!.id, 'pc');
    const e1 = await deliver({ event: 'participant_joined', room: room.livekitRoom, identity });
    const sub = await subscribe(invigilator, room.id);
    expect((await sub.next()).id).toBe(e1.id);

    // The same row arriving on the bus again (e.g. stored between listen and backfill) is skipped.
    getBus().emit(`room:${room.id}`, e1);
    const e2 = await deliver({ event: 'participant_left', room: room.livekitRoom, identity });

    expect((await sub.next()).id).toBe(e2.id);
    sub.live.close();
  });

  it('an invigilator’s connection ends when the page goes away (its request aborted)', async () => {
    const { room, invigilator, candidates } = await makeRoomScenario(fx.db);
    await deliver({ event: 'participant_joined', room: room.livekitRoom, identity: candidateIdentity(candidates[0]!.id, 'pc') });
    const sub = await subscribe(invigilator, room.id);
    await sub.next();

    fx.stop.abort();

    expect(await sub.live.ended()).toBe(true);
  });

  it('an invigilator cannot follow the events of a room not assigned to them', async () => {
    const mine = await makeRoomScenario(fx.db);
    const theirs = await makeRoomScenario(fx.db);
    await deliver({ event: 'participant_joined', room: theirs.room.livekitRoom, identity: candidateIdentity(theirs.candidates[0]!.id, 'pc') });
    const topic = `room:${theirs.room.id}` as const;

    const sub = await subscribe(mine.invigilator, theirs.room.id);

    expect(sub.live.refused).toEqual([expect.objectContaining({ topic, code: 'FORBIDDEN', key: 'room.notAssigned' })]);
    expect(sub.live.opened).toEqual([]);
    await deliver({ event: 'participant_left', room: theirs.room.livekitRoom, identity: candidateIdentity(theirs.candidates[0]!.id, 'pc') });
    expect(await sub.live.within(100, topic)).toBeUndefined();
  });

  it('a candidate cannot follow room events', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const sub = await subscribe(candidates[0]!, room.id);
    expect(sub.live.refused).toEqual([expect.objectContaining({ topic: `room:${room.id}`, code: 'FORBIDDEN', key: 'auth.wrongRole' })]);
  });
});

/** Reads an SSE response until `enough` says so or the stream ends. */
async function readSse(res: Response, enough: (text: string) => boolean) {
  const reader = res.body!.getReader();
  const dec = new TextDecoder();
  let text = '';
  for (;;) {
    if (enough(text)) break;
    const r = await reader.read();
    if (r.done) break;
    text += dec.decode(r.value, { stream: true });
  }
  await reader.cancel().catch(() => {});
  return text;
}

const sseMessages = (text: string) =>
  text
    .split('\n\n')
    .map((block) => {
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const i = line.indexOf(':');
        if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1).replace(/^ /, '');
      }
      return fields;
    })
    .filter((f) => Object.keys(f).length > 0);

/** `GET /api/live?topics=room:<id>` as a browser sends it: the session cookie, and cursors in Last-Event-ID. */
function sseRequest(user: User, roomId: number, { cursor, locale }: { cursor?: number; locale?: string } = {}) {
  const headers: Record<string, string> = cookieHeaders({ token: sessionTokenFor(fx.db, user), locale });
  if (cursor != null) headers['last-event-id'] = `room:${roomId}=${cursor}`;
  const req = new Request(`http://localhost/api/live?topics=room:${roomId}`, { headers, signal: fx.stop.signal });
  return liveResponse({ req, db: fx.db, bus: getBus() });
}

describe('room events over SSE', () => {
  it('an invigilator’s browser reconnecting with Last-Event-ID gets only the events after it, each with its id', async () => {
    const { room, invigilator, candidates } = await makeRoomScenario(fx.db);
    const identity = candidateIdentity(candidates[0]!.id, 'pc');
    const first = await deliver({ event: 'participant_joined', room: room.livekitRoom, identity });
    const second = await deliver({ event: 'track_published', room: room.livekitRoom, identity, track: { source: 3 } });
    const third = await deliver({ event: 'participant_connection_aborted', room: room.livekitRoom, identity });

    const res = sseRequest(invigilator, room.id, { cursor: first.id });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await readSse(res, (t) => sseMessages(t).filter((m) => m.id).length >= 2);

    const withIds = sseMessages(text).filter((m) => m.id);
    expect(withIds.map((m) => m.id)).toEqual([String(second.id), String(third.id)]);
    expect(withIds.map((m) => m.event)).toEqual([`room:${room.id}`, `room:${room.id}`]);
    const last = superjson.deserialize<TileUpdate>(JSON.parse(withIds[1]!.data!));
    expect(last.event.id).toBe(third.id);
    expect(last.tile!.pc).toMatchObject({ status: 'reconnecting', tracks: ['screen_share'] });
  });

  it('an invigilator asking for an unassigned room gets a refused frame with FORBIDDEN in their language, not an internal error', async () => {
    const mine = await makeRoomScenario(fx.db);
    const theirs = await makeRoomScenario(fx.db);

    const res = sseRequest(mine.invigilator, theirs.room.id, { locale: 'en' });

    // The connection itself is fine (other topics would run): the refusal is a frame for the topic.
    expect(res.status).toBe(200);
    const text = await readSse(res, (t) => sseMessages(t).some((m) => m.event === 'open'));
    const frames = sseMessages(text);
    expect(frames.map((m) => m.event)).toEqual(['refused', 'open']);
    expect(superjson.parse(frames[0]!.data!)).toEqual({
      topic: `room:${theirs.room.id}`,
      code: 'FORBIDDEN',
      key: 'room.notAssigned',
      message: 'This room is not assigned to you.',
    });
    expect(superjson.parse(frames[1]!.data!)).toEqual({ topics: [] });
  });
});
