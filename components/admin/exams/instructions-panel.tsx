'use client';

import { useTranslations } from 'next-intl';
import { useId, useRef, useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { formatSize } from './attachments-panel';
import { fileToBase64 } from './files';

/**
 * The exam's spoken instructions: one audio file (upload, replace, remove, listen) and its caption.
 * Both are fixed once candidates may enter, like the notice.
 */
export function InstructionsPanel({ examId }: { examId: number }) {
  const t = useTranslations('adminExams.instructions');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const input = useRef<HTMLInputElement>(null);
  const inputId = useId();
  const captionId = useId();
  const [tooBig, setTooBig] = useState<string | null>(null);
  const current = trpc.admin.exams.instructions.get.useQuery({ examId });
  const refresh = () => void utils.admin.exams.instructions.get.invalidate({ examId });
  const upload = trpc.admin.exams.instructions.upload.useMutation({ onSuccess: refresh });
  const remove = trpc.admin.exams.instructions.remove.useMutation({ onSuccess: refresh });
  const saveCaption = trpc.admin.exams.instructions.setCaption.useMutation({ onSuccess: refresh });
  // The draft starts from the server's caption and follows it until the admin types.
  const [draft, setDraft] = useState<string | null>(null);

  const data = current.data;
  if (current.error) return <Alert>{errorText(current.error)}</Alert>;
  if (!data) return null;
  const { file, locked, limits } = data;
  const caption = draft ?? data.caption;

  async function pick(list: FileList | null) {
    const picked = list?.[0];
    if (input.current) input.current.value = '';
    if (!picked || !data) return;
    setTooBig(null);
    if (picked.size > data.limits.maxBytes) return setTooBig(t('tooBig', { name: picked.name }));
    upload.mutate({ examId, fileName: picked.name, contentBase64: await fileToBase64(picked) });
  }

  const error = upload.error ?? remove.error ?? saveCaption.error;
  return (
    <div className="space-y-3 text-sm" data-testid="instructions-panel">
      <p className="text-slate-500">{locked ? t('lockedHint') : t('hint')}</p>
      <div className="rounded-md border border-slate-200 px-3 py-2" data-testid="instructions-file">
        {file ? (
          <div className="space-y-2">
            <div className="flex items-center gap-3">
              <span className="min-w-0 flex-1 truncate font-medium text-slate-800" data-testid="instructions-file-name">
                {file.fileName}
              </span>
              <span className="text-xs tabular-nums text-slate-400">{formatSize(file.size)}</span>
              {!locked && (
                <Button
                  variant="ghost"
                  className="px-2 py-1 text-xs"
                  onClick={() => remove.mutate({ examId })}
                  disabled={remove.isPending}
                  data-testid="instructions-remove"
                >
                  {t('remove')}
                </Button>
              )}
            </div>
            {/* The key reloads the player when the file is replaced. */}
            <audio key={file.id} controls preload="none" src={`/api/attachments/${file.id}`} className="h-9 w-full" aria-label={t('play')} />
          </div>
        ) : (
          <p className="py-1 text-slate-400">{t('none')}</p>
        )}
      </div>
      {!locked && (
        <div>
          <input
            ref={input}
            type="file"
            accept={limits.extensions.map((e) => `.${e}`).join(',')}
            className="sr-only"
            id={inputId}
            onChange={(e) => void pick(e.target.files)}
            data-testid="instructions-file-input"
          />
          <label
            htmlFor={inputId}
            className="inline-flex cursor-pointer items-center rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50"
          >
            {upload.isPending ? t('uploading') : file ? t('replace') : t('upload')}
          </label>
          <span className="ml-3 text-xs text-slate-400">{t('types')}</span>
        </div>
      )}
      <form
        className="space-y-1.5"
        onSubmit={(e) => {
          e.preventDefault();
          saveCaption.mutate({ examId, caption }, { onSuccess: () => setDraft(null) });
        }}
      >
        <label htmlFor={captionId} className="block font-medium text-slate-700">
          {t('caption')}
        </label>
        <textarea
          id={captionId}
          className="min-h-28 w-full rounded-md border border-slate-300 px-3 py-2 text-sm focus:border-blue-500 focus:outline-none disabled:bg-slate-50 disabled:text-slate-500"
          value={caption}
          maxLength={limits.captionMax}
          disabled={locked}
          onChange={(e) => setDraft(e.target.value)}
          data-testid="instructions-caption"
        />
        <div className="flex items-center gap-3">
          <p className="flex-1 text-xs text-slate-400">{t('captionHint', { max: limits.captionMax })}</p>
          <span className="text-xs tabular-nums text-slate-400">{t('captionCount', { count: caption.length, max: limits.captionMax })}</span>
        </div>
        {!locked && (
          <div className="flex items-center gap-3">
            <Button type="submit" variant="secondary" disabled={saveCaption.isPending || draft === null} data-testid="instructions-caption-save">
              {t('saveCaption')}
            </Button>
            {saveCaption.isSuccess && draft === null && (
              <span className="text-green-700" data-testid="instructions-caption-saved">
                {t('captionSaved')}
              </span>
            )}
          </div>
        )}
      </form>
      {(tooBig || error) && <Alert>{tooBig ?? errorText(error)}</Alert>}
    </div>
  );
}
