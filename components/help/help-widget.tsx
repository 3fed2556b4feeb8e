'use client';

import { useFormatter, useTranslations } from 'next-intl';
import Link from 'next/link';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { HelpCategory } from '@/db/schema';
import { trpc } from '@/components/providers/trpc';
import { useErrorText } from '@/components/ui/use-error-text';
import { Composer, MessageList, TypingIndicator } from './chat-parts';
import { CATEGORIES, CategoryLabel } from './category';
import { HELP_DOCK_WIDTH, useHelpDock } from './help-dock';
import { HotlineContact } from './hotline';
import { mergeMessages, useMarkRead, useMyHelp, type MyThread } from './use-my-help';
import { useTyping } from './use-typing';

type View = { kind: 'thread'; id: number } | { kind: 'new' } | { kind: 'history' };

/**
 * The floating Help button on every candidate page and the chat it opens: a new question with
 * its category, then the conversation with the desk — place in the queue, the agent's name once
 * someone takes it, their typing and replies live. Earlier conversations stay listed; writing
 * into a finished one reopens it. `inExam`: a slimmer button, and links open in a new tab. On a
 * page that makes room for it (the exam, see help-dock.tsx) the open panel docks at the side.
 */
export function HelpWidget({ inExam }: { inExam: boolean }) {
  const t = useTranslations('helpChat');
  const { open, setOpen, dockable } = useHelpDock();
  const [chosen, setView] = useState<View | null>(null);
  const help = useMyHelp();
  const panelRef = useRef<HTMLDivElement>(null);

  // Until the candidate picks something, the panel shows the conversation still going, or a new question.
  const view: View = chosen ?? (help.open ? { kind: 'thread', id: help.open.id } : { kind: 'new' });
  const close = useCallback(() => setOpen(false), [setOpen]);

  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && panelRef.current?.contains(document.activeElement)) close();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [open, close]);

  const toggle = (
    <button
      type="button"
      data-testid="help-button"
      aria-expanded={open}
      aria-label={open ? t('hide') : help.unread > 0 ? t('buttonUnread', { count: help.unread }) : t('button')}
      onClick={() => setOpen((o) => !o)}
      className={`pointer-events-auto relative flex items-center gap-2 self-end rounded-full bg-blue-600 text-sm font-medium text-white hover:bg-blue-700 ${
        dockable ? 'px-4 py-2 shadow-sm' : inExam ? 'px-4 py-2.5 shadow-lg' : 'px-5 py-3 shadow-lg'
      }`}
    >
      <svg aria-hidden viewBox="0 0 20 20" className="h-5 w-5">
        <path
          fill="currentColor"
          d="M10 2a8 8 0 1 0 0 16 8 8 0 0 0 0-16Zm0 12.5a1 1 0 1 1 0-2 1 1 0 0 1 0 2Zm1.1-4.3c-.5.3-.6.5-.6.9v.3H9v-.4c0-1 .5-1.6 1.2-2 .5-.3.8-.6.8-1.1 0-.6-.5-1-1.1-1-.6 0-1.1.4-1.2 1.1L7.3 7.8C7.5 6.3 8.6 5.4 10 5.4c1.5 0 2.6.9 2.6 2.3 0 1.1-.6 1.8-1.5 2.5Z"
        />
      </svg>
      {open ? t('hide') : t('button')}
      {help.unread > 0 && (
        <span
          data-testid="help-unread"
          className="absolute -right-1 -top-1 min-w-5 rounded-full bg-red-600 px-1.5 text-center text-xs font-semibold leading-5 text-white ring-2 ring-white"
        >
          {help.unread > 99 ? '99+' : help.unread}
        </span>
      )}
    </button>
  );

  // Above the exam's own confirmation dialogs (z-50), so a candidate stuck on one can still ask;
  // below a staff message (z-60), which must be acknowledged first. Dockable (the exam page): the
  // button at the right end of the page's header (which keeps room for it), the open panel a
  // full-height column below it at the right edge, the page narrowed beside it. Elsewhere both
  // float at the bottom right.
  const docked = dockable && open;
  return (
    <div
      data-testid="help-widget"
      data-docked={docked}
      className={`fixed z-[55] flex flex-col gap-2 print:hidden ${
        docked
          ? `inset-y-0 right-0 ${HELP_DOCK_WIDTH} border-l border-slate-200 bg-slate-100 px-4 pb-4 pt-1.5`
          : dockable
            ? 'right-4 top-1.5'
            : 'pointer-events-none bottom-4 right-4 items-end'
      }`}
    >
      {dockable && toggle}
      {open && (
        <div
          ref={panelRef}
          role="dialog"
          aria-label={t('title')}
          data-testid="help-panel"
          className={`pointer-events-auto flex flex-col overflow-hidden rounded-xl border border-slate-200 bg-slate-50 text-slate-800 ${
            docked ? 'min-h-0 flex-1 shadow-sm' : 'h-[min(34rem,calc(100dvh-6rem))] w-[min(24rem,calc(100vw-2rem))] shadow-2xl'
          }`}
        >
          <PanelHeader view={view} hasHistory={help.list.length > 0} onView={setView} onClose={close} inExam={inExam} />
          {view.kind === 'thread' ? (
            <ThreadChat
              key={view.id}
              thread={help.list.find((x) => x.id === view.id) ?? null}
              threadId={view.id}
              visible={open}
              onNew={() => setView({ kind: 'new' })}
              otherOpen={help.open && help.open.id !== view.id ? help.open : null}
              onRead={(id) => help.patchUnread(id)}
            />
          ) : view.kind === 'new' ? (
            <NewThread
              onOpened={(id) => setView({ kind: 'thread', id })}
              openThread={help.open}
              history={help.list}
              onPick={(id) => setView({ kind: 'thread', id })}
            />
          ) : (
            <History threads={help.list} onPick={(id) => setView({ kind: 'thread', id })} />
          )}
        </div>
      )}
      {!dockable && toggle}
    </div>
  );
}

