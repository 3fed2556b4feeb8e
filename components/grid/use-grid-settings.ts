'use client';

import { useCallback, useEffect, useState } from 'react';

export const PAGE_SIZES = [4, 9, 16, 25, 36, 40] as const;
export type PageSize = (typeof PAGE_SIZES)[number];
export const PATROL_SECONDS = [10, 20, 30, 60, 120] as const;
export const UNSEEN_MINUTES = [2, 5, 10, 15, 30] as const;
export const VIDEO_CAPS = [8, 12, 16, 24, 32, 40, 48, 80] as const;

export type GridSettings = {
  pageSize: PageSize;
  urgentFirst: boolean;
  patrolSeconds: number;
  unseenMinutes: number;
  /** Most live videos decoded at once; the rest of the page shows refreshed stills. */
  videoCap: number;
};

/**
 * 40 live videos: every camera of a full 40-tile page (cameras are spent first, see planPage),
 * its screens and witnesses as stills refreshed every few seconds; two of the three pictures of
 * a 16-tile page. `npm run bench:grid` (the exam-day simulator sending the app's own layers):
 * 114 kbps per tile into the invigilator's browser with every camera at 10 fps; at 48, eight
 * screens live too cost 147 kbps per tile. The budget still backs off when a weaker machine
 * drops frames.
 */
export const DEFAULT_SETTINGS: GridSettings = { pageSize: 16, urgentFirst: false, patrolSeconds: 30, unseenMinutes: 5, videoCap: 40 };

const KEY = 'grid.settings';

const isPageSize = (n: number): n is PageSize => (PAGE_SIZES as readonly number[]).includes(n);
const positive = (v: unknown): number | null => (typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : null);

function read(): GridSettings {
  const s = { ...DEFAULT_SETTINGS };
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Record<keyof GridSettings, unknown>>;
    const size = positive(stored.pageSize);
    if (size && isPageSize(size)) s.pageSize = size;
    if (typeof stored.urgentFirst === 'boolean') s.urgentFirst = stored.urgentFirst;
    s.patrolSeconds = positive(stored.patrolSeconds) ?? s.patrolSeconds;
    s.unseenMinutes = positive(stored.unseenMinutes) ?? s.unseenMinutes;
    s.videoCap = positive(stored.videoCap) ?? s.videoCap;
  } catch {
    // A corrupt entry falls back to the defaults.
  }
  // The URL wins for this load only (benchmarks and tests pin the layout without touching storage).
  const q = new URLSearchParams(window.location.search);
  const size = Number(q.get('pageSize'));
  if (isPageSize(size)) s.pageSize = size;
  const cap = Number(q.get('videoCap') ?? NaN);
  if (Number.isInteger(cap) && cap >= 0) s.videoCap = cap;
  return s;
}

/** The invigilator's grid preferences, kept per browser. */
export function useGridSettings() {
  const [settings, setSettings] = useState<GridSettings>(DEFAULT_SETTINGS);
  useEffect(() => setSettings(read()), []);
  const update = useCallback((patch: Partial<GridSettings>) => {
    setSettings((prev) => {
      const next = { ...prev, ...patch };
      try {
        localStorage.setItem(KEY, JSON.stringify(next));
      } catch {
        // Private mode: the choice lasts for this page.
      }
      return next;
    });
  }, []);
  return { settings, update };
}
