'use client';

import type { ReactNode } from 'react';
import { Button } from '@/components/ui/button';

/**
 * Shared parts of the import panels (candidate CSV/XLSX, photo package): the card with its
 * heading, the line of facts, the tables with their sticky header, the problems column with
 * its download and pager, the summary by reason, and the CSV download itself.
 * Presentational only: each panel passes its own texts, rows and test ids.
 */

/** Rows as a CSV file to download: a BOM (for Excel), quoted where needed, CRLF line ends. */
export function downloadCsv(fileName: string, lines: (string | number)[][]) {
  const cell = (s: string | number) => (/[",\r\n]/.test(String(s)) ? `"${String(s).replace(/"/g, '""')}"` : String(s));
  const blob = new Blob([`\uFEFF${lines.map((l) => l.map(cell).join(',')).join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = fileName;
  a.click();
  URL.revokeObjectURL(a.href);
}

/** An import's card: its heading and hint over the chooser, messages and preview (`children`). */
export function ImportSection({ testId, heading, hint, children }: { testId: string; heading: string; hint: string; children: ReactNode }) {
  return (
    <section className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm" data-testid={testId}>
      <div>
        <h2 className="text-lg font-semibold">{heading}</h2>
        <p className="mt-1 max-w-3xl text-sm text-slate-600">{hint}</p>
      </div>
      {children}
    </section>
  );
}

/** The line of facts over a preview: the file's name, then the panel's own facts (`children`). */
export function PreviewFacts({ fileLabel, children }: { fileLabel: string; children: ReactNode }) {
  return (
    <div className="flex flex-wrap gap-x-6 gap-y-1 rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700">
      <span className="break-all">{fileLabel}</span>
      {children}
    </div>
  );
}

/** A scrolling table with a sticky header: `tall` for problems, short for a sample; `caps` upper-cases the header. */
export function PreviewTable({
  testId,
  tall = false,
  caps = false,
  head,
  children,
}: {
  testId: string;
  tall?: boolean;
  caps?: boolean;
  head: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className={`${tall ? 'max-h-[28rem]' : 'max-h-72'} overflow-auto rounded-md border border-slate-200`}>
      <table className="w-full text-left text-sm" data-testid={testId}>
        <thead className={`sticky top-0 bg-slate-100 text-xs ${caps ? 'uppercase ' : ''}text-slate-500`}>
          <tr>{head}</tr>
        </thead>
        <tbody className="divide-y divide-slate-100">{children}</tbody>
      </table>
    </div>
  );
}

/** A sample of what will be imported: its heading over a short table. */
export function SampleTable({ heading, testId, head, children }: { heading: string; testId: string; head: ReactNode; children: ReactNode }) {
  return (
    <div>
      <h3 className="mb-2 text-sm font-medium text-slate-700">{heading}</h3>
      <PreviewTable testId={testId} head={head}>
        {children}
      </PreviewTable>
    </div>
  );
}

/** Previous / "page n of m" / next under a paged table; nothing when there is one page. */
export function Pager({
  page,
  pages,
  onPage,
  prevLabel,
  nextLabel,
  pageLabel,
}: {
  page: number;
  pages: number;
  onPage: (page: number) => void;
  prevLabel: string;
  nextLabel: string;
  pageLabel: string;
}) {
  if (pages <= 1) return null;
  return (
    <div className="mt-2 flex items-center justify-end gap-2 text-sm">
      <Button variant="secondary" className="px-2 py-1" disabled={page === 0} onClick={() => onPage(page - 1)}>
        {prevLabel}
      </Button>
      <span className="tabular-nums text-slate-600">{pageLabel}</span>
      <Button variant="secondary" className="px-2 py-1" disabled={page + 1 >= pages} onClick={() => onPage(page + 1)}>
        {nextLabel}
      </Button>
    </div>
  );
}

/** How many problems of each reason. */
export function ReasonSummary<K extends string>({
  testId,
  heading,
  items,
  label,
}: {
  testId: string;
  heading: string;
  items: readonly { key: K; count: number }[];
  label: (key: K) => string;
}) {
  return (
    <div className="rounded-md border border-slate-200 p-3" data-testid={testId}>
      <h3 className="mb-2 text-sm font-medium text-slate-700">{heading}</h3>
      <ul className="space-y-1 text-sm">
        {items.map((s) => (
          <li key={s.key} className="flex justify-between gap-3">
            <span className="text-slate-700">{label(s.key)}</span>
            <span className="tabular-nums font-medium text-slate-900">{s.count}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * The problems of a preview: a wide column with the heading, a download button and `children`
 * (the table and its pager), and the `summary` beside it (below it on narrow screens).
 */
export function ProblemsLayout({
  heading,
  downloadLabel,
  onDownload,
  downloadTestId,
  summary,
  children,
}: {
  heading: string;
  downloadLabel: string;
  onDownload: () => void;
  downloadTestId?: string;
  summary: ReactNode;
  children: ReactNode;
}) {
  return (
    <div className="grid items-start gap-4 lg:grid-cols-[minmax(0,3fr)_minmax(0,1fr)]">
      <div className="min-w-0">
        <div className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
          <h3 className="font-medium text-red-800">{heading}</h3>
          <Button variant="ghost" className="px-2 py-1 text-xs" onClick={onDownload} data-testid={downloadTestId}>
            {downloadLabel}
          </Button>
        </div>
        {children}
      </div>
      {summary}
    </div>
  );
}
