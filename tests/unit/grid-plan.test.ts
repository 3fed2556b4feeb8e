import { ConnectionQuality } from 'livekit-client';
import { describe, expect, it } from 'vitest';
import { columnsFor, planPage } from '@/components/grid/plan';
import { DEFAULT_SETTINGS } from '@/components/grid/use-grid-settings';
import type { CandidateMedia } from '@/components/grid/room-media';
import { tileHealth } from '@/components/grid/tile-health';
import type { GridTile } from '@/components/grid/use-room-tiles';

const ALL = { screen: true, camera: true, witness: true };
const page = (n: number, has = ALL) => Array.from({ length: n }, (_, i) => ({ candidateId: i + 1, has }));
const count = (plan: ReturnType<typeof planPage>, mode: string) =>
  [...plan.values()].reduce((n, slots) => n + Object.values(slots).filter((m) => m === mode).length, 0);

describe('planPage: spending the live-video budget', () => {
  it('gives every camera of a full 40-tile page live video, and the screens and witnesses stills, under the default cap', () => {
    const plan = planPage({ page: page(40), cap: DEFAULT_SETTINGS.videoCap, focusId: null });
    expect([...plan.values()].every((s) => s.camera === 'live' && s.screen === 'still' && s.witness === 'still')).toBe(true);
  });

  it('spends a cap beyond the cameras on the first screens', () => {
    const plan = planPage({ page: page(40), cap: 48, focusId: null });
    expect([...plan.values()].every((s) => s.camera === 'live')).toBe(true);
    expect(count(plan, 'live')).toBe(48);
    // The 8 left over go to the first screens; every other picture is a refreshed still.
    expect([...plan.values()].filter((s) => s.screen === 'live')).toHaveLength(8);
    expect(count(plan, 'still')).toBe(40 * 3 - 48);
  });

  it('never spends more than the cap, and a zero cap shows only stills', () => {
    for (const cap of [0, 1, 7, 24]) {
      const plan = planPage({ page: page(16), cap, focusId: null });
      expect(count(plan, 'live')).toBe(cap);
      expect(count(plan, 'live') + count(plan, 'still')).toBe(48);
    }
  });

  it('shows nothing for a picture the candidate does not publish', () => {
    const plan = planPage({ page: page(3, { screen: true, camera: false, witness: false }), cap: 48, focusId: null });
    for (const slots of plan.values()) expect(slots).toEqual({ screen: 'live', camera: 'off', witness: 'off' });
  });

  it('puts the focused candidate at HIGH outside the budget', () => {
    const plan = planPage({ page: page(4), cap: 2, focusId: 3 });
    expect(plan.get(3)).toEqual({ screen: 'high', camera: 'high', witness: 'high' });
    // The budget of 2 went to the cameras of candidates 1 and 2, not to the focused one.
    expect(plan.get(1)!.camera).toBe('live');
    expect(plan.get(2)!.camera).toBe('live');
    expect(plan.get(4)!.camera).toBe('still');
  });
});

describe('columnsFor: the column count with the largest 16:9 picture', () => {
  it('lays 40 tiles on a 1920x1000 box in 8 columns and 9 tiles on 1366x650 in 3', () => {
    expect(columnsFor(40, 1900, 1000)).toBe(8);
    expect(columnsFor(9, 1340, 650)).toBe(3);
  });

  it('uses one column for one tile and never more columns than tiles', () => {
    expect(columnsFor(1, 1920, 1080)).toBe(1);
    expect(columnsFor(0, 1920, 1080)).toBe(1);
    for (const n of [2, 3, 4, 5]) expect(columnsFor(n, 4000, 300)).toBeLessThanOrEqual(n);
  });

  it('prefers wide layouts in a wide, short box and tall ones in a narrow box', () => {
    expect(columnsFor(4, 2400, 300)).toBe(4);
    expect(columnsFor(4, 400, 1600)).toBe(1);
  });
});

function tile(pc: Partial<GridTile['pc']>, extra: Partial<GridTile> = {}): GridTile {
  return {
    phase: 'in_exam',
    pc: { status: 'live', tracks: ['camera', 'microphone', 'screen_share'], since: 0, ...pc },
    phone: { status: 'not_joined', tracks: [], since: null },
    openFlags: [],
    ...extra,
  } as unknown as GridTile;
}

const NOW = 1_000_000;
const calm = { now: NOW, stalled: false, unseen: false };

describe('tileHealth', () => {
  it('is ok for a candidate publishing everything, idle before joining, done after finishing', () => {
    expect(tileHealth(tile({}), null, calm)).toEqual({ level: 'ok', reasons: [] });
    expect(tileHealth(tile({ status: 'not_joined', tracks: [], since: null }), null, calm).level).toBe('idle');
    expect(tileHealth(tile({ status: 'left' }, { phase: 'finished' } as Partial<GridTile>), null, calm).level).toBe('done');
  });

  it('makes a missing screen urgent, but only after the publishing grace since joining', () => {
    const noScreen = { tracks: ['camera', 'microphone'] as GridTile['pc']['tracks'] };
    expect(tileHealth(tile({ ...noScreen, since: NOW - 5_000 }), null, calm)).toEqual({ level: 'ok', reasons: [] });
    expect(tileHealth(tile({ ...noScreen, since: NOW - 20_000 }), null, calm)).toEqual({ level: 'urgent', reasons: ['screen_missing'] });
  });

  it('treats a muted camera as missing and a stalled one as stalled', () => {
    const media = { camera: { muted: true } } as unknown as CandidateMedia;
    expect(tileHealth(tile({}), media, calm).reasons).toEqual(['camera_missing']);
    expect(tileHealth(tile({}), null, { ...calm, stalled: true })).toEqual({ level: 'urgent', reasons: ['camera_stalled'] });
  });

  it('makes left and reconnecting urgent, and a lost connection urgent while a poor one only warns', () => {
    expect(tileHealth(tile({ status: 'left' }), null, calm)).toEqual({ level: 'urgent', reasons: ['left'] });
    expect(tileHealth(tile({ status: 'reconnecting' }), null, calm).level).toBe('urgent');
    const lost = { pc: { identity: 'x', quality: ConnectionQuality.Lost } } as unknown as CandidateMedia;
    expect(tileHealth(tile({}), lost, calm)).toEqual({ level: 'urgent', reasons: ['connection_lost'] });
    const poor = { pc: { identity: 'x', quality: ConnectionQuality.Poor } } as unknown as CandidateMedia;
    expect(tileHealth(tile({}), poor, calm)).toEqual({ level: 'warn', reasons: ['poor_connection'] });
  });

  it('only warns for a lost witness phone, open flags and a candidate not seen for a while', () => {
    const phoneLeft = tile({}, { phone: { status: 'left', tracks: [], since: 0 } } as Partial<GridTile>);
    expect(tileHealth(phoneLeft, null, calm)).toEqual({ level: 'warn', reasons: ['witness_missing'] });
    const flagged = tile({}, { openFlags: [{ id: 1 }] } as unknown as Partial<GridTile>);
    expect(tileHealth(flagged, null, { ...calm, unseen: true })).toEqual({ level: 'warn', reasons: ['open_flags', 'not_seen'] });
  });
});
