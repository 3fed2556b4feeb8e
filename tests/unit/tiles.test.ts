import { beforeEach, describe, expect, it } from 'vitest';
import { events } from '@/db/schema';
import { roomTiles } from '@/server/services/rooms';
import { applyEvent, foldEvents, initialDeviceStatus } from '@/server/services/tiles';
import { makeRoomScenario } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';

const fx = useTestDb();

const T0 = Date.UTC(2030, 5, 1, 8, 0, 0);
let tick = 0;
beforeEach(() => {
  tick = 0;
});
const ev = (type: string, trackSource: string | null = null) => ({ type, trackSource, occurredAt: new Date(T0 + ++tick * 1000) });

describe('a device’s status folded from its timeline', () => {
  it('a device that never joined is not joined, with no tracks', () => {
    expect(foldEvents([])).toEqual({ status: 'not_joined', tracks: [], since: null });
  });

  it('a device that joined is live with no tracks yet, since the join', () => {
    const joined = ev('participant_joined');
    expect(foldEvents([joined])).toEqual({ status: 'live', tracks: [], since: joined.occurredAt.getTime() });
  });

  it('a device that publishes tracks shows each published source once', () => {
    const s = foldEvents([
      ev('participant_joined'),
      ev('track_published', 'screen_share'),
      ev('track_published', 'camera'),
      ev('track_published', 'camera'),
      ev('track_published', 'microphone'),
    ]);
    expect(s.status).toBe('live');
    expect([...s.tracks].sort()).toEqual(['camera', 'microphone', 'screen_share']);
    expect(s.tracks).toHaveLength(3);
  });

  it('a device that unpublishes a track no longer shows that source, and keeps the others', () => {
    const s = foldEvents([
      ev('participant_joined'),
      ev('track_published', 'screen_share'),
      ev('track_published', 'camera'),
      ev('track_unpublished', 'screen_share'),
    ]);
    expect(s).toMatchObject({ status: 'live', tracks: ['camera'] });
  });

  it('a device that left is left with no tracks, since it left', () => {
    const left = ev('participant_left');
    const s = foldEvents([ev('participant_joined'), ev('track_published', 'camera'), left]);
    expect(s).toEqual({ status: 'left', tracks: [], since: left.occurredAt.getTime() });
  });

  it('a device whose connection aborted is reconnecting', () => {
    const aborted = ev('participant_connection_aborted');
    const s = foldEvents([ev('participant_joined'), ev('track_published', 'camera'), aborted]);
    expect(s.status).toBe('reconnecting');
    expect(s.since).toBe(aborted.occurredAt.getTime());
  });

  it('a device that rejoins after leaving is live again with no tracks', () => {
    const rejoined = ev('participant_joined');
    const s = foldEvents([ev('participant_joined'), ev('track_published', 'camera'), ev('participant_left'), rejoined]);
    expect(s).toEqual({ status: 'live', tracks: [], since: rejoined.occurredAt.getTime() });
  });

  it('a device that publishes while reconnecting is live again', () => {
    const s = foldEvents([ev('participant_joined'), ev('participant_connection_aborted'), ev('track_published', 'camera')]);
    expect(s).toMatchObject({ status: 'live', tracks: ['camera'] });
  });

  it('a track publish keeps the time the device went live', () => {
    const joined = ev('participant_joined');
    const s = foldEvents([joined, ev('track_published', 'camera')]);
    expect(s.since).toBe(joined.occurredAt.getTime());
  });

  it('tracks that are not feeds and unknown event types leave the status as it was', () => {
    const before = foldEvents([ev('participant_joined'), ev('track_published', 'camera')]);
    expect(applyEvent(before, ev('track_published', 'screen_share_audio'))).toEqual(before);
    expect(applyEvent(before, ev('track_published', null))).toEqual(before);
    expect(applyEvent(before, ev('track_unpublished', null))).toEqual(before);
    expect(applyEvent(before, ev('room_finished'))).toEqual(before);
  });

  it('applying an event never changes the status it was given', () => {
    const before = initialDeviceStatus();
    const copy = structuredClone(before);
    applyEvent(before, ev('participant_joined'));
    applyEvent(before, ev('track_published', 'camera'));
    expect(before).toEqual(copy);
  });
});

describe('room tiles from stored events', () => {
  it('an invigilator’s tiles fold each candidate’s PC and phone separately, in seat order', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db, { candidates: 3 });
    const [a, b] = candidates;
    const row = (candidateId: number, device: string, type: string, trackSource: string | null = null) => ({
      roomId: room.id,
      candidateId,
      device,
      type,
      trackSource,
      occurredAt: new Date(T0 + ++tick * 1000),
    });
    fx.db
      .insert(events)
      .values([
        row(a!.id, 'pc', 'participant_joined'),
        row(a!.id, 'pc', 'track_published', 'screen_share'),
        row(a!.id, 'phone', 'participant_joined'),
        row(a!.id, 'phone', 'participant_left'),
        row(b!.id, 'pc', 'participant_joined'),
        row(b!.id, 'pc', 'participant_connection_aborted'),
      ])
      .run();

    const tiles = roomTiles({ db: fx.db, roomId: room.id });

    expect(tiles.map((t) => [t.seat, t.candidateId])).toEqual(candidates.map((c, i) => [i + 1, c.id]));
    expect(tiles[0]).toMatchObject({ pc: { status: 'live', tracks: ['screen_share'] }, phone: { status: 'left', tracks: [] } });
    expect(tiles[1]).toMatchObject({ pc: { status: 'reconnecting' }, phone: { status: 'not_joined' } });
    expect(tiles[2]).toMatchObject({ pc: { status: 'not_joined' }, phone: { status: 'not_joined' } });
  });
});
