'use client';

import { useTranslations } from 'next-intl';
import { useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { GridDialog } from './grid-dialog';
import { PresetChips } from './preset-messages';

/** A message to every candidate of the room; each must acknowledge it on their exam page. */
export function BroadcastDialog({
  open,
  roomId,
  examId,
  recipients,
  onClose,
}: {
  open: boolean;
  roomId: number;
  examId: number;
  recipients: number;
  onClose: () => void;
}) {
  const t = useTranslations('grid');
  const errorText = useErrorText();
  const [text, setText] = useState('');
  const send = trpc.invigilate.sendMessage.useMutation({
    onSuccess: () => {
      setText('');
      onClose();
    },
  });
  return (
    <GridDialog open={open} title={t('broadcastTitle')} onClose={onClose} busy={send.isPending} testId="broadcast-dialog" width="max-w-lg">
      <form
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          send.mutate({ roomId, text });
        }}
      >
        <p className="text-sm text-slate-500">{t('broadcastHelp', { count: recipients })}</p>
        <PresetChips examId={examId} onPick={setText} />
        <textarea
          data-testid="broadcast-text"
          rows={4}
          maxLength={1000}
          value={text}
          onChange={(e) => setText(e.target.value)}
          placeholder={t('messagePlaceholder')}
          className="w-full rounded-md border border-slate-300 px-2.5 py-1.5 text-sm focus:border-blue-500 focus:outline-none"
        />
        {send.error && <Alert>{errorText(send.error)}</Alert>}
        <div className="flex justify-end gap-2">
          <Button variant="secondary" onClick={onClose} disabled={send.isPending}>
            {t('cancel')}
          </Button>
          <Button type="submit" data-testid="broadcast-send" disabled={!text.trim() || send.isPending}>
            {t('broadcastSend', { count: recipients })}
          </Button>
        </div>
      </form>
    </GridDialog>
  );
}
