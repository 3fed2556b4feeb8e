'use client';

import { useTranslations } from 'next-intl';
import { memo, useRef, type KeyboardEvent } from 'react';
import { useTicking } from '@/components/grid/ticker';
import { CategoryLabel } from '../category';
import { formatElapsed, slaState, type SlaLevel } from '../constants';
import type { DeskTab, DeskThread } from './use-desk';

export const SLA_STYLE: Record<SlaLevel, string> = {
  ok: 'bg-slate-100 text-slate-600',
  amber: 'bg-amber-100 text-amber-800 ring-1 ring-amber-300',
  red: 'bg-red-600 text-white',
  met: 'bg-green-50 text-green-700',
};

export const TABS: DeskTab[] = ['open', 'mine', 'resolved'];

/**
 * The left column: the queue by tab, one row per thread with the first-response clock. Rows are
 * a listbox: arrow keys move between them (Alt+arrows do it from anywhere on the desk).
 */
export function DeskQueue({
  tab,
  onTab,
  lists,
  selectedId,
  onSelect,
}: {
  tab: DeskTab;
  onTab: (t: DeskTab) => void;
  lists: Record<DeskTab, DeskThread[]>;
  selectedId: number | null;
  onSelect: (id: number) => void;
}) {
  const t = useTranslations('desk');
  const list = lists[tab];
  const listRef = useRef<HTMLUListElement>(null);

  const onKeyDown = (e: KeyboardEvent<HTMLUListElement>) => {
    if (e.key !== 'ArrowDown' && e.key !== 'ArrowUp') return;
    e.preventDefault();
    const i = list.findIndex((x) => x.id === selectedId);
    const next = list[Math.min(list.length - 1, Math.max(0, i + (e.key === 'ArrowDown' ? 1 : -1)))];
    if (next) {
      onSelect(next.id);
      listRef.current?.querySelector<HTMLElement>(`[data-thread-id="${next.id}"]`)?.focus();
    }
  };

  return (
    <section className="flex min-h-0 flex-col border-r border-slate-200 bg-white" aria-label={t('queueTitle')}>
      <div role="tablist" className="flex shrink-0 border-b border-slate-200 px-2">
        {TABS.map((key) => {
          const unread = key === 'resolved' ? 0 : lists[key].reduce((n, x) => n + x.unread, 0);
          return (
            <button
              key={key}
              type="button"
              role="tab"
              aria-selected={tab === key}
              data-testid={`desk-tab-${key}`}
              onClick={() => onTab(key)}
              className={`-mb-px flex items-center gap-1.5 border-b-2 px-3 py-2 text-sm ${
                tab === key ? 'border-blue-600 font-medium text-blue-700' : 'border-transparent text-slate-600 hover:text-slate-900'
              }`}
            >
              {t(`tab.${key}`)}
              <span className="rounded-full bg-slate-100 px-1.5 text-xs tabular-nums text-slate-600">{lists[key].length}</span>
              {unread > 0 && <span className="h-2 w-2 rounded-full bg-red-500" aria-label={t('unread', { count: unread })} />}
            </button>
          );
        })}
      </div>
      <ul ref={listRef} role="listbox" aria-label={t(`tab.${tab}`)} onKeyDown={onKeyDown} className="min-h-0 flex-1 overflow-y-auto" data-testid="desk-queue">
        {list.length === 0 && <li className="px-4 py-10 text-center text-sm text-slate-400">{t(`empty.${tab}`)}</li>}
        {list.map((thread) => (
          <QueueRow key={thread.id} thread={thread} selected={thread.id === selectedId} onSelect={onSelect} />
        ))}
      </ul>
      <p className="shrink-0 border-t border-slate-100 px-3 py-1.5 text-[11px] text-slate-400">{t('keysHint')}</p>
    </section>
  );
}

const QueueRow = memo(function QueueRow({ thread, selected, onSelect }: { thread: DeskThread; selected: boolean; onSelect: (id: number) => void }) {
  const t = useTranslations('desk');
  // Whole seconds: the row re-renders once a second, not on every tick of anything else.
  const now = useTicking(() => Math.floor(Date.now() / 1000) * 1000);
  const sla = slaState(thread, now);
  const where = [thread.examName, thread.roomName, thread.seat != null ? t('seat', { seat: thread.seat }) : null].filter(Boolean).join(' · ');
  return (
    <li
      role="option"
      aria-selected={selected}
      tabIndex={selected ? 0 : -1}
      data-testid={`desk-row-${thread.id}`}
      data-thread-id={thread.id}
      data-status={thread.status}
      data-sla={sla?.level ?? 'none'}
      onClick={() => onSelect(thread.id)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') onSelect(thread.id);
      }}
      className={`cursor-pointer border-b border-l-4 border-b-slate-100 px-3 py-2 outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-blue-400 ${
        selected
          ? 'border-l-blue-600 bg-blue-50'
          : thread.status === 'queued'
            ? 'border-l-amber-400 hover:bg-slate-50'
            : 'border-l-transparent hover:bg-slate-50'
      }`}
    >
      <div className="flex items-center gap-2">
        <span className="min-w-0 truncate font-medium text-slate-900">{thread.candidate.name}</span>
        <span className="shrink-0 rounded bg-slate-100 px-1 text-[11px] text-slate-600">
          <CategoryLabel category={thread.category} />
        </span>
        {thread.unread > 0 && (
          <span
            data-testid="desk-row-unread"
            className="ml-auto min-w-5 shrink-0 rounded-full bg-red-600 px-1.5 text-center text-xs font-semibold leading-5 text-white"
          >
            {thread.unread > 99 ? '99+' : thread.unread}
          </span>
        )}
      </div>
      {where && <p className="truncate text-xs text-slate-500">{where}</p>}
      {thread.lastMessagePreview && <p className="truncate text-xs text-slate-600">{thread.lastMessagePreview}</p>}
      <div className="mt-1 flex items-center gap-2 text-[11px]">
        {sla && (
          <span
            data-testid="desk-row-sla"
            title={sla.level === 'met' ? t('slaMetTitle') : t('slaTitle')}
            className={`rounded px-1.5 py-px font-medium tabular-nums ${SLA_STYLE[sla.level]}`}
          >
            {sla.level === 'met' ? t('slaMet', { time: formatElapsed(sla.ms) }) : t('slaWaiting', { time: formatElapsed(sla.ms) })}
          </span>
        )}
        {thread.status !== 'resolved' && sla?.level === 'met' && (
          <span className="tabular-nums text-slate-400" title={t('waitingTitle')}>
            {t('waiting', { time: formatElapsed(Math.max(0, now - thread.queuedAt.getTime())) })}
          </span>
        )}
        <span className={`ml-auto truncate ${thread.agent ? 'text-slate-600' : 'font-medium text-amber-700'}`} data-testid="desk-row-agent">
          {thread.agent ? thread.agent.name : t('unassigned')}
        </span>
      </div>
    </li>
  );
});
