'use client';

import { useFormatter, useTranslations } from 'next-intl';
import { useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';

export function MessageCentre() {
  const t = useTranslations('messageCentre');
  const format = useFormatter();
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const list = trpc.messages.list.useQuery(undefined, { refetchInterval: 30_000 });
  const [expanded, setExpanded] = useState<Set<number>>(() => new Set());
  // Both the list (dots, acknowledged state) and the nav badge read receipts.
  const refresh = () => Promise.all([utils.messages.list.invalidate(), utils.messages.unreadCount.invalidate()]);
  const markRead = trpc.messages.markRead.useMutation({ onSuccess: refresh });
  const acknowledge = trpc.messages.acknowledge.useMutation({ onSuccess: refresh });

  function toggle(id: number, unread: boolean) {
    const open = !expanded.has(id);
    setExpanded((prev) => {
      const next = new Set(prev);
      if (open) next.add(id);
      else next.delete(id);
      return next;
    });
    if (open && unread) markRead.mutate({ messageId: id });
  }

  const error = list.error ?? markRead.error ?? acknowledge.error;
  return (
    <div className="space-y-4">
      <div>
        <h1 className="text-2xl font-semibold">{t('title')}</h1>
        <p className="mt-1 text-sm text-slate-500">{t('intro')}</p>
      </div>
      {error && <Alert>{errorText(error)}</Alert>}
      {list.data?.length === 0 && <p className="py-10 text-center text-slate-500">{t('empty')}</p>}
      {!!list.data?.length && (
        <ul className="divide-y divide-slate-100 rounded-lg border border-slate-200 bg-white shadow-sm">
          {list.data.map((m) => {
            const open = expanded.has(m.id);
            const unread = !m.readAt;
            const acking = acknowledge.isPending && acknowledge.variables?.messageId === m.id;
            return (
              <li key={m.id} data-testid={`message-${m.id}`} data-unread={unread} data-acknowledged={!!m.acknowledgedAt}>
                <button
                  type="button"
                  aria-expanded={open}
                  onClick={() => toggle(m.id, unread)}
                  className="flex w-full items-center gap-3 px-4 py-3 text-left hover:bg-slate-50"
                >
                  <span aria-label={unread ? t('unread') : undefined} className={`h-2 w-2 shrink-0 rounded-full ${unread ? 'bg-red-500' : 'bg-transparent'}`} />
                  {m.priority === 'urgent' && <span className="shrink-0 rounded bg-red-100 px-1.5 py-0.5 text-xs font-medium text-red-700">{t('urgent')}</span>}
                  <span className={`min-w-0 flex-1 truncate ${unread ? 'font-semibold text-slate-900' : 'text-slate-700'}`}>{m.title}</span>
                  {m.mustAcknowledge && !m.acknowledgedAt && (
                    <span className="shrink-0 rounded border border-amber-300 bg-amber-50 px-1.5 py-0.5 text-xs text-amber-800">{t('mustAcknowledge')}</span>
                  )}
                  <time dateTime={m.createdAt.toISOString()} className="shrink-0 text-sm text-slate-400">
                    {format.dateTime(m.createdAt, 'dayTime')}
                  </time>
                  <svg aria-hidden viewBox="0 0 20 20" className={`h-4 w-4 shrink-0 text-slate-400 transition-transform ${open ? 'rotate-180' : ''}`}>
                    <path fill="currentColor" d="M5.3 7.3a1 1 0 0 1 1.4 0L10 10.6l3.3-3.3a1 1 0 1 1 1.4 1.4l-4 4a1 1 0 0 1-1.4 0l-4-4a1 1 0 0 1 0-1.4Z" />
                  </svg>
                </button>
                {open && (
                  <div className="space-y-3 px-4 pb-4 pl-9">
                    <p data-testid="message-body" className="whitespace-pre-line text-sm leading-relaxed text-slate-700">
                      {m.body}
                    </p>
                    {m.mustAcknowledge &&
                      (m.acknowledgedAt ? (
                        <p data-testid="acknowledged" className="text-sm text-green-700">
                          ✓ {t('acknowledgedAt', { time: format.dateTime(m.acknowledgedAt, 'dayTime') })}
                        </p>
                      ) : (
                        <Button data-testid="acknowledge" disabled={acking} onClick={() => acknowledge.mutate({ messageId: m.id })}>
                          {acking ? t('acknowledging') : t('acknowledge')}
                        </Button>
                      ))}
                  </div>
                )}
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
