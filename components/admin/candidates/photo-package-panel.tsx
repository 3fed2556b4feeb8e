'use client';

import { useTranslations } from 'next-intl';
import { useId, useRef, useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import type { PhotoPackagePreview } from '@/server/routers/admin/photos';
import { downloadCsv, ImportSection, Pager, PreviewFacts, PreviewTable, ProblemsLayout, ReasonSummary, SampleTable } from '../preview-parts';
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
    downloadCsv(t('problemsFileName'), [[t('fileColumn'), t('idNumber'), t('reason')], ...preview.problems.map((p) => [p.name, p.idNumber ?? '', reason(p)])]);
  }

  const problems = preview?.problems ?? [];
  const pages = Math.max(1, Math.ceil(problems.length / PAGE));
  const shown = problems.slice(page * PAGE, (page + 1) * PAGE);
  const canCommit = !!preview && preview.counts.accepted > 0 && !commit.isPending;

  return (
    <ImportSection testId="photo-package-panel" heading={t('heading')} hint={t('hint')}>
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
          <PreviewFacts fileLabel={t('file', { file: preview.fileName })}>
            <span data-testid="photo-package-counts" className="font-medium">
              {t('counts', preview.counts)}
            </span>
            {preview.counts.replacing > 0 && <span className="text-amber-800">{t('replacing', { count: preview.counts.replacing })}</span>}
          </PreviewFacts>

          {problems.length === 0 ? (
            <Alert tone="info">{t('allGood')}</Alert>
          ) : (
            <ProblemsLayout
              heading={t('problemsHeading', { count: problems.length })}
              downloadLabel={t('downloadProblems')}
              onDownload={downloadProblems}
              summary={
                <ReasonSummary
                  testId="photo-package-summary"
                  heading={t('summaryHeading')}
                  items={preview.summary}
                  label={(key) => tp(`reasons.${key}` as 'reasons.noFace')}
                />
              }
            >
              <PreviewTable
                testId="photo-package-problems"
                tall
                head={
                  <>
                    <th className="px-3 py-2">{t('fileColumn')}</th>
                    <th className="px-3 py-2">{t('reason')}</th>
                  </>
                }
              >
                {shown.map((p, i) => (
                  <tr key={`${p.name}-${i}`} data-testid="photo-package-problem" data-name={p.name} data-key={p.problem}>
                    <td className="break-all px-3 py-1.5 font-mono text-xs text-slate-700">{p.name}</td>
                    <td className="px-3 py-1.5 text-slate-900">{reason(p)}</td>
                  </tr>
                ))}
              </PreviewTable>
              <Pager page={page} pages={pages} onPage={setPage} prevLabel={t('prev')} nextLabel={t('next')} pageLabel={t('page', { page: page + 1, pages })} />
            </ProblemsLayout>
          )}

          {preview.sample.length > 0 && (
            <SampleTable
              heading={t('sampleHeading', { count: preview.sample.length })}
              testId="photo-package-sample"
              head={
                <>
                  <th className="px-3 py-2">{t('fileColumn')}</th>
                  <th className="px-3 py-2">{t('candidate')}</th>
                  <th className="px-3 py-2">{t('idNumber')}</th>
                  <th className="px-3 py-2" />
                </>
              }
            >
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
            </SampleTable>
          )}

          <div className="flex flex-wrap items-center justify-end gap-3">
            {problems.length > 0 && <p className="text-sm text-slate-600">{preview.counts.accepted > 0 ? t('rejectedNote') : t('nothingToImport')}</p>}
            <Button disabled={!canCommit} onClick={() => commit.mutate({ importId: preview.importId })} data-testid="photo-package-commit">
              {commit.isPending ? t('committing') : t('commit', { count: preview.counts.accepted })}
            </Button>
          </div>
        </div>
      )}
    </ImportSection>
  );
}
