'use client';

import { useTranslations } from 'next-intl';
import { memo, useEffect, useState } from 'react';
import { PAGE_SIZES, PATROL_SECONDS, UNSEEN_MINUTES, VIDEO_CAPS, type GridSettings, type PageSize } from './use-grid-settings';

const selectClass = 'rounded-md border border-slate-300 bg-white px-2 py-1 text-sm text-slate-700';
const toggleClass = (on: boolean) =>
  `rounded-md border px-2.5 py-1 text-sm font-medium transition-colors ${on ? 'border-blue-600 bg-blue-600 text-white hover:bg-blue-700' : 'border-slate-300 bg-white text-slate-700 hover:bg-slate-50'}`;

/** Page size, paging, patrol and the grid's preferences. */
export const GridToolbar = memo(function GridToolbar({
  settings,
  update,
  page,
  pageCount,
  setPage,
  patrol,
  setPatrol,
  unseen,
  cap,
  constrained,
}: {
  settings: GridSettings;
  update: (patch: Partial<GridSettings>) => void;
  page: number;
  pageCount: number;
  setPage: (p: number | ((p: number) => number)) => void;
  patrol: boolean;
  setPatrol: (on: boolean) => void;
  unseen: number;
  cap: number;
  constrained: boolean;
}) {
  const t = useTranslations('grid');
  const [showSettings, setShowSettings] = useState(false);
  return (
    <div className="flex flex-wrap items-center gap-x-3 gap-y-1.5 text-sm">
      <label className="flex items-center gap-1.5 text-slate-600">
        {t('perPage')}
        <select
          data-testid="page-size"
          className={selectClass}
          value={settings.pageSize}
          onChange={(e) => update({ pageSize: Number(e.target.value) as PageSize })}
        >
          {PAGE_SIZES.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
      </label>
      <div className="flex items-center gap-1">
        <button
          type="button"
          data-testid="page-prev"
          aria-label={t('prevPage')}
          className="rounded-md border border-slate-300 bg-white px-2 py-1 text-slate-700 hover:bg-slate-50 disabled:text-slate-300"
          disabled={pageCount < 2}
          onClick={() => setPage((p) => (p - 1 + pageCount) % pageCount)}
        >
          ‹
        </button>
        <span data-testid="page-indicator" data-page={page + 1} data-pages={pageCount} className="min-w-16 text-center tabular-nums text-slate-700">
          {t('pageIndicator', { page: page + 1, pages: pageCount })}
        </span>
        <button
          type="button"
          data-testid="page-next"
          aria-label={t('nextPage')}
          className="rounded-md border border-slate-300 bg-white px-2 py-1 text-slate-700 hover:bg-slate-50 disabled:text-slate-300"
          disabled={pageCount < 2}
          onClick={() => setPage((p) => (p + 1) % pageCount)}
        >
          ›
        </button>
      </div>
      <button
        type="button"
        data-testid="sort-urgent"
        aria-pressed={settings.urgentFirst}
        className={toggleClass(settings.urgentFirst)}
        onClick={() => update({ urgentFirst: !settings.urgentFirst })}
      >
        {t('urgentFirst')}
      </button>
      <div className="flex items-center gap-1.5">
        <button type="button" data-testid="patrol-toggle" aria-pressed={patrol} className={toggleClass(patrol)} onClick={() => setPatrol(!patrol)}>
          {patrol ? t('patrolStop') : t('patrolStart')}
        </button>
        <select
          data-testid="patrol-interval"
          aria-label={t('patrolInterval')}
          className={selectClass}
          value={settings.patrolSeconds}
          onChange={(e) => update({ patrolSeconds: Number(e.target.value) })}
        >
          {PATROL_SECONDS.map((s) => (
            <option key={s} value={s}>
              {t('everySeconds', { s })}
            </option>
          ))}
        </select>
        {patrol && pageCount > 1 && <PatrolProgress key={page} seconds={settings.patrolSeconds} />}
      </div>
      {unseen > 0 && (
        <span data-testid="unseen-count" className="rounded bg-amber-100 px-2 py-0.5 text-amber-900">
          {t('unseenCount', { count: unseen, minutes: settings.unseenMinutes })}
        </span>
      )}
      {constrained && (
        <span data-testid="video-budget" data-cap={cap} className="rounded bg-slate-100 px-2 py-0.5 text-slate-600" title={t('budgetLoweredTitle')}>
          {t('budgetLowered', { cap })}
        </span>
      )}
      <div className="relative ml-auto">
        <button
          type="button"
          data-testid="grid-settings"
          className="rounded-md px-2 py-1 text-slate-600 hover:bg-slate-100"
          onClick={() => setShowSettings((s) => !s)}
          aria-expanded={showSettings}
        >
          {t('settings')}
        </button>
        {showSettings && (
          <div className="absolute right-0 top-full z-30 mt-1 w-72 space-y-3 rounded-lg border border-slate-200 bg-white p-3 shadow-lg">
            <label className="flex items-center justify-between gap-2 text-slate-700">
              {t('unseenAfter')}
              <select
                data-testid="unseen-minutes"
                className={selectClass}
                value={settings.unseenMinutes}
                onChange={(e) => update({ unseenMinutes: Number(e.target.value) })}
              >
                {UNSEEN_MINUTES.map((m) => (
                  <option key={m} value={m}>
                    {t('minutes', { m })}
                  </option>
                ))}
              </select>
            </label>
            <label className="flex items-center justify-between gap-2 text-slate-700">
              {t('videoCap')}
              <select data-testid="video-cap" className={selectClass} value={settings.videoCap} onChange={(e) => update({ videoCap: Number(e.target.value) })}>
                {[...new Set([...VIDEO_CAPS, settings.videoCap])]
                  .sort((a, b) => a - b)
                  .map((n) => (
                    <option key={n} value={n}>
                      {n}
                    </option>
                  ))}
              </select>
            </label>
            <p className="text-xs leading-5 text-slate-500">{t('videoCapHelp')}</p>
          </div>
        )}
      </div>
    </div>
  );
});

/** A thin bar that fills until the patrol turns the page. */
function PatrolProgress({ seconds }: { seconds: number }) {
  const [started, setStarted] = useState(false);
  useEffect(() => {
    const r = requestAnimationFrame(() => setStarted(true));
    return () => cancelAnimationFrame(r);
  }, []);
  return (
    <span className="h-1.5 w-16 overflow-hidden rounded bg-slate-200" aria-hidden>
      <span className="block h-full bg-blue-500" style={{ width: started ? '100%' : '0%', transition: `width ${seconds}s linear` }} />
    </span>
  );
}
