'use client';

import { useTranslations } from 'next-intl';
import { useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';

/** The exam's preset warnings, which invigilators send with one click (they can add their own too). */
export function PresetsPanel({ examId, locked }: { examId: number; locked: boolean }) {
  const t = useTranslations('adminExams.presets');
  const tAdmin = useTranslations('admin');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const [text, setText] = useState('');
  const presets = trpc.admin.exams.presets.list.useQuery({ examId });
  const refresh = () => void utils.admin.exams.presets.list.invalidate({ examId });
  const add = trpc.admin.exams.presets.add.useMutation({
    onSuccess: () => {
      setText('');
      refresh();
    },
  });
  const remove = trpc.admin.exams.presets.remove.useMutation({ onSuccess: refresh });

  return (
    <div className="space-y-3 text-sm">
      <p className="text-slate-500">{t('hint')}</p>
      <ul className="divide-y divide-slate-100 rounded-md border border-slate-200" data-testid="presets-list">
        {presets.data?.map((p) => (
          <li key={p.id} className="flex items-center gap-3 px-3 py-2">
            <span className="min-w-0 flex-1 break-words" data-testid="preset-text">
              {p.text}
            </span>
            {!locked && (
              <Button
                variant="ghost"
                className="px-2 py-1 text-xs"
                onClick={() => remove.mutate({ examId, presetId: p.id })}
                disabled={remove.isPending}
                data-testid="preset-remove"
              >
                {tAdmin('common.delete')}
              </Button>
            )}
          </li>
        ))}
        {presets.data?.length === 0 && <li className="px-3 py-3 text-slate-400">{t('empty')}</li>}
      </ul>
      {!locked && (
        <form
          className="flex gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            add.mutate({ examId, text });
          }}
        >
          <label htmlFor={`preset-${examId}`} className="sr-only">
            {t('new')}
          </label>
          <input
            id={`preset-${examId}`}
            value={text}
            maxLength={300}
            placeholder={t('placeholder')}
            onChange={(e) => setText(e.target.value)}
            className="min-w-0 flex-1 rounded-md border border-slate-300 px-3 py-2 text-sm shadow-sm focus:border-blue-500 focus:outline-none focus:ring-1 focus:ring-blue-500"
            data-testid="preset-input"
          />
          <Button type="submit" variant="secondary" disabled={add.isPending || !text.trim()} data-testid="preset-add">
            {t('add')}
          </Button>
        </form>
      )}
      {(add.error || remove.error) && <Alert>{errorText(add.error ?? remove.error)}</Alert>}
    </div>
  );
}
