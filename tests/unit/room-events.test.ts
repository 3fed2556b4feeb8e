import { candidateIdentity } from '@/server/livekit/tokens';
import { fetchRequestHandler } from '@trpc/server/adapters/fetch';
import { TRPCError } from '@trpc/server';
import superjson from 'superjson';
import { describe, expect, it } from 'vitest';
import type { TimelineEvent } from '@/db/schema';
import { getBus } from '@/server/events/bus';
import { handleLivekitWebhook } from '@/server/livekit/webhook';
import { appRouter } from '@/server/routers/_app';
import type { TileUpdate } from '@/server/services/rooms';
import type { Context } from '@/server/trpc/init';
import { makeRoomScenario } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, makeContext, signWebhook, webhookBody, type WebhookBodyOpts } from '../helpers/unit-support';

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

/** A yielded value: tRPC's tracked envelope ([id, data, symbol]) as the caller sees it. */
function untrack(value: unknown): { id: string; data: TileUpdate } {
  if (Array.isArray(value)) return { id: value[0] as string, data: value[1] as TileUpdate };
  return value as { id: string; data: TileUpdate };
}

async function subscribe(ctx: Context, input: { roomId: number; lastEventId?: number | null }) {
  const iterable = (await callerFor(ctx, { signal: fx.stop.signal }).room.onEvents(input)) as AsyncIterable<unknown>;
  const it = iterable[Symbol.asyncIterator]();
  return {
    it,
    async next() {
      const r = await it.next();
      expect(r.done).toBe(false);
      return untrack(r.value);
    },
  };
}