function PanelHeader({
  view,
  hasHistory,
  onView,
  onClose,
  inExam,
}: {
  view: View;
  hasHistory: boolean;
  /** null: back to what the panel shows by itself. */
  onView: (v: View | null) => void;
  onClose: () => void;
  inExam: boolean;
}) {
  const t = useTranslations('helpChat');
  return (
    <header className="shrink-0 border-b border-slate-200 bg-white px-3 py-2">
      <div className="flex items-center gap-1">
        {view.kind !== 'new' && (
          <button
            type="button"
            data-testid="help-back"
            onClick={() => onView(view.kind === 'thread' && hasHistory ? { kind: 'history' } : null)}
            aria-label={t('back')}
            className="rounded p-1 text-slate-500 hover:bg-slate-100"
          >
            <svg aria-hidden viewBox="0 0 20 20" className="h-4 w-4">
              <path fill="currentColor" d="M12.7 4.3a1 1 0 0 1 0 1.4L8.4 10l4.3 4.3a1 1 0 0 1-1.4 1.4l-5-5a1 1 0 0 1 0-1.4l5-5a1 1 0 0 1 1.4 0Z" />
            </svg>
          </button>
        )}
        <h2 className="mr-auto font-medium">{t('title')}</h2>
        {hasHistory && view.kind !== 'history' && (
          <button
            type="button"
            data-testid="help-history"
            onClick={() => onView({ kind: 'history' })}
            className="rounded px-2 py-1 text-xs text-blue-700 hover:bg-blue-50"
          >
            {t('history')}
          </button>
        )}
        <button type="button" onClick={onClose} aria-label={t('close')} className="rounded p-1 text-slate-400 hover:bg-slate-100 hover:text-slate-600">
          <svg aria-hidden viewBox="0 0 20 20" className="h-4 w-4">
            <path
              fill="currentColor"
              d="M5.3 5.3a1 1 0 0 1 1.4 0L10 8.6l3.3-3.3a1 1 0 1 1 1.4 1.4L11.4 10l3.3 3.3a1 1 0 0 1-1.4 1.4L10 11.4l-3.3 3.3a1 1 0 0 1-1.4-1.4L8.6 10 5.3 6.7a1 1 0 0 1 0-1.4Z"
            />
          </svg>
        </button>
      </div>
      <HotlineContact variant="line">
        <Link href="/support" target={inExam ? '_blank' : undefined} rel={inExam ? 'noopener' : undefined} className="text-blue-700 hover:underline">
          {t('more')}
        </Link>
      </HotlineContact>
    </header>
  );
}

