'use client';

import { useTranslations } from 'next-intl';

/** The sheet switcher at the lower left (the manual's "click the lower left to switch sheets"). */
export function SheetTabs({ sheets, current, onSelect }: { sheets: { title: string }[]; current: number; onSelect: (i: number) => void }) {
  const t = useTranslations('examRoom');
  if (sheets.length < 2) return null;
  return (
    <nav aria-label={t('sheets')} className="flex flex-wrap gap-2">
      {sheets.map((s, i) => (
        <button
          key={i}
          type="button"
          data-testid={`sheet-tab-${i + 1}`}
          aria-current={i === current ? 'page' : undefined}
          onClick={() => onSelect(i)}
          className={`rounded-md border px-3 py-1.5 text-sm font-medium transition-colors ${
            i === current ? 'border-blue-600 bg-blue-600 text-white' : 'border-slate-300 bg-white text-slate-700 hover:bg-slate-50'
          }`}
        >
          {s.title}
        </button>
      ))}
    </nav>
  );
}
