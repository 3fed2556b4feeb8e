'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useEffect, useId, useRef, useState } from 'react';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import type { StaffMessage } from './exam-commands';

const ARM_MS = 700;

/**
 * A message from the invigilator that the candidate must acknowledge: the only way out is the
 * button (no Escape, no click outside). The backdrop leaves the header uncovered and only lightly
 * dims the rest, so the clock and the time left stay readable: they keep running meanwhile. (A
 * second countdown in the dialog would tick out of step with the one beside it.)
 */
export function StaffMessageDialog({
  message,
  queued,
  onAcknowledge,
  busy,
  error,
}: {
  message: StaffMessage;
  /** Messages waiting, this one included. */
  queued: number;
  onAcknowledge: (messageId: number) => void;
  busy: boolean;
  error: unknown;
}) {
  const t = useTranslations('examRoom.staffMessage');
  const format = useFormatter();
  const errorText = useErrorText();
  const titleId = useId();
  const textId = useId();
  const dialog = useRef<HTMLDivElement>(null);

  // The dialog itself takes the focus, not the button: an Enter typed into an answer a moment
  // before must not acknowledge a message the candidate has not read.
  useEffect(() => {
    dialog.current?.focus();
  }, [message.messageId]);

  // The next message takes the place of the one just acknowledged, button included: a double
  // click must not acknowledge it unseen.
  const [armedFor, setArmedFor] = useState<number | null>(null);
  useEffect(() => {
    const timer = setTimeout(() => setArmedFor(message.messageId), ARM_MS);
    return () => clearTimeout(timer);
  }, [message.messageId]);
  const armed = armedFor === message.messageId;

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        // Captured before anything beneath (a confirmation dialog) would take it as "cancel".
        e.preventDefault();
        e.stopPropagation();
      } else if (e.key === 'Tab') {
        e.preventDefault();
        dialog.current?.querySelector<HTMLButtonElement>('[data-testid=staff-message-ack]')?.focus();
      }
    };
    window.addEventListener('keydown', onKey, true);
    return () => window.removeEventListener('keydown', onKey, true);
  }, []);

  return (
    <div className="fixed inset-x-0 bottom-0 top-12 z-[60] flex items-center justify-center bg-slate-900/30 p-4">
      <div
        ref={dialog}
        tabIndex={-1}
        role="alertdialog"
        aria-modal="true"
        aria-labelledby={titleId}
        aria-describedby={textId}
        data-testid="staff-message"
        data-message-id={message.messageId}
        className="flex max-h-full w-full max-w-lg flex-col rounded-lg border border-amber-200 bg-white shadow-xl outline-none"
      >
        <div className="flex items-center gap-3 rounded-t-lg border-b border-amber-200 bg-amber-50 px-5 py-3">
          <span aria-hidden className="flex h-8 w-8 shrink-0 items-center justify-center rounded-full bg-amber-100 text-lg font-semibold text-amber-700">
            !
          </span>
          <div className="min-w-0 flex-1">
            <h2 id={titleId} className="font-semibold text-slate-900">
              {t('title')}
            </h2>
            <p className="text-xs text-slate-500">{t('sentAt', { time: format.dateTime(message.at, 'timeSeconds') })}</p>
          </div>
          {queued > 1 && (
            <span className="shrink-0 rounded-full bg-amber-100 px-2 py-0.5 text-xs font-medium text-amber-800" data-testid="staff-message-queued">
              {t('more', { count: queued - 1 })}
            </span>
          )}
        </div>
        <p
          id={textId}
          data-testid="staff-message-text"
          className="min-h-16 overflow-y-auto whitespace-pre-wrap break-words px-5 py-4 text-base leading-relaxed text-slate-800"
        >
          {message.text}
        </p>
        <div className="flex items-center gap-3 border-t border-slate-100 px-5 py-3">
          <p className="min-w-0 flex-1 text-xs text-slate-500">{t('hint')}</p>
          <Button onClick={() => onAcknowledge(message.messageId)} disabled={busy || !armed} data-testid="staff-message-ack" className="shrink-0">
            {busy ? t('acknowledging') : t('acknowledge')}
          </Button>
        </div>
        {error != null && (
          <p role="alert" className="px-5 pb-3 text-sm text-red-600" data-testid="staff-message-error">
            {errorText(error)}
          </p>
        )}
      </div>
    </div>
  );
}
