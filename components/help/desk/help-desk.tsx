'use client';

import { useTranslations } from 'next-intl';
import { useCallback, useEffect, useRef, useState } from 'react';
import { SpeakerIcon } from '@/components/grid/icons';
import { trpc } from '@/components/providers/trpc';
import { Alert } from '@/components/ui/alert';
import { useErrorText } from '@/components/ui/use-error-text';
import { CannedManager } from './canned';
import { DeskChat, type Drafts } from './desk-chat';
import { DeskContext } from './desk-context';
import { DeskQueue } from './desk-queue';
import { useDesk, type DeskEvent, type DeskTab, type DeskThread } from './use-desk';
import { useDeskAlerts } from './use-desk-alerts';

export type DeskUser = { id: number; name: string; role: 'invigilator' | 'support' | 'admin' };

/**
 * The agent console: queue on the left, the conversation in the middle, the candidate's context
 * on the right. Built for an agent juggling many chats: unread counts on every row, Alt+↑/↓ to
 * move between threads from anywhere (the message box takes the focus), drafts kept per thread,
 * and the selected thread in the address (?thread=) so a link from the grid lands on it.
 */
export function HelpDesk({ me, initialThreadId }: { me: DeskUser; initialThreadId: number | null }) {
  const t = useTranslations('desk');
  const tc = useTranslations('help.category');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const [tab, setTab] = useState<DeskTab>('open');
  const [selectedId, setSelectedId] = useState<number | null>(initialThreadId);
  const [cannedOpen, setCannedOpen] = useState(false);
  const [contextOpen, setContextOpen] = useState(false);
  const drafts = useRef<Drafts>(new Map()).current;
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const selectedRef = useRef(selectedId);
  selectedRef.current = selectedId;
  const manages = me.role !== 'invigilator';

  const select = useCallback((id: number) => {
    setSelectedId(id);
    // The address follows without a navigation: the page stays as it is.
    window.history.replaceState(null, '', `/desk?thread=${id}`);
  }, []);

  const alerts = useDeskAlerts(select);
  const { announce } = alerts;
  const onEvent = useCallback(
    (e: DeskEvent, thread: DeskThread) => {
      if (e.threadId === selectedRef.current) void utils.help.context.invalidate({ threadId: e.threadId });
      const forMe = (e.type === 'assigned' || e.type === 'transferred') && thread.agent?.id === me.id && e.actorId !== me.id;
      if (e.type === 'opened' || e.type === 'reopened' || forMe) {
        announce(thread, e, {
          title: forMe ? t('notify.assignedTitle') : t('notify.newTitle'),
          body: `${thread.candidate.name} · ${tc(thread.category)}${thread.lastMessagePreview ? `：${thread.lastMessagePreview}` : ''}`,
        });
      }
    },
    [utils, me.id, announce, t, tc],
  );
  const desk = useDesk({ meId: me.id, onEvent });
  const fallback = trpc.help.thread.useQuery({ threadId: selectedId ?? 0 }, { enabled: selectedId != null && !desk.byId(selectedId) });
  // A staff caller gets the staff summary (the server decides the shape by role).
  const fallbackThread = fallback.data && 'candidate' in fallback.data.thread ? (fallback.data.thread as unknown as DeskThread) : null;
  const selected = (selectedId != null ? desk.byId(selectedId) : null) ?? fallbackThread;

  // Alt+↑/↓ from anywhere, even while typing: switch thread and land in its message box.
  const list = desk.lists[tab];
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (!e.altKey || (e.key !== 'ArrowDown' && e.key !== 'ArrowUp')) return;
      e.preventDefault();
      const i = list.findIndex((x) => x.id === selectedRef.current);
      const next = list[i < 0 ? 0 : Math.min(list.length - 1, Math.max(0, i + (e.key === 'ArrowDown' ? 1 : -1)))];
      if (next) {
        select(next.id);
        requestAnimationFrame(() => inputRef.current?.focus());
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [list, select]);

  // Unread replies show in the tab title too, for an agent working in another window.
  const unread = desk.lists.open.reduce((n, x) => n + x.unread, 0);
  const queued = desk.lists.open.filter((x) => x.status === 'queued').length;
  useEffect(() => {
    const base = t('pageTitle');
    document.title = unread + queued > 0 ? `(${unread + queued}) ${base}` : base;
  }, [unread, queued, t]);

  return (
    <div className="flex h-[calc(100dvh-3.5rem)] min-h-0 flex-col bg-slate-100" data-testid="help-desk">
      <div className="flex shrink-0 flex-wrap items-center gap-2 border-b border-slate-200 bg-white px-4 py-2 text-sm">
        <h1 className="mr-2 text-base font-semibold">{t('title')}</h1>
        <span className="text-slate-500" data-testid="desk-counts">
          {t('counts', { queued, open: desk.lists.open.length })}
        </span>
        {desk.streamStatus === 'connecting' && (
          <span className="rounded bg-amber-100 px-2 py-0.5 text-xs text-amber-800" data-testid="desk-reconnecting">
            {t('reconnecting')}
          </span>
        )}
        <div className="ml-auto flex flex-wrap items-center gap-2">
          {manages && <AcceptingToggle meId={me.id} />}
          <button
            type="button"
            data-testid="desk-sound"
            aria-pressed={!alerts.muted}
            onClick={alerts.toggleMuted}
            className="flex items-center gap-1 rounded-md border border-slate-300 px-2.5 py-1 text-xs text-slate-700 hover:bg-slate-50 [&_svg]:h-3.5 [&_svg]:w-3.5"
          >
            <SpeakerIcon muted={alerts.muted} />
            {alerts.muted ? t('soundOff') : t('soundOn')}
          </button>
          {alerts.permission === 'default' && (
            <button
              type="button"
              data-testid="desk-notify"
              onClick={() => void alerts.askPermission()}
              className="rounded-md border border-blue-300 bg-blue-50 px-2.5 py-1 text-xs text-blue-800 hover:bg-blue-100"
            >
              {t('notifyEnable')}
            </button>
          )}
          {alerts.permission === 'denied' && <span className="text-xs text-slate-400">{t('notifyDenied')}</span>}
          {manages && (
            <button
              type="button"
              data-testid="canned-manage"
              onClick={() => setCannedOpen(true)}
              className="rounded-md border border-slate-300 px-2.5 py-1 text-xs text-slate-700 hover:bg-slate-50"
            >
              {t('canned.manage')}
            </button>
          )}
          {selected && (
            <button
              type="button"
              aria-pressed={contextOpen}
              onClick={() => setContextOpen((o) => !o)}
              className="rounded-md border border-slate-300 px-2.5 py-1 text-xs text-slate-700 hover:bg-slate-50 xl:hidden"
            >
              {t('context.toggle')}
            </button>
          )}
        </div>
      </div>
      {desk.error && (
        <div className="shrink-0 px-4 pt-2">
          <Alert>{errorText(desk.error)}</Alert>
        </div>
      )}
      <div className="relative grid min-h-0 flex-1 grid-cols-[minmax(260px,320px)_minmax(0,1fr)] xl:grid-cols-[340px_minmax(0,1fr)_320px]">
        <DeskQueue tab={tab} onTab={setTab} lists={desk.lists} selectedId={selectedId} onSelect={select} />
        {selected ? (
          <DeskChat key={selected.id} thread={selected} meId={me.id} drafts={drafts} onThread={(x) => desk.put(x)} onSeen={desk.markSeen} inputRef={inputRef} />
        ) : (
          <div className="flex items-center justify-center text-sm text-slate-400" data-testid="desk-empty">
            {desk.loading ? t('loading') : selectedId != null && fallback.error ? errorText(fallback.error) : t('pick')}
          </div>
        )}
        {selected && (
          <div
            className={`${contextOpen ? 'absolute inset-y-0 right-0 z-20 flex w-80 shadow-xl' : 'hidden'} min-h-0 xl:static xl:flex xl:w-auto xl:shadow-none`}
          >
            <div className="flex min-h-0 w-full flex-col">
              <DeskContext threadId={selected.id} canOpenRoom={me.role !== 'support'} />
            </div>
          </div>
        )}
      </div>
      {manages && <CannedManager open={cannedOpen} onClose={() => setCannedOpen(false)} />}
    </div>
  );
}

/** On: auto-assign may give this agent new threads; off (a break): only what they claim by hand. */
function AcceptingToggle({ meId }: { meId: number }) {
  const t = useTranslations('desk');
  const utils = trpc.useUtils();
  const agents = trpc.help.agents.useQuery(undefined, { staleTime: 30_000 });
  const mine = agents.data?.find((a) => a.id === meId);
  const set = trpc.help.setAccepting.useMutation({ onSuccess: () => void utils.help.agents.invalidate() });
  const on = set.isPending ? set.variables.accepting : (mine?.accepting ?? false);
  return (
    <label className="flex cursor-pointer items-center gap-2 rounded-md border border-slate-300 px-2.5 py-1 text-xs text-slate-700" title={t('acceptingHint')}>
      <input
        type="checkbox"
        role="switch"
        data-testid="desk-accepting"
        checked={on}
        disabled={!agents.data || set.isPending}
        onChange={(e) => set.mutate({ accepting: e.target.checked })}
        className="h-3.5 w-3.5 accent-green-600"
      />
      {t('accepting')}
      {mine && <span className="tabular-nums text-slate-400">{t('load', { open: mine.openThreads, capacity: mine.capacity })}</span>}
    </label>
  );
}
