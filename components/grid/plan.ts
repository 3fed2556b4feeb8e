import type { SlotMode, VideoSlot } from './room-media';

export type PlanInput = {
  /** The page's candidates in display order, with which pictures they publish now. */
  page: { candidateId: number; has: Record<VideoSlot, boolean> }[];
  /** Most live videos the page may decode at once. */
  cap: number;
  focusId: number | null;
};

export type Plan = Map<number, Record<VideoSlot, SlotMode>>;

/**
 * Spends the live-video budget of a page. Cameras first: a person leaving the desk or someone
 * else in the room is seen only in motion, while a screen of an exam paper changes slowly and
 * reads well as a still every ten seconds; and the camera's LOW layer is the cheapest to decode.
 * Then screens, then phone witnesses. What the budget does not reach is a refreshed still. The
 * focused candidate is outside the budget, at HIGH.
 */
export function planPage({ page, cap, focusId }: PlanInput): Plan {
  const plan: Plan = new Map();
  let budget = Math.max(0, cap);
  for (const { candidateId } of page) plan.set(candidateId, { screen: 'off', camera: 'off', witness: 'off' });
  for (const slot of ['camera', 'screen', 'witness'] as const) {
    for (const { candidateId, has } of page) {
      if (candidateId === focusId || !has[slot]) continue;
      const entry = plan.get(candidateId)!;
      if (budget > 0) {
        entry[slot] = 'live';
        budget--;
      } else {
        entry[slot] = 'still';
      }
    }
  }
  if (focusId != null) plan.set(focusId, { screen: 'high', camera: 'high', witness: 'high' });
  return plan;
}

/** Pictures the plan would show live if the budget allowed: the live ones and the stills standing in for them. */
export function wantedVideos(plan: Plan) {
  let n = 0;
  for (const modes of plan.values()) for (const mode of Object.values(modes)) if (mode === 'live' || mode === 'still') n++;
  return n;
}

/**
 * Whether the lowered cap took live video away from the page: more pictures would be live under
 * the configured cap than are under the lowered one. A lowered cap that still covers every
 * picture on the page (one candidate online) changed nothing the invigilator can see.
 */
export function capRemovedLive({ wanted, cap, configured }: { wanted: number; cap: number; configured: number }) {
  return Math.min(wanted, configured) > Math.min(wanted, cap);
}

/** Height of a tile's name and health lines, px: what the picture does not get. */
export const FOOTER_PX = 42;
export const GAP_PX = 8;

/**
 * The column count that gives the largest 16:9 picture for n tiles in a w×h box; ties go to
 * fewer empty cells.
 */
export function columnsFor(n: number, w: number, h: number) {
  if (n <= 1) return 1;
  let best = { cols: Math.ceil(Math.sqrt(n)), score: -1, empty: Infinity };
  for (let cols = 1; cols <= Math.min(n, 10); cols++) {
    const rows = Math.ceil(n / cols);
    const tileW = (w - GAP_PX * (cols - 1)) / cols;
    // Scored on the visible box: a layout that only fits by scrolling is not a bigger picture.
    const tileH = (h - GAP_PX * (rows - 1)) / rows;
    const score = Math.floor(Math.min(tileW, ((tileH - FOOTER_PX) * 16) / 9));
    const empty = cols * rows - n;
    if (score > best.score || (score === best.score && empty < best.empty)) best = { cols, score, empty };
  }
  return best.cols;
}
