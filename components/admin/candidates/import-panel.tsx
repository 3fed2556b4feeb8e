'use client';

import { useTranslations } from 'next-intl';
import { useId, useRef, useState } from 'react';
import type { inferRouterOutputs } from '@trpc/server';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import type { AppRouter } from '@/server/routers/_app';
import { downloadCsv, ImportSection, Pager, PreviewFacts, PreviewTable, ProblemsLayout, ReasonSummary, SampleTable } from '../preview-parts';

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
    downloadCsv(t('problemsFileName'), [[t('line'), t('column'), t('reason')], ...preview.problems.map((p) => [p.line, text.column(p), text.reason(p)])]);
  }

  const busy = reading || previewImport.isPending;
  const problems = preview?.problems ?? [];
  const pages = Math.max(1, Math.ceil(problems.length / PAGE));
  const shown = problems.slice(page * PAGE, (page + 1) * PAGE);
  const canCommit = !!preview && problems.length === 0 && preview.counts.valid > 0 && !commit.isPending;

  return (
    <ImportSection testId="import-panel" heading={t('heading')} hint={t('hint')}>
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
          <PreviewFacts fileLabel={t('file', { file: preview.fileName })}>
            <span data-testid="import-encoding" data-encoding={preview.encoding}>
              {t('encoding', { encoding: t(`encodings.${preview.encoding}`) })}
            </span>
            <span data-testid="import-counts" className="font-medium">
              {t('counts', preview.counts)}
            </span>
          </PreviewFacts>

          {problems.length === 0 ? (
            <Alert tone="info">{t('allGood')}</Alert>
          ) : (
            <ProblemsLayout
              heading={t('problemsHeading', { count: problems.length })}
              downloadLabel={t('downloadProblems')}
              onDownload={downloadProblems}
              downloadTestId="import-download-problems"
              summary={<ReasonSummary testId="import-summary" heading={t('summaryHeading')} items={preview.summary} label={(key) => tc(`reasons.${key}`)} />}
            >
              <PreviewTable
                testId="import-problems"
                tall
                caps
                head={
                  <>
                    <th className="w-16 px-3 py-2">{t('line')}</th>
                    <th className="w-28 px-3 py-2">{t('column')}</th>
                    <th className="px-3 py-2">{t('reason')}</th>
                  </>
                }
              >
                {shown.map((p, i) => (
                  <tr key={`${p.line}-${p.key}-${i}`} data-testid="import-problem-row" data-line={p.line} data-key={p.key}>
                    <td className="px-3 py-1.5 tabular-nums text-slate-700">{p.line}</td>
                    <td className="px-3 py-1.5 text-slate-600">{text.column(p)}</td>
                    <td className="px-3 py-1.5 text-slate-900">{text.reason(p)}</td>
                  </tr>
                ))}
              </PreviewTable>
              <Pager page={page} pages={pages} onPage={setPage} prevLabel={t('prev')} nextLabel={t('next')} pageLabel={t('page', { page: page + 1, pages })} />
            </ProblemsLayout>
          )}

          {preview.sample.length > 0 && problems.length === 0 && (
            <SampleTable
              heading={t('sampleHeading', { count: preview.sample.length })}
              testId="import-sample"
              head={
                <>
                  <th className="px-3 py-2">{t('line')}</th>
                  {(['name', 'idNumber', 'phone', 'email', 'room'] as const).map((f) => (
                    <th key={f} className="px-3 py-2">
                      {tc(`fields.${f}`)}
                    </th>
                  ))}
                </>
              }
            >
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
            </SampleTable>
          )}

          <div className="flex flex-wrap items-center justify-end gap-3">
            {problems.length > 0 && <p className="text-sm text-slate-600">{t('fixAndRetry')}</p>}
            <Button disabled={!canCommit} onClick={() => commit.mutate({ examId, importId: preview.importId })} data-testid="import-commit">
              {commit.isPending ? t('committing') : t('commit', { count: preview.counts.valid })}
            </Button>
          </div>
        </div>
      )}
    </ImportSection>
  );
}
