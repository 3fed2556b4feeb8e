import { candidateIdentity } from '@/server/livekit/tokens';
import { describe, expect, it } from 'vitest';
import { events, type TimelineEvent } from '@/db/schema';
import { getBus } from '@/server/events/bus';
import { handleLivekitWebhook } from '@/server/livekit/webhook';
import { makeCandidate, makeRoomScenario } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { signWebhook, webhookBody } from '../helpers/unit-support';

const fx = useTestDb();

const deliver = async (rawBody: string, authorization?: string | null) =>
  handleLivekitWebhook({
    db: fx.db,
    bus: getBus(),
    rawBody,
    authorization: authorization === undefined ? await signWebhook(rawBody) : authorization,
  });

/** Collects what the bus carries on a room's channel from now on. */
function collect(roomId: number) {
  const seen: TimelineEvent[] = [];
  const it = getBus().listen(`room:${roomId}`, fx.stop.signal);
  void (async () => {
    for await (const e of it) seen.push(e);
  })();
  return seen;
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe('LiveKit webhook', () => {
  it('stores a signed track event of a registered candidate’s PC and emits it to the room', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const cand = candidates[0]!;
    const seen = collect(room.id);
    const createdAt = 1_900_000_000;
    const body = webhookBody({
      event: 'track_published',
      id: 'EV_screen_1',
      createdAt,
      room: room.livekitRoom,
      identity: candidateIdentity(cand.id, 'pc'),
      track: { source: 'SCREEN_SHARE', sid: 'TR_screen' },
    });

    const res = await deliver(body);
    await flush();

    expect(res.status).toBe(200);
    const rows = fx.db.select().from(events).all();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      roomId: room.id,
      candidateId: cand.id,
      type: 'track_published',
      device: 'pc',
      trackSource: 'screen_share',
      externalId: 'EV_screen_1',
      occurredAt: new Date(createdAt * 1000),
    });
    expect(rows[0]!.payload).toMatchObject({ trackSid: 'TR_screen' });
    expect(res.stored).toEqual(rows[0]);
    expect(seen).toEqual([rows[0]]);
  });

  it('reads a numeric track source and the phone device', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const cand = candidates[0]!;

    const body = webhookBody({ event: 'track_published', room: room.livekitRoom, identity: candidateIdentity(cand.id, 'phone'), track: { source: 1 } });
    const res = await deliver(body);

    expect(res.status).toBe(200);
    expect(fx.db.select().from(events).all()).toMatchObject([{ device: 'phone', trackSource: 'camera' }]);
  });

  it('stores a candidate joining with no track source', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const cand = candidates[0]!;

    const res = await deliver(webhookBody({ event: 'participant_joined', room: room.livekitRoom, identity: candidateIdentity(cand.id, 'pc') }));

    expect(res.status).toBe(200);
    expect(fx.db.select().from(events).all()).toMatchObject([{ type: 'participant_joined', device: 'pc', trackSource: null }]);
  });

  it('refuses a body changed after signing with 401, storing and emitting nothing', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const seen = collect(room.id);
    const body = webhookBody({ event: 'participant_joined', room: room.livekitRoom, identity: candidateIdentity(candidates[0]!.id, 'pc') });
    const authorization = await signWebhook(body);
    const tampered = body.replace('participant_joined', 'participant_joinee');
    expect(tampered).not.toBe(body);
    expect(tampered).toHaveLength(body.length);

    const res = await deliver(tampered, authorization);
    await flush();

    expect(res.status).toBe(401);
    expect(fx.db.select().from(events).all()).toHaveLength(0);
    expect(seen).toHaveLength(0);
  });

  it('refuses a body re-pointed at another candidate after signing', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db, { candidates: 2 });
    const [a, b] = candidates;
    const body = webhookBody({ event: 'participant_left', room: room.livekitRoom, identity: candidateIdentity(a!.id, 'pc') });
    const authorization = await signWebhook(body);

    const res = await deliver(body.replace(candidateIdentity(a!.id, 'pc'), candidateIdentity(b!.id, 'pc')), authorization);

    expect(res.status).toBe(401);
    expect(fx.db.select().from(events).all()).toHaveLength(0);
  });

  it('refuses a delivery without authorization with 401', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const body = webhookBody({ event: 'participant_joined', room: room.livekitRoom, identity: candidateIdentity(candidates[0]!.id, 'pc') });

    expect((await deliver(body, null)).status).toBe(401);
    expect((await deliver(body, '')).status).toBe(401);
    expect(fx.db.select().from(events).all()).toHaveLength(0);
  });

  it('refuses a delivery signed with the wrong secret or the wrong key with 401', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const body = webhookBody({ event: 'participant_joined', room: room.livekitRoom, identity: candidateIdentity(candidates[0]!.id, 'pc') });

    const wrongSecret = await signWebhook(body, { secret: 'not-the-secret-not-the-secret-0123456789' });
    const wrongKey = await signWebhook(body, { key: 'otherkey' });

    expect((await deliver(body, wrongSecret)).status).toBe(401);
    expect((await deliver(body, wrongKey)).status).toBe(401);
    expect((await deliver(body, 'Bearer garbage')).status).toBe(401);
    expect(fx.db.select().from(events).all()).toHaveLength(0);
  });

  it('stores an event delivered twice (a LiveKit retry) once, and emits it once', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const seen = collect(room.id);
    const body = webhookBody({ event: 'participant_joined', id: 'EV_retry', room: room.livekitRoom, identity: candidateIdentity(candidates[0]!.id, 'pc') });

    const first = await deliver(body);
    const second = await deliver(body);
    await flush();

    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.stored).toBeUndefined();
    expect(fx.db.select().from(events).all()).toHaveLength(1);
    expect(seen).toHaveLength(1);
  });

  it('accepts but does not store events of a staff identity', async () => {
    const { room, invigilator } = await makeRoomScenario(fx.db);
    const seen = collect(room.id);

    const res = await deliver(webhookBody({ event: 'participant_joined', room: room.livekitRoom, identity: `staff-${invigilator.id}-a1b2c3` }));
    await flush();

    expect(res.status).toBe(200);
    expect(fx.db.select().from(events).all()).toHaveLength(0);
    expect(seen).toHaveLength(0);
  });

  it('accepts but does not store events of a candidate not registered in that room', async () => {
    const { room } = await makeRoomScenario(fx.db);
    const elsewhere = await makeRoomScenario(fx.db);
    const stranger = await makeCandidate(fx.db);

    const a = await deliver(webhookBody({ event: 'participant_joined', room: room.livekitRoom, identity: candidateIdentity(stranger.id, 'pc') }));
    const b = await deliver(
      webhookBody({ event: 'participant_joined', room: room.livekitRoom, identity: candidateIdentity(elsewhere.candidates[0]!.id, 'pc') }),
    );

    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(fx.db.select().from(events).all()).toHaveLength(0);
  });

  it('accepts but does not store events of unknown rooms and non-participant events', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const identity = candidateIdentity(candidates[0]!.id, 'pc');

    const unknownRoom = await deliver(webhookBody({ event: 'participant_joined', room: 'exam-999-room-999', identity }));
    const roomStarted = await deliver(webhookBody({ event: 'room_started', room: room.livekitRoom, identity }));

    expect(unknownRoom.status).toBe(200);
    expect(roomStarted.status).toBe(200);
    expect(fx.db.select().from(events).all()).toHaveLength(0);
  });
});
