'use client';

import { useTranslations } from 'next-intl';
import Link from 'next/link';
import { useEffect } from 'react';
import { useErrorText } from '@/components/ui/use-error-text';
import { AcknowledgeDialog } from './acknowledge-dialog';
import { TOAST_MS, useMessageAlerts, type AlertMessage } from './use-message-alerts';

/**
 * System messages arriving live on any candidate page: a toast for a normal one, a banner that
 * stays until read for an urgent one, a blocking dialog for one that must be acknowledged (one
 * after another when several wait). Mounted once per candidate layout; it holds the page's
 * live `messages` topic, and keeps the nav badge and the message centre list current.
 *
 * `newTab`: the exam room passes it, so "View" never navigates away from a running exam.
 */
export function MessageAlerts({ newTab = false }: { newTab?: boolean }) {
  const alerts = useMessageAlerts();
  return (
    <>
      {(alerts.banners.length > 0 || alerts.toasts.length > 0) && (
        <div className="pointer-events-none fixed inset-x-0 top-16 z-40 flex flex-col items-center gap-2 px-4">
          {alerts.banners.map((m) => (
            <UrgentBanner key={m.id} message={m} onRead={alerts.markRead} error={alerts.readError} />
          ))}
          <div className="flex w-full max-w-3xl flex-col items-end gap-2">
            {alerts.toasts.map((m) => (
              <MessageToast key={m.id} message={m} newTab={newTab} onDismiss={alerts.dismissToast} />
            ))}
          </div>
        </div>
      )}
      {alerts.dialog && (
        <AcknowledgeDialog
          message={alerts.dialog}
          waiting={alerts.waiting}
          onAcknowledge={(id) => void alerts.acknowledge(id)}
          busy={alerts.acknowledging}
          error={alerts.acknowledgeError}
        />
      )}
    </>
  );
}

function UrgentBanner({ message, onRead, error }: { message: AlertMessage; onRead: (id: number) => void; error: unknown }) {
  const t = useTranslations('messages.alerts');
  const errorText = useErrorText();
  return (
    <section
      role="alert"
      aria-label={t('bannerLabel')}
      data-testid="message-banner"
      data-message-id={message.id}
      className="pointer-events-auto flex w-full max-w-3xl items-start gap-3 rounded-lg border border-red-300 bg-red-50 px-4 py-3 text-red-950 shadow-lg"
    >
      <span className="mt-0.5 shrink-0 rounded bg-red-600 px-1.5 py-0.5 text-xs font-medium text-white">{t('urgent')}</span>
      <div className="min-w-0 flex-1">
        <p className="font-semibold">{message.title}</p>
        <p className="mt-0.5 line-clamp-3 whitespace-pre-line text-sm">{message.body}</p>
        {error != null && <p className="mt-1 text-xs text-red-700">{errorText(error)}</p>}
      </div>
      <button
        type="button"
        onClick={() => onRead(message.id)}
        data-testid="message-banner-read"
        className="shrink-0 rounded-md border border-red-300 bg-white px-3 py-1.5 text-sm font-medium text-red-800 hover:bg-red-100"
      >
        {t('markRead')}
      </button>
    </section>
  );
}

function MessageToast({ message, newTab, onDismiss }: { message: AlertMessage; newTab: boolean; onDismiss: (id: number) => void }) {
  const t = useTranslations('messages.alerts');
  useEffect(() => {
    const timer = setTimeout(() => onDismiss(message.id), TOAST_MS);
    return () => clearTimeout(timer);
  }, [message.id, onDismiss]);
  return (
    <div
      role="status"
      data-testid="message-toast"
      data-message-id={message.id}
      className="pointer-events-auto w-80 rounded-lg border border-slate-200 bg-white px-4 py-3 text-slate-800 shadow-lg"
    >
      <div className="flex items-start gap-2">
        <span aria-hidden className="mt-1.5 h-2 w-2 shrink-0 rounded-full bg-blue-600" />
        <div className="min-w-0 flex-1">
          <p className="text-xs text-slate-500">{t('newMessage')}</p>
          <p className="truncate font-medium">{message.title}</p>
          <p className="mt-0.5 line-clamp-2 text-sm text-slate-600">{message.body}</p>
        </div>
        <button
          type="button"
          onClick={() => onDismiss(message.id)}
          aria-label={t('close')}
          className="rounded p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-600"
        >
          <svg aria-hidden viewBox="0 0 20 20" className="h-4 w-4">
            <path
              fill="currentColor"
              d="M5.3 5.3a1 1 0 0 1 1.4 0L10 8.6l3.3-3.3a1 1 0 1 1 1.4 1.4L11.4 10l3.3 3.3a1 1 0 0 1-1.4 1.4L10 11.4l-3.3 3.3a1 1 0 0 1-1.4-1.4L8.6 10 5.3 6.7a1 1 0 0 1 0-1.4Z"
            />
          </svg>
        </button>
      </div>
      <Link
        href="/messages"
        target={newTab ? '_blank' : undefined}
        rel={newTab ? 'noopener' : undefined}
        onClick={() => onDismiss(message.id)}
        className="mt-2 block text-right text-sm text-blue-700 hover:underline"
      >
        {t('open')} →
      </Link>
    </div>
  );
}