describe('room events subscription', () => {
  it('an invigilator resuming after the first event receives exactly the second and third, then live ones', async () => {
    const { room, invigilator, candidates } = await makeRoomScenario(fx.db, { candidates: 2 });
    const cand = candidates[0]!;
    const identity = candidateIdentity(cand.id, 'pc');
    const first = await deliver({ event: 'participant_joined', room: room.livekitRoom, identity });
    const second = await deliver({ event: 'track_published', room: room.livekitRoom, identity, track: { source: 'CAMERA' } });
    const third = await deliver({ event: 'track_published', room: room.livekitRoom, identity, track: { source: 'SCREEN_SHARE' } });

    const sub = await subscribe(makeContext(fx.db, invigilator), { roomId: room.id, lastEventId: first.id });

    const a = await sub.next();
    expect(a.id).toBe(String(second.id));
    expect(a.data.event).toEqual(second);
    expect(a.data.tile).toMatchObject({ candidateId: cand.id, seat: 1, name: cand.name });
    // The tile is folded from the whole timeline, not only from the events after the cursor.
    expect(a.data.tile!.pc).toMatchObject({ status: 'live', tracks: ['camera', 'screen_share'] });

    const b = await sub.next();
    expect(b.id).toBe(String(third.id));
    expect(b.data.event).toEqual(third);

    const fourth = await deliver({ event: 'track_unpublished', room: room.livekitRoom, identity, track: { source: 'CAMERA' } });
    const c = await sub.next();
    expect(c.id).toBe(String(fourth.id));
    expect(c.data.event).toEqual(fourth);
    expect(c.data.tile!.pc).toMatchObject({ status: 'live', tracks: ['screen_share'] });
    expect(c.data.tile!.phone).toMatchObject({ status: 'not_joined', tracks: [] });

    const fifth = await deliver({ event: 'participant_left', room: room.livekitRoom, identity });
    const d = await sub.next();
    expect(d.id).toBe(String(fifth.id));
    expect(d.data.tile!.pc).toEqual({ status: 'left', tracks: [], since: fifth.occurredAt.getTime() });

    await sub.it.return?.();
  });

  it('an invigilator subscribing without a cursor receives the whole timeline of the room first', async () => {
    const { room, invigilator, candidates } = await makeRoomScenario(fx.db, { candidates: 2 });
    const [a, b] = candidates;
    const e1 = await deliver({ event: 'participant_joined', room: room.livekitRoom, identity: candidateIdentity(a!.id, 'pc') });
    const e2 = await deliver({ event: 'participant_joined', room: room.livekitRoom, identity: candidateIdentity(b!.id, 'phone') });

    const sub = await subscribe(makeContext(fx.db, invigilator), { roomId: room.id });

    const x = await sub.next();
    const y = await sub.next();
    expect([x.id, y.id]).toEqual([String(e1.id), String(e2.id)]);
    expect(x.data.tile).toMatchObject({ candidateId: a!.id, pc: { status: 'live' } });
    expect(y.data.tile).toMatchObject({ candidateId: b!.id, phone: { status: 'live' }, pc: { status: 'not_joined' } });
    await sub.it.return?.();
  });

  it('an invigilator does not receive events of another room', async () => {
    const mine = await makeRoomScenario(fx.db);
    const other = await makeRoomScenario(fx.db);
    const sub = await subscribe(makeContext(fx.db, mine.invigilator), { roomId: mine.room.id });
    const pending = sub.next();

    await deliver({ event: 'participant_joined', room: other.room.livekitRoom, identity: candidateIdentity(other.candidates[0]!.id, 'pc') });
    const own = await deliver({ event: 'participant_joined', room: mine.room.livekitRoom, identity: candidateIdentity(mine.candidates[0]!.id, 'pc') });

    expect((await pending).id).toBe(String(own.id));
    await sub.it.return?.();
  });

  it('an invigilator receives an event seen both in the backfill and live only once', async () => {
    const { room, invigilator, candidates } = await makeRoomScenario(fx.db);
    const identity = candidateIdentity(candidates[0]!.id, 'pc');
    const e1 = await deliver({ event: 'participant_joined', room: room.livekitRoom, identity });
    const sub = await subscribe(makeContext(fx.db, invigilator), { roomId: room.id });
    expect((await sub.next()).id).toBe(String(e1.id));

    // The same row arriving on the bus again (e.g. stored between listen and backfill) is skipped.
    getBus().emit(`room:${room.id}`, e1);
    const e2 = await deliver({ event: 'participant_left', room: room.livekitRoom, identity });

    expect((await sub.next()).id).toBe(String(e2.id));
    await sub.it.return?.();
  });

  it('an invigilator’s subscription ends when its signal is aborted', async () => {
    const { room, invigilator, candidates } = await makeRoomScenario(fx.db);
    await deliver({ event: 'participant_joined', room: room.livekitRoom, identity: candidateIdentity(candidates[0]!.id, 'pc') });
    const sub = await subscribe(makeContext(fx.db, invigilator), { roomId: room.id });
    await sub.next();

    fx.stop.abort();

    await expect(sub.it.next()).resolves.toMatchObject({ done: true });
  });

  it('an invigilator cannot subscribe to the events of a room not assigned to them', async () => {
    const mine = await makeRoomScenario(fx.db);
    const theirs = await makeRoomScenario(fx.db);
    await deliver({ event: 'participant_joined', room: theirs.room.livekitRoom, identity: candidateIdentity(theirs.candidates[0]!.id, 'pc') });

    const received: unknown[] = [];
    const attempt = (async () => {
      const iterable = (await callerFor(makeContext(fx.db, mine.invigilator), { signal: fx.stop.signal }).room.onEvents({
        roomId: theirs.room.id,
      })) as AsyncIterable<unknown>;
      for await (const v of iterable) received.push(v);
    })();

    await expect(attempt).rejects.toMatchObject({ code: 'FORBIDDEN' });
    expect(received).toEqual([]);
  });

  it('a candidate cannot subscribe to room events', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const err = await callerFor(makeContext(fx.db, candidates[0]!))
      .room.onEvents({ roomId: room.id })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TRPCError);
    expect(err).toMatchObject({ code: 'FORBIDDEN' });
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

function sseRequest(ctx: Context, input: unknown, headers: Record<string, string> = {}) {
  const url = `http://localhost/api/trpc/room.onEvents?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`;
  return fetchRequestHandler({
    endpoint: '/api/trpc',
    req: new Request(url, { headers, signal: fx.stop.signal }),
    router: appRouter,
    createContext: () => ctx,
  });
}

describe('room events over SSE', () => {
  it('an invigilator’s browser reconnecting with Last-Event-ID gets only the events after it, each with its id', async () => {
    const { room, invigilator, candidates } = await makeRoomScenario(fx.db);
    const identity = candidateIdentity(candidates[0]!.id, 'pc');
    const first = await deliver({ event: 'participant_joined', room: room.livekitRoom, identity });
    const second = await deliver({ event: 'track_published', room: room.livekitRoom, identity, track: { source: 3 } });
    const third = await deliver({ event: 'participant_connection_aborted', room: room.livekitRoom, identity });

    const res = await sseRequest(makeContext(fx.db, invigilator), { roomId: room.id }, { 'last-event-id': String(first.id) });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const text = await readSse(res, (t) => sseMessages(t).filter((m) => m.id).length >= 2);

    const withIds = sseMessages(text).filter((m) => m.id);
    expect(withIds.map((m) => m.id)).toEqual([String(second.id), String(third.id)]);
    const last = superjson.deserialize<TileUpdate>(JSON.parse(withIds[1]!.data!));
    expect(last.event.id).toBe(third.id);
    expect(last.tile!.pc).toMatchObject({ status: 'reconnecting', tracks: ['screen_share'] });
  });

  it('an invigilator subscribing to an unassigned room is refused with FORBIDDEN (403), not an internal error', async () => {
    // BUG: assertRoomAccess runs inside the async generator, after the appErrors middleware has
    // already returned, so the AppError reaches tRPC as an INTERNAL_SERVER_ERROR (500).
    const mine = await makeRoomScenario(fx.db);
    const theirs = await makeRoomScenario(fx.db);

    const res = await sseRequest(makeContext(fx.db, mine.invigilator, { locale: 'en' }), { roomId: theirs.room.id });

    let error: { code?: string; httpStatus?: number; appCode?: string };
    if (res.headers.get('content-type')?.includes('text/event-stream')) {
      const text = await readSse(res, (t) => sseMessages(t).some((m) => m.event === 'serialized-error' && m.data));
      const msg = sseMessages(text).find((m) => m.event === 'serialized-error');
      error = JSON.parse(msg!.data!).json.data;
    } else {
      error = (await res.json()).error.json.data;
    }

    expect(error.appCode).toBe('room.notAssigned');
    expect(error.code).toBe('FORBIDDEN');
    expect(error.httpStatus).toBe(403);
  });
});
