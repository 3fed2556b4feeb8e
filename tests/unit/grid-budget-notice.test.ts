import { describe, expect, it } from 'vitest';
import { capRemovedLive, planPage, wantedVideos } from '@/components/grid/plan';

const ALL = { screen: true, camera: true, witness: true };
const CAMERA_ONLY = { screen: false, camera: true, witness: false };
const page = (n: number, has = ALL) => Array.from({ length: n }, (_, i) => ({ candidateId: i + 1, has }));

/** What the toolbar decides: would the configured cap show more live pictures than the lowered one? */
const notice = (p: ReturnType<typeof page>, cap: number, configured: number, focusId: number | null = null) =>
  capRemovedLive({ wanted: wantedVideos(planPage({ page: p, cap, focusId })), cap, configured });

describe('grid: "CPU load high, live video reduced" only when the cap removed live video', () => {
  it('stays quiet with one candidate online, even with the cap lowered to its floor', () => {
    expect(notice(page(1), 4, 24)).toBe(false);
  });

  it('stays quiet when the lowered cap still covers every picture of the page', () => {
    expect(notice(page(6, CAMERA_ONLY), 6, 24)).toBe(false);
    // The focused candidate is outside the budget: their pictures do not count.
    expect(notice(page(3), 6, 24, 1)).toBe(false);
  });

  it('shows when pictures that would be live under the configured cap are stills now', () => {
    expect(notice(page(10, CAMERA_ONLY), 6, 24)).toBe(true);
    expect(notice(page(40), 18, 24)).toBe(true);
  });

  it('stays quiet when the cap is not lowered, however full the page', () => {
    expect(notice(page(40), 24, 24)).toBe(false);
  });

  it('counts wanted pictures as the live ones and the stills standing in for them', () => {
    expect(wantedVideos(planPage({ page: page(5), cap: 4, focusId: null }))).toBe(15);
    expect(wantedVideos(planPage({ page: page(5), cap: 4, focusId: 2 }))).toBe(12);
  });
});
