'use client';

import { useTranslations } from 'next-intl';
import { useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { GridDialog } from './grid-dialog';

/** The exam's preset warnings as chips; a click puts the text in the message box. */
export function PresetChips({ examId, onPick }: { examId: number; onPick: (text: string) => void }) {
  const t = useTranslations('grid');
  const presets = trpc.invigilate.presets.useQuery({ examId }, { staleTime: 60_000 });
  const [managing, setManaging] = useState(false);
  return (
    <div className="flex flex-wrap items-center gap-1.5">
      {presets.data?.map((p) => (
        <button
          key={p.id}
          type="button"
          data-testid={`preset-${p.id}`}
          title={p.text}
          className="max-w-full truncate rounded-full border border-slate-300 bg-slate-50 px-2.5 py-0.5 text-xs text-slate-700 hover:border-blue-400 hover:bg-blue-50"
          onClick={() => onPick(p.text)}
        >
          {p.text}
        </button>
      ))}
      <button type="button" data-testid="presets-manage" className="text-xs text-blue-700 hover:underline" onClick={() => setManaging(true)}>
        {presets.data?.length ? t('presetsManage') : t('presetsAddFirst')}
      </button>
      <PresetManager examId={examId} open={managing} onClose={() => setManaging(false)} />
    </div>
  );
}

function PresetManager({ examId, open, onClose }: { examId: number; open: boolean; onClose: () => void }) {
  const t = useTranslations('grid');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const presets = trpc.invigilate.presets.useQuery({ examId }, { enabled: open });
  const refresh = () => utils.invigilate.presets.invalidate({ examId });
  const add = trpc.invigilate.addPreset.useMutation({ onSuccess: () => refresh() });
  const remove = trpc.invigilate.removePreset.useMutation({ onSuccess: () => refresh() });
  const [text, setText] = useState('');
  return (
    <GridDialog open={open} title={t('presetsTitle')} onClose={onClose} testId="presets-dialog">
      <p className="text-sm text-slate-500">{t('presetsHelp')}</p>
      <ul className="mt-3 max-h-60 space-y-1.5 overflow-y-auto">
        {presets.data?.map((p) => (
          <li key={p.id} className="flex items-start gap-2 rounded-md border border-slate-200 px-2.5 py-1.5 text-sm">
            <span className="min-w-0 flex-1 break-words">{p.text}</span>
            <button
              type="button"
              data-testid={`preset-remove-${p.id}`}
              className="shrink-0 text-xs text-red-600 hover:underline disabled:text-slate-400"
              disabled={remove.isPending}
              onClick={() => remove.mutate({ presetId: p.id })}
            >
              {t('remove')}
            </button>
          </li>
        ))}
        {presets.data?.length === 0 && <li className="text-sm text-slate-400">{t('presetsEmpty')}</li>}
      </ul>
      <form
        className="mt-3 space-y-2"
        onSubmit={(e) => {
          e.preventDefault();
          add.mutate({ examId, text }, { onSuccess: () => setText('') });
        }}
      >
        <textarea
          data-testid="preset-new"
          rows={2}
          maxLength={300}
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={t('presetPlaceholder')}
          className="w-full rounded-md border border-slate-300 px-2.5 py-1.5 text-sm"
        />
        {(add.error || remove.error) && <Alert>{errorText(add.error ?? remove.error)}</Alert>}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose}>
            {t('close')}
          </Button>
          <Button type="submit" data-testid="preset-add" disabled={!text.trim() || add.isPending}>
            {t('presetAdd')}
          </Button>
        </div>
      </form>
    </GridDialog>
  );
}