function ThreadChat({
  threadId,
  thread,
  visible,
  onNew,
  otherOpen,
  onRead,
}: {
  threadId: number;
  thread: MyThread | null;
  visible: boolean;
  onNew: () => void;
  otherOpen: MyThread | null;
  onRead: (threadId: number) => void;
}) {
  const t = useTranslations('helpChat');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const view = trpc.help.thread.useQuery({ threadId }, { staleTime: Infinity, refetchOnWindowFocus: false });
  const [draft, setDraft] = useState('');
  const status = thread?.status ?? view.data?.thread.status;
  const typing = useTyping(status && status !== 'resolved' ? threadId : null);
  const messages = view.data?.messages ?? [];
  const lastOther = messages.findLast((m) => m.kind !== 'candidate')?.id ?? null;

  useMarkRead(threadId, messages.at(-1)?.id ?? null, visible, () => onRead(threadId));

  // A reply ends the other side's "typing…" at once rather than a few seconds later.
  const { clear } = typing;
  useEffect(() => {
    if (lastOther != null) clear();
  }, [lastOther, clear]);

  const send = trpc.help.send.useMutation({
    onSuccess: (message) => {
      setDraft('');
      utils.help.thread.setData({ threadId }, (old) => (old ? { ...old, messages: mergeMessages(old.messages, [message]) } : old));
      // Writing to a finished conversation reopens it: the list learns the new status.
      if (status === 'resolved') void utils.help.myThreads.invalidate();
    },
  });

  return (
    <>
      <StatusLine thread={thread} />
      <MessageList messages={messages} side="candidate" empty={view.isLoading ? <p className="m-auto text-sm text-slate-400">{t('loading')}</p> : null} />
      <TypingIndicator name={typing.typist} />
      {send.error && (
        <p role="alert" className="shrink-0 px-3 pb-1 text-xs text-red-600">
          {errorText(send.error)}
        </p>
      )}
      {status === 'resolved' && otherOpen ? (
        <p className="shrink-0 border-t border-slate-200 bg-white px-3 py-3 text-xs text-slate-500">{t('otherOpen')}</p>
      ) : (
        <Composer
          value={draft}
          onChange={setDraft}
          onTyping={typing.notify}
          busy={send.isPending}
          onSend={() => send.mutate({ threadId, body: draft.trim() })}
          placeholder={status === 'resolved' ? t('reopenPlaceholder') : t('placeholder')}
          autoFocus
        >
          {status === 'resolved' && (
            <button type="button" onClick={onNew} className="text-xs text-blue-700 hover:underline" data-testid="help-new">
              {t('newQuestion')}
            </button>
          )}
        </Composer>
      )}
    </>
  );
}

function StatusLine({ thread }: { thread: MyThread | null }) {
  const t = useTranslations('helpChat');
  if (!thread) return <div className="h-9 shrink-0 border-b border-slate-200 bg-white" />;
  const base = 'flex shrink-0 items-center gap-2 border-b px-3 py-2 text-xs';
  if (thread.status === 'queued') {
    const ahead = Math.max(0, (thread.queuePosition ?? 1) - 1);
    return (
      <p data-testid="help-status" data-status="queued" className={`${base} border-amber-200 bg-amber-50 text-amber-900`}>
        <span className="h-2 w-2 animate-pulse rounded-full bg-amber-500" />
        <span>
          <CategoryLabel category={thread.category} /> · <span data-testid="help-queue-position">{t('queue', { ahead })}</span>
        </span>
      </p>
    );
  }
  if (thread.status === 'assigned') {
    return (
      <p data-testid="help-status" data-status="assigned" className={`${base} border-green-200 bg-green-50 text-green-900`}>
        <span className="h-2 w-2 rounded-full bg-green-500" />
        <span data-testid="help-agent">{t('assigned', { name: thread.agentName ?? t('agentFallback') })}</span>
      </p>
    );
  }
  return (
    <p data-testid="help-status" data-status="resolved" className={`${base} border-slate-200 bg-white text-slate-500`}>
      {t('resolved')}
    </p>
  );
}

