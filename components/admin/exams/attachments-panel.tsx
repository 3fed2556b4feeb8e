'use client';

import { useTranslations } from 'next-intl';
import { useRef, useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { fileToBase64, MAX_UPLOAD_BYTES } from './files';

export const formatSize = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1024))} KB`);

/** Files candidates download with the notice; fixed once entry opens (they accepted them). */
export function AttachmentsPanel({ examId, locked }: { examId: number; locked: boolean }) {
  const t = useTranslations('adminExams.attachments');
  const tAdmin = useTranslations('admin');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const input = useRef<HTMLInputElement>(null);
  const [tooBig, setTooBig] = useState<string | null>(null);
  const files = trpc.admin.exams.attachments.list.useQuery({ examId, purpose: 'notice' });
  const refresh = () => void utils.admin.exams.attachments.list.invalidate({ examId });
  const upload = trpc.admin.exams.attachments.upload.useMutation({ onSuccess: refresh });
  const remove = trpc.admin.exams.attachments.delete.useMutation({ onSuccess: refresh });

  async function pick(list: FileList | null) {
    const file = list?.[0];
    if (input.current) input.current.value = '';
    if (!file) return;
    setTooBig(null);
    if (file.size > MAX_UPLOAD_BYTES) return setTooBig(t('tooBig', { name: file.name }));
    upload.mutate({ examId, fileName: file.name, purpose: 'notice', contentBase64: await fileToBase64(file) });
  }

  return (
    <div className="space-y-3 text-sm">
      <p className="text-slate-500">{locked ? t('lockedHint') : t('hint')}</p>
      <ul className="divide-y divide-slate-100 rounded-md border border-slate-200" data-testid="attachments-list">
        {files.data?.map((f) => (
          <li key={f.id} className="flex items-center gap-3 px-3 py-2">
            <a href={`/api/attachments/${f.id}`} className="min-w-0 flex-1 truncate text-blue-700 hover:underline" data-testid="attachment-name">
              {f.fileName}
            </a>
            <span className="text-xs tabular-nums text-slate-400">{formatSize(f.size)}</span>
            {!locked && (
              <Button
                variant="ghost"
                className="px-2 py-1 text-xs"
                onClick={() => remove.mutate({ examId, attachmentId: f.id })}
                disabled={remove.isPending}
                data-testid="attachment-delete"
              >
                {tAdmin('common.delete')}
              </Button>
            )}
          </li>
        ))}
        {files.data?.length === 0 && <li className="px-3 py-3 text-slate-400">{t('empty')}</li>}
      </ul>
      {!locked && (
        <div>
          <input
            ref={input}
            type="file"
            accept=".pdf,.png,.jpg,.jpeg,.docx,.xlsx,.txt"
            className="sr-only"
            id={`attach-${examId}`}
            onChange={(e) => void pick(e.target.files)}
            data-testid="attachment-file"
          />
          <label
            htmlFor={`attach-${examId}`}
            className="inline-flex cursor-pointer items-center rounded-md border border-slate-300 bg-white px-3.5 py-2 text-sm font-medium text-slate-700 hover:bg-slate-50"
          >
            {upload.isPending ? t('uploading') : t('upload')}
          </label>
          <span className="ml-3 text-xs text-slate-400">{t('types')}</span>
        </div>
      )}
      {(tooBig || upload.error || remove.error) && <Alert>{tooBig ?? errorText(upload.error ?? remove.error)}</Alert>}
    </div>
  );
}
