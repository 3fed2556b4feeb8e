'use client';

import { useTranslations } from 'next-intl';
import { useId, useRef, useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import type { PhotoPackagePreview } from '@/server/routers/admin/photos';
import { uploadPhotoPackage } from './photo-upload';

type Problem = PhotoPackagePreview['problems'][number];

const PAGE = 50;

/** Wording of one bad file's reason (adminPhotos.problems.*, with its parameters). */
function useReasonText() {
  const t = useTranslations('adminPhotos');
  return (p: Problem) => t(`problems.${p.problem}` as 'problems.noFace', p.params ?? {});
}

/**
 * The photo package: choose a ZIP, watch the photos being checked, see every file that will
 * not be imported with its reason, and commit the accepted ones. The server keeps the preview
 * (and the accepted photos); the commit names it.
 */
export function PhotoPackagePanel({ onImported }: { onImported: () => void }) {
  const t = useTranslations('adminPhotos.package');
  const tp = useTranslations('adminPhotos');
  const errorText = useErrorText();
  const reason = useReasonText();
  const inputId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [busy, setBusy] = useState<{ done: number; total: number } | 'uploading' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const [preview, setPreview] = useState<PhotoPackagePreview | null>(null);
  const [page, setPage] = useState(0);
  const commit = trpc.admin.photos.commitPackage.useMutation({
    onSuccess: () => {
      setPreview(null);
      onImported();
    },
  });

  async function choose(file: File | undefined) {
    // The same package, fixed and chosen again, must fire a change.
    if (inputRef.current) inputRef.current.value = '';
    if (!file) return;
    setPreview(null);
    setError(null);
    commit.reset();
    setBusy('uploading');
    try {
      setPreview(await uploadPhotoPackage(file, setBusy));
      setPage(0);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  }

  function downloadProblems() {
    if (!preview) return;
    const cell = (s: string) => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
    const lines = [[t('fileColumn'), t('idNumber'), t('reason')], ...preview.problems.map((p) => [p.name, p.idNumber ?? '', reason(p)])];
    const blob = new Blob([`\uFEFF${lines.map((l) => l.map(cell).join(',')).join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' });
    const a = document.createElement('a');
    a.href = URL.createObjectURL(blob);
    a.download = t('problemsFileName');
    a.click();
    URL.revokeObjectURL(a.href);
  }

  const problems = preview?.problems ?? [];
  const pages = Math.max(1, Math.ceil(problems.length / PAGE));
  const shown = problems.slice(page * PAGE, (page + 1) * PAGE);
  const canCommit = !!preview && preview.counts.accepted > 0 && !commit.isPending;

  return (
    <section className="space-y-4 rounded-lg border border-slate-200 bg-white p-5 shadow-sm" data-testid="photo-package-panel">
      <div>
        <h2 className="text-lg font-semibold">{t('heading')}</h2>
        <p className="mt-1 max-w-3xl text-sm text-slate-600">{t('hint')}</p>
      </div>

      <div className="flex flex-wrap items-center gap-3">
        <label
          htmlFor={inputId}
          aria-disabled={!!busy}
          className={`inline-flex items-center rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium text-slate-700 ${busy ? 'pointer-events-none opacity-60' : 'cursor-pointer hover:bg-slate-50'}`}
        >
          {t('chooseFile')}
        </label>
        <input
          ref={inputRef}
          id={inputId}
          type="file"
          accept=".zip,application/zip,application/x-zip-compressed"
          className="sr-only"
          disabled={!!busy}
          onChange={(e) => void choose(e.target.files?.[0])}
          data-testid="photo-package-file"
        />
        {busy && (
          <span className="flex items-center gap-2 text-sm text-slate-500" data-testid="photo-package-busy">
            {busy === 'uploading' ? t('uploading') : t('checking', busy)}
            {busy !== 'uploading' && (
              <progress className="h-1.5 w-40 accent-blue-600" max={busy.total} value={busy.done}>
                {busy.done}
              </progress>
            )}
          </span>
        )}
      </div>

      {!!error && <Alert>{errorText(error)}</Alert>}
      {commit.error && <Alert>{errorText(commit.error)}</Alert>}
      {commit.data && (
        <Alert tone="info">
          <span data-testid="photo-package-committed">{t('committed', commit.data)}</span>
          {commit.data.rejected > 0 && <span className="mt-1 block text-xs">{t('rejectedNote')}</span>}
        </Alert>
      )}

      {preview && (
        <div className="space-y-4">
          <div className="flex flex-wrap gap-x-6 gap-y-1 rounded-md bg-slate-50 px-3 py-2 text-sm text-slate-700">
            <span className="break-all">{t('file', { file: preview.fileName })}</span>
            <span data-testid="photo-package-counts" className="font-medium">
              {t('counts', preview.counts)}
            </span>
            {preview.counts.replacing > 0 && <span className="text-amber-800">{t('replacing', { count: preview.counts.replacing })}</span>}
          </div>

          {problems.length === 0 ? (
            <Alert tone="info">{t('allGood')}</Alert>
          ) : (
            <div className="grid items-start gap-4 lg:grid-cols-[minmax(0,3fr)_minmax(0,1fr)]">
              <div className="min-w-0">
                <div className="mb-2 flex flex-wrap items-baseline justify-between gap-2">
                  <h3 className="font-medium text-red-800">{t('problemsHeading', { count: problems.length })}</h3>
                  <Button variant="ghost" className="px-2 py-1 text-xs" onClick={downloadProblems}>
                    {t('downloadProblems')}
                  </Button>
                </div>
                <div className="max-h-[28rem] overflow-auto rounded-md border border-slate-200">
                  <table className="w-full text-left text-sm" data-testid="photo-package-problems">
                    <thead className="sticky top-0 bg-slate-100 text-xs text-slate-500">
                      <tr>
                        <th className="px-3 py-2">{t('fileColumn')}</th>
                        <th className="px-3 py-2">{t('reason')}</th>
                      </tr>
                    </thead>
                    <tbody className="divide-y divide-slate-100">
                      {shown.map((p, i) => (
                        <tr key={`${p.name}-${i}`} data-testid="photo-package-problem" data-name={p.name} data-key={p.problem}>
                          <td className="break-all px-3 py-1.5 font-mono text-xs text-slate-700">{p.name}</td>
                          <td className="px-3 py-1.5 text-slate-900">{reason(p)}</td>
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
              <div className="rounded-md border border-slate-200 p-3" data-testid="photo-package-summary">
                <h3 className="mb-2 text-sm font-medium text-slate-700">{t('summaryHeading')}</h3>
                <ul className="space-y-1 text-sm">
                  {preview.summary.map((s) => (
                    <li key={s.key} className="flex justify-between gap-3">
                      <span className="text-slate-700">{tp(`reasons.${s.key}` as 'reasons.noFace')}</span>
                      <span className="tabular-nums font-medium text-slate-900">{s.count}</span>
                    </li>
                  ))}
                </ul>
              </div>
            </div>
          )}

          {preview.sample.length > 0 && (
            <div>
              <h3 className="mb-2 text-sm font-medium text-slate-700">{t('sampleHeading', { count: preview.sample.length })}</h3>
              <div className="max-h-72 overflow-auto rounded-md border border-slate-200">
                <table className="w-full text-left text-sm" data-testid="photo-package-sample">
                  <thead className="sticky top-0 bg-slate-100 text-xs text-slate-500">
                    <tr>
                      <th className="px-3 py-2">{t('fileColumn')}</th>
                      <th className="px-3 py-2">{t('candidate')}</th>
                      <th className="px-3 py-2">{t('idNumber')}</th>
                      <th className="px-3 py-2" />
                    </tr>
                  </thead>
                  <tbody className="divide-y divide-slate-100">
                    {preview.sample.map((s) => (
                      <tr key={s.candidateId}>
                        <td className="break-all px-3 py-1.5 font-mono text-xs text-slate-500">{s.name}</td>
                        <td className="px-3 py-1.5">{s.candidateName}</td>
                        <td className="px-3 py-1.5 font-mono text-xs">{s.idNumber}</td>
                        <td className="px-3 py-1.5 text-xs">
                          {s.replacing ? <span className="text-amber-800">{t('replaces')}</span> : <span className="text-slate-500">{t('adds')}</span>}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
          )}

          <div className="flex flex-wrap items-center justify-end gap-3">
            {problems.length > 0 && <p className="text-sm text-slate-600">{preview.counts.accepted > 0 ? t('rejectedNote') : t('nothingToImport')}</p>}
            <Button disabled={!canCommit} onClick={() => commit.mutate({ importId: preview.importId })} data-testid="photo-package-commit">
              {commit.isPending ? t('committing') : t('commit', { count: preview.counts.accepted })}
            </Button>
          </div>
        </div>
      )}
    </section>
  );
}
