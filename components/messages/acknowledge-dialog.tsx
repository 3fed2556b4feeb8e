'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useEffect, useId, useRef, useState } from 'react';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import type { AlertMessage } from './use-message-alerts';

/** The button arms a moment after a message appears, so a double click cannot acknowledge the next one unseen. */
const ARM_MS = 700;

/**
 * A system message the candidate must acknowledge. A native modal <dialog> (top layer): the
 * page beneath is inert and focus stays inside, on every candidate page including the exam room
 * in full screen. The only way out is the button: Escape and the backdrop do nothing, and should
 * the browser close it anyway (a repeated Escape may force a close), it opens again.
 */
export function AcknowledgeDialog({
  message,
  waiting,
  onAcknowledge,
  busy,
  error,
}: {
  message: AlertMessage;
  /** Messages waiting, this one included. */
  waiting: number;
  onAcknowledge: (messageId: number) => void;
  busy: boolean;
  error: unknown;
}) {
  const t = useTranslations('messages.alerts');
  const format = useFormatter();
  const errorText = useErrorText();
  const titleId = useId();
  const bodyId = useId();
  const ref = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const open = () => {
      if (!dialog.open) dialog.showModal();
      // The dialog itself takes the focus, not the button: an Enter typed a moment before must
      // not acknowledge a message the candidate has not read.
      dialog.focus();
    };
    const onCancel = (e: Event) => e.preventDefault();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') e.preventDefault();
    };
    open();
    dialog.addEventListener('cancel', onCancel);
    dialog.addEventListener('close', open);
    dialog.addEventListener('keydown', onKey);
    return () => {
      dialog.removeEventListener('cancel', onCancel);
      dialog.removeEventListener('close', open);
      dialog.removeEventListener('keydown', onKey);
      if (dialog.open) dialog.close();
    };
  }, [message.id]);

  const [armedFor, setArmedFor] = useState<number | null>(null);
  useEffect(() => {
    const timer = setTimeout(() => setArmedFor(message.id), ARM_MS);
    return () => clearTimeout(timer);
  }, [message.id]);
  const armed = armedFor === message.id;
  const urgent = message.priority === 'urgent';

  return (
    <dialog
      ref={ref}
      tabIndex={-1}
      aria-labelledby={titleId}
      aria-describedby={bodyId}
      data-testid="message-dialog"
      data-message-id={message.id}
      className="m-auto w-[calc(100%-2rem)] max-w-lg rounded-lg border border-slate-200 bg-white p-0 text-slate-900 shadow-2xl outline-none backdrop:bg-slate-900/50"
    >
      <div className={`flex items-center gap-3 rounded-t-lg border-b px-5 py-3 ${urgent ? 'border-red-200 bg-red-50' : 'border-blue-100 bg-blue-50'}`}>
        <span
          aria-hidden
          className={`flex h-8 w-8 shrink-0 items-center justify-center rounded-full text-lg font-semibold ${urgent ? 'bg-red-100 text-red-700' : 'bg-blue-100 text-blue-700'}`}
        >
          !
        </span>
        <div className="min-w-0 flex-1">
          <p className="text-xs font-medium text-slate-500">
            {t('mustAcknowledgeTitle')}
            {urgent && <span className="ml-2 rounded bg-red-600 px-1.5 py-0.5 text-white">{t('urgent')}</span>}
          </p>
          <h2 id={titleId} className="truncate font-semibold" data-testid="message-dialog-title">
            {message.title}
          </h2>
        </div>
        {waiting > 1 && (
          <span className="shrink-0 rounded-full bg-white px-2 py-0.5 text-xs font-medium text-slate-700" data-testid="message-dialog-waiting">
            {t('more', { count: waiting - 1 })}
          </span>
        )}
      </div>
      <div className="max-h-[50vh] overflow-y-auto px-5 py-4">
        <p id={bodyId} data-testid="message-dialog-body" className="whitespace-pre-wrap break-words text-base leading-relaxed text-slate-800">
          {message.body}
        </p>
        <p className="mt-3 text-xs text-slate-400">{t('sentAt', { time: format.dateTime(message.createdAt, 'dayTime') })}</p>
      </div>
      <div className="flex items-center gap-3 border-t border-slate-100 px-5 py-3">
        <p className="min-w-0 flex-1 text-xs text-slate-500">{t('hint')}</p>
        <Button onClick={() => onAcknowledge(message.id)} disabled={busy || !armed} data-testid="message-dialog-ack" className="shrink-0">
          {busy ? t('acknowledging') : t('acknowledge')}
        </Button>
      </div>
      {error != null && (
        <p role="alert" className="px-5 pb-3 text-sm text-red-600" data-testid="message-dialog-error">
          {errorText(error)}
        </p>
      )}
    </dialog>
  );
}
