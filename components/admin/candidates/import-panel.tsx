'use client';

import { useTranslations } from 'next-intl';
import { useId, useRef, useState } from 'react';
import type { inferRouterOutputs } from '@trpc/server';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import type { AppRouter } from '@/server/routers/_app';

type Preview = inferRouterOutputs<AppRouter>['admin']['candidates']['previewImport'];
type Problem = Preview['problems'][number];

const PAGE = 50;

/** Bytes to base64 in slices: String.fromCharCode on a whole 10 MB file would overflow the stack. */
function toBase64(buf: ArrayBuffer) {
  const bytes = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

/** Wording of one problem: the reason with its parameters, column names translated. */
export function useProblemText() {
  const t = useTranslations('adminCandidates');
  return {
    column: (p: Pick<Problem, 'column'>) => (p.column ? t(`fields.${p.column}`) : t('import.wholeRow')),
    reason: (p: Pick<Problem, 'key' | 'params'>) => {
      const params: Record<string, string | number> = { ...(p.params ?? {}) };
      if (p.key === 'missingColumns' && typeof params.columns === 'string')
        params.columns = params.columns
          .split(',')
          .map((c) => t(`fields.${c}`))
          .join('、');
      return t(`problems.${p.key}`, params);
    },
  };
}

/**
 * The import: choose a file, see every problem (by line, column and reason, paged, with a summary
 * by reason), and commit only a clean file. The server keeps the preview; the commit names it.
 */
export function ImportPanel({ examId, onImported }: { examId: number; onImported: () => void }) {
  const t = useTranslations('adminCandidates.import');
  const tc = useTranslations('adminCandidates');
  const errorText = useErrorText();
  const text = useProblemText();
  const inputId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [preview, setPreview] = useState<Preview | null>(null);
  const [page, setPage] = useState(0);
  const [done, setDone] = useState<{ imported: number; created: number; reused: number; placed: number } | null>(null);
  const [reading, setReading] = useState(false);

  const previewImport = trpc.admin.candidates.previewImport.useMutation({
    onSuccess: (res) => {
      setPreview(res);
      setPage(0);
    },
  });
  const commit = trpc.admin.candidates.commitImport.useMutation({
    onSuccess: (res) => {
      setDone(res);
      setPreview(null);
      onImported();
    },
  });

  async function choose(file: File | undefined) {
    if (!file) return;
    setDone(null);
    setPreview(null);
    commit.reset();
    setReading(true);
    try {
      const contentBase64 = toBase64(await file.arrayBuffer());
      previewImport.mutate({ examId, fileName: file.name, contentBase64 });
    } finally {
      setReading(false);
      // The same file, fixed and chosen again, must fire a change.
      if (inputRef.current) inputRef.current.value = '';
    }
  }

  function downloadProblems() {
    if (!preview) return;
    const cell = (s: string | number) => (/[",\r\n]/.test(String(s)) ? `"${String(s).replace(/"/g, '""')}"` : String(s));
    const lines = [[t('line'), t('column'), t('reason')], ...preview.problems.map((p) => [p.line, text.column(p), text.reason(p)])];
    const blob = new Blob([`\uFEFF${lines.map((l) => l.map(cell).join(',')).join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = t('problemsFileName');
    a.click();
    URL.revokeObjectURL(a.href);
  }

  const busy = reading || previewImport.isPending;
  const problems = preview?.problems ?? [];
  const pages = Math.max(1, Math.ceil(problems.length / PAGE));
  const shown = problems.slice(page * PAGE, (page + 1) * PAGE);
  const canCommit = !!preview && problems.length === 0 && preview.counts.valid > 0 && !commit.isPending;

  return (
    <section className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm" data-testid="import-panel">
      <div>
        <h2 className="text-lg font-semibold">{t('heading')}</h2>
        <p className="mt-1 max-w-3xl text-sm text-slate-600">{t('hint')}</p>
      </div>

      <div className="flex flex-wrap items-center gap-3">
        <label
          htmlFor={inputId}
          className="inline-flex cursor-pointer items-center rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50"
        >
          {t('chooseFile')}
        </label>
        <input
          ref={inputRef}
          id={inputId}
          type="file"
          accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          className="sr-only"
          onChange={(e) => void choose(e.target.files?.[0])}
          data-testid="import-file"
        />
        {busy && <span className="text-sm text-slate-500">{t('reading')}</span>}
      </div>

      {previewImport.error && <Alert>{errorText(previewImport.error)}</Alert>}
      {commit.error && <Alert>{errorText(commit.error)}</Alert>}
      {done && (
        <Alert tone="info">
          <span data-testid="import-committed">{t('committed', done)}</span>
          {done.created > 0 && <span className="mt-1 block text-xs">{t('noPasswordNote')}</span>}
        </Alert>
      )}

      {preview && (
        <div className="space-y-4">
          <div className="flex flex-wrap gap-x-6 gap-y-1 rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700">
            <span className="break-all">{t('file', { file: preview.fileName })}</span>
            <span data-testid="import-encoding" data-encoding={preview.encoding}>
              {t('encoding', { encoding: t(`encodings.${preview.encoding}`) })}
            </span>
            <span data-testid="import-counts" className="font-medium">
              {t('counts', preview.counts)}
            </span>
          </div>

          {problems.length === 0 ? (
            <Alert tone="info">{t('allGood')}</Alert>
          ) : (
            <div className="grid items-start gap-4 lg:grid-cols-[minmax(0,3fr)_minmax(0,1fr)]">
              <div className="min-w-0">
                <div className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
                  <h3 className="font-medium text-red-800">{t('problemsHeading', { count: problems.length })}</h3>
                  <Button variant="ghost" className="px-2 py-1 text-xs" onClick={downloadProblems} data-testid="import-download-problems">
                    {t('downloadProblems')}
                  </Button>
                </div>
                <div className="max-h-[28rem] overflow-auto rounded-md border border-slate-200">
                  <table className="w-full text-left text-sm" data-testid="import-problems">
                    <thead className="sticky top-0 bg-slate-100 text-xs uppercase text-slate-500">
                      <tr>
                        <th className="w-16 px-3 py-2">{t('line')}</th>
                        <th className="w-28 px-3 py-2">{t('column')}</th>
                        <th className="px-3 py-2">{t('reason')}</th>
                      </tr>
                    </thead>
                    <tbody className="divide-y divide-slate-100">
                      {shown.map((p, i) => (
                        <tr key={`${p.line}-${p.key}-${i}`} data-testid="import-problem-row" data-line={p.line} data-key={p.key}>
                          <td className="px-3 py-1.5 tabular-nums text-slate-700">{p.line}</td>
                          <td className="px-3 py-1.5 text-slate-600">{text.column(p)}</td>
                          <td className="px-3 py-1.5 text-slate-900">{text.reason(p)}</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
                {pages > 1 && (
                  <div className="mt-2 flex items-center justify-end gap-2 text-sm">
                    <Button variant="secondary" className="px-2 py-1" disabled={page === 0} onClick={() => setPage(page - 1)}>
                      {t('prev')}
                    </Button>
                    <span className="tabular-nums text-slate-600">{t('page', { page: page + 1, pages })}</span>
                    <Button variant="secondary" className="px-2 py-1" disabled={page + 1 >= pages} onClick={() => setPage(page + 1)}>
                      {t('next')}
                    </Button>
                  </div>
                )}
              </div>
              <div className="rounded-md border border-slate-200 p-3" data-testid="import-summary">
                <h3 className="mb-2 text-sm font-medium text-slate-700">{t('summaryHeading')}</h3>
                <ul className="space-y-1 text-sm">
                  {preview.summary.map((s) => (
                    <li key={s.key} className="flex justify-between gap-3">
                      <span className="text-slate-700">{tc(`reasons.${s.key}`)}</span>
                      <span className="tabular-nums font-medium text-slate-900">{s.count}</span>
                    </li>
                  ))}
                </ul>
              </div>
            </div>
          )}

          {preview.sample.length > 0 && problems.length === 0 && (
            <div>
              <h3 className="mb-2 text-sm font-medium text-slate-700">{t('sampleHeading', { count: preview.sample.length })}</h3>
              <div className="max-h-72 overflow-auto rounded-md border border-slate-200">
                <table className="w-full text-left text-sm" data-testid="import-sample">
                  <thead className="sticky top-0 bg-slate-100 text-xs text-slate-500">
                    <tr>
                      <th className="px-3 py-2">{t('line')}</th>
                      {(['name', 'idNumber', 'phone', 'email', 'room'] as const).map((f) => (
                        <th key={f} className="px-3 py-2">
                          {tc(`fields.${f}`)}
                        </th>
                      ))}
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100">
                    {preview.sample.map((r) => (
                      <tr key={r.line}>
                        <td className="px-3 py-1.5 tabular-nums text-slate-500">{r.line}</td>
                        <td className="px-3 py-1.5">{r.name}</td>
                        <td className="px-3 py-1.5 font-mono text-xs">{r.idNumber}</td>
                        <td className="px-3 py-1.5 tabular-nums">{r.phone}</td>
                        <td className="px-3 py-1.5">{r.email}</td>
                        <td className="px-3 py-1.5">{r.room ? `${r.room} · ${r.seat}` : <span className="text-slate-400">{t('unplaced')}</span>}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
          )}

          <div className="flex flex-wrap items-center justify-end gap-3">
            {problems.length > 0 && <p className="text-sm text-slate-600">{t('fixAndRetry')}</p>}
            <Button disabled={!canCommit} onClick={() => commit.mutate({ examId, importId: preview.importId })} data-testid="import-commit">
              {commit.isPending ? t('committing') : t('commit', { count: preview.counts.valid })}
            </Button>
          </div>
        </div>
      )}
    </section>
  );
}