function NewThread({
  onOpened,
  openThread,
  history,
  onPick,
}: {
  onOpened: (id: number) => void;
  openThread: MyThread | null;
  history: MyThread[];
  onPick: (id: number) => void;
}) {
  const t = useTranslations('helpChat');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const [category, setCategory] = useState<HelpCategory>('technical');
  const [draft, setDraft] = useState('');
  const open = trpc.help.open.useMutation({
    onSuccess: (thread) => {
      setDraft('');
      utils.help.myThreads.setData(undefined, (old) => [thread, ...(old ?? []).filter((x) => x.id !== thread.id)]);
      void utils.help.thread.invalidate({ threadId: thread.id });
      onOpened(thread.id);
    },
  });

  return (
    <>
      <div className="min-h-0 flex-1 space-y-3 overflow-y-auto px-3 py-3">
        <p className="text-sm text-slate-600">{t('intro')}</p>
        <fieldset>
          <legend className="mb-1.5 text-xs font-medium text-slate-500">{t('categoryLegend')}</legend>
          <div role="radiogroup" className="flex flex-wrap gap-1.5">
            {CATEGORIES.map((c) => (
              <button
                key={c}
                type="button"
                role="radio"
                aria-checked={category === c}
                data-testid={`help-category-${c}`}
                onClick={() => setCategory(c)}
                className={`rounded-full border px-3 py-1 text-sm ${
                  category === c ? 'border-blue-600 bg-blue-600 text-white' : 'border-slate-300 bg-white text-slate-700 hover:bg-slate-100'
                }`}
              >
                <CategoryLabel category={c} />
              </button>
            ))}
          </div>
        </fieldset>
        {openThread && (
          <button
            type="button"
            onClick={() => onPick(openThread.id)}
            className="w-full rounded-md border border-blue-200 bg-blue-50 px-3 py-2 text-left text-sm text-blue-800"
          >
            {t('backToOpen')}
          </button>
        )}
        {history.length > 0 && <History threads={history.slice(0, 3)} onPick={onPick} compact />}
      </div>
      {open.error && (
        <p role="alert" className="shrink-0 px-3 pb-1 text-xs text-red-600">
          {errorText(open.error)}
        </p>
      )}
      <Composer
        value={draft}
        onChange={setDraft}
        busy={open.isPending}
        onSend={() => open.mutate({ category, body: draft.trim() })}
        placeholder={t('firstPlaceholder')}
        autoFocus
      />
    </>
  );
}

function History({ threads, onPick, compact = false }: { threads: MyThread[]; onPick: (id: number) => void; compact?: boolean }) {
  const t = useTranslations('helpChat');
  const ts = useTranslations('help.status');
  const format = useFormatter();
  return (
    <section className={compact ? '' : 'min-h-0 flex-1 overflow-y-auto px-3 py-3'}>
      <h3 className="mb-1.5 text-xs font-medium text-slate-500">{t('earlier')}</h3>
      <ul className="space-y-1.5" data-testid="help-thread-list">
        {threads.map((th) => (
          <li key={th.id}>
            <button
              type="button"
              data-testid={`help-thread-${th.id}`}
              onClick={() => onPick(th.id)}
              className="flex w-full items-center gap-2 rounded-md border border-slate-200 bg-white px-3 py-2 text-left text-sm hover:border-blue-300"
            >
              <span className="min-w-0 flex-1">
                <span className="block font-medium">
                  <CategoryLabel category={th.category} />
                </span>
                <span className="block text-xs text-slate-500">
                  {format.dateTime(th.lastMessageAt, 'dayTime')} · {ts(th.status)}
                </span>
              </span>
              {th.unread > 0 && <span className="rounded-full bg-red-600 px-1.5 text-xs font-semibold leading-5 text-white">{th.unread}</span>}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
