'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useId, useRef, useState } from 'react';
import { ReferencePhoto } from '@/components/photos/reference-photo';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { uploadCandidatePhoto } from './photo-upload';

/**
 * The candidate editor's photo: the one face login matches against. Upload (or replace) is
 * checked by the server at once (one face, large enough) and refused with the reason; removing
 * asks first, as it switches face login off for the candidate.
 */
export function CandidatePhotoField({ candidateId, examId, name }: { candidateId: number; examId: number; name: string }) {
  const t = useTranslations('adminPhotos.photo');
  const format = useFormatter();
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const inputId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [uploading, setUploading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const status = trpc.admin.photos.status.useQuery({ candidateId });
  // The list's "no photo" badges follow.
  const refresh = () => void Promise.all([utils.admin.photos.status.invalidate({ candidateId }), utils.admin.candidates.list.invalidate()]);
  const remove = trpc.admin.photos.remove.useMutation({ onSuccess: refresh });
  const photo = status.data;

  async function choose(file: File | undefined) {
    if (inputRef.current) inputRef.current.value = '';
    if (!file) return;
    setError(null);
    remove.reset();
    setUploading(true);
    try {
      await uploadCandidatePhoto({ candidateId, examId, file });
      refresh();
    } catch (err) {
      setError(err);
    } finally {
      setUploading(false);
    }
  }

  return (
    <div className="flex gap-4" data-testid="candidate-photo" data-has-photo={photo ? 'true' : photo === null ? 'false' : ''}>
      <div className="flex h-32 w-24 shrink-0 items-center justify-center overflow-hidden rounded-md border border-slate-200 bg-slate-50">
        {photo ? (
          <ReferencePhoto candidateId={candidateId} name={name} version={photo.createdAt.getTime()} />
        ) : (
          photo === null && (
            <span className="text-xs text-slate-400" data-testid="candidate-photo-none">
              {t('none')}
            </span>
          )
        )}
      </div>
      <div className="min-w-0 flex-1 space-y-2 text-sm">
        <div className="font-medium text-slate-700">{t('title')}</div>
        {photo && (
          <div className="space-y-0.5 text-xs text-slate-500">
            <div>
              {t('from', {
                source: t(`sources.${photo.source}`),
                time: format.dateTime(photo.createdAt, 'dateTime'),
              })}
            </div>
            {photo.createdBy && <div>{t('by', { name: photo.createdBy })}</div>}
          </div>
        )}
        <div className="flex flex-wrap gap-2">
          <label
            htmlFor={inputId}
            className={`inline-flex items-center rounded-md border border-slate-300 bg-white px-3 py-1.5 text-xs font-medium text-slate-700 ${uploading ? 'pointer-events-none opacity-60' : 'cursor-pointer hover:bg-slate-50'}`}
          >
            {uploading ? t('checking') : photo ? t('replace') : t('upload')}
          </label>
          <input
            ref={inputRef}
            id={inputId}
            type="file"
            accept="image/jpeg,image/png,image/webp"
            className="sr-only"
            disabled={uploading}
            onChange={(e) => void choose(e.target.files?.[0])}
            data-testid="candidate-photo-file"
          />
          {photo && (
            <Button
              variant="ghost"
              className="px-2 py-1 text-xs text-red-700"
              disabled={remove.isPending || uploading}
              onClick={() => window.confirm(t('confirmRemove', { name })) && remove.mutate({ candidateId, examId })}
              data-testid="candidate-photo-remove"
            >
              {t('remove')}
            </Button>
          )}
        </div>
        <p className="text-xs text-slate-500">{t('hint')}</p>
        {(!!error || remove.error || status.error) && <Alert>{errorText(error ?? remove.error ?? status.error)}</Alert>}
      </div>
    </div>
  );
}
