'use client';

import { useTranslations } from 'next-intl';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useDismiss } from '@/components/candidate/use-dismiss';
import { trpc } from '@/components/providers/trpc';
import { Button } from '@/components/ui/button';
import { useErrorText } from '@/components/ui/use-error-text';
import { CategoryLabel } from '../category';
import { Composer, MessageList, TypingIndicator } from '../chat-parts';
import { useMarkRead, mergeMessages } from '../use-my-help';
import { useTyping } from '../use-typing';
import { CannedPicker } from './canned';
import type { DeskThread } from './use-desk';

/** Unsent text per thread, kept while the agent hops between conversations. */
export type Drafts = Map<number, { body: string; note: boolean }>;

/**
 * The middle column: one conversation with its actions (claim, transfer, resolve, reopen), the
 * message box with canned replies, and a switch to internal notes. The box turns yellow in note
 * mode, the same yellow as notes in the conversation.
 */
export function DeskChat({
  thread,
  meId,
  drafts,
  onThread,
  onSeen,
  inputRef,
}: {
  thread: DeskThread;
  meId: number;
  drafts: Drafts;
  onThread: (t: DeskThread) => void;
  onSeen: (threadId: number) => void;
  inputRef: React.RefObject<HTMLTextAreaElement | null>;
}) {
  const t = useTranslations('desk');
  const ts = useTranslations('help.status');
  const errorText = useErrorText();
  const utils = trpc.useUtils();
  const threadId = thread.id;
  const view = trpc.help.thread.useQuery({ threadId }, { staleTime: Infinity, refetchOnWindowFocus: false });
  const saved = drafts.get(threadId);
  const [draft, setDraftState] = useState(saved?.body ?? '');
  const [note, setNoteState] = useState(saved?.note ?? false);
  const setDraft = (body: string) => {
    setDraftState(body);
    drafts.set(threadId, { body, note });
  };
  const setNote = (n: boolean) => {
    setNoteState(n);
    drafts.set(threadId, { body: draft, note: n });
    inputRef.current?.focus();
  };
  const typing = useTyping(thread.status === 'resolved' ? null : threadId);
  const messages = view.data?.messages ?? [];
  const lastCandidate = messages.findLast((m) => m.kind === 'candidate')?.id ?? null;

  useMarkRead(threadId, messages.at(-1)?.id ?? null, true, () => onSeen(threadId));
  const { clear } = typing;
  useEffect(() => {
    if (lastCandidate != null) clear();
  }, [lastCandidate, clear]);

  const send = trpc.help.send.useMutation({
    onSuccess: (message) => {
      setDraftState('');
      drafts.delete(threadId);
      utils.help.thread.setData({ threadId }, (old) => (old ? { ...old, messages: mergeMessages(old.messages, [message]) } : old));
    },
  });
  const action = { onSuccess: onThread };
  const claim = trpc.help.claim.useMutation(action);
  const resolve = trpc.help.resolve.useMutation(action);
  const reopen = trpc.help.reopen.useMutation(action);
  const transfer = trpc.help.transfer.useMutation(action);
  const busy = claim.isPending || resolve.isPending || reopen.isPending || transfer.isPending;
  const actionError = claim.error ?? resolve.error ?? reopen.error ?? transfer.error;

  const resolved = thread.status === 'resolved';
  const mine = thread.agent?.id === meId;

  return (
    <section className="flex min-h-0 min-w-0 flex-col bg-slate-50" aria-label={t('chatTitle')} data-testid="desk-chat" data-thread-id={threadId}>
      <header className="flex shrink-0 flex-wrap items-center gap-x-3 gap-y-1 border-b border-slate-200 bg-white px-4 py-2">
        <div className="min-w-0">
          <h2 className="truncate font-semibold text-slate-900">
            {thread.candidate.name} <span className="font-mono text-xs font-normal text-slate-500">{thread.candidate.idNumberMasked}</span>
          </h2>
          <p className="truncate text-xs text-slate-500">
            <CategoryLabel category={thread.category} /> · {ts(thread.status)}
            {thread.agent && <> · {t('agentIs', { name: thread.agent.name })}</>}
          </p>
        </div>
        <div className="ml-auto flex shrink-0 items-center gap-1.5">
          {!resolved && !thread.agent && (
            <Button data-testid="desk-claim" disabled={busy} onClick={() => claim.mutate({ threadId })}>
              {t('claim')}
            </Button>
          )}
          {!resolved && <TransferMenu thread={thread} disabled={busy} onTransfer={(toAgentId) => transfer.mutate({ threadId, toAgentId })} />}
          {!resolved && (
            <Button variant="secondary" data-testid="desk-resolve" disabled={busy} onClick={() => resolve.mutate({ threadId })}>
              {t('resolve')}
            </Button>
          )}
          {resolved && (
            <Button variant="secondary" data-testid="desk-reopen" disabled={busy} onClick={() => reopen.mutate({ threadId })}>
              {t('reopen')}
            </Button>
          )}
        </div>
      </header>
      {actionError && (
        <p role="alert" className="shrink-0 border-b border-red-200 bg-red-50 px-4 py-1.5 text-sm text-red-700">
          {errorText(actionError)}
        </p>
      )}
      {!resolved && thread.agent && !mine && (
        <p className="shrink-0 border-b border-slate-200 bg-slate-100 px-4 py-1 text-xs text-slate-600">{t('othersThread', { name: thread.agent.name })}</p>
      )}
      <MessageList
        messages={messages}
        side="staff"
        empty={
          view.isLoading ? (
            <p className="m-auto text-sm text-slate-400">{t('loading')}</p>
          ) : view.error ? (
            <p className="m-auto text-sm text-red-600">{errorText(view.error)}</p>
          ) : null
        }
      />
      <TypingIndicator name={typing.typist} />
      {send.error && (
        <p role="alert" className="shrink-0 px-4 pb-1 text-xs text-red-600">
          {errorText(send.error)}
        </p>
      )}
      <Composer
        inputRef={inputRef}
        value={draft}
        onChange={setDraft}
        onTyping={note ? undefined : typing.notify}
        busy={send.isPending}
        tone={note ? 'note' : 'plain'}
        onSend={() => send.mutate({ threadId, body: draft.trim(), kind: note ? 'note' : 'agent' })}
        placeholder={note ? t('notePlaceholder') : thread.status === 'queued' ? t('replyClaims') : t('replyPlaceholder')}
      >
        <div role="radiogroup" aria-label={t('modeLabel')} className="flex overflow-hidden rounded-md border border-slate-300 text-xs">
          <button
            type="button"
            role="radio"
            aria-checked={!note}
            data-testid="mode-reply"
            onClick={() => setNote(false)}
            className={`px-2 py-1 ${!note ? 'bg-blue-600 text-white' : 'bg-white text-slate-700'}`}
          >
            {t('modeReply')}
          </button>
          <button
            type="button"
            role="radio"
            aria-checked={note}
            data-testid="mode-note"
            onClick={() => setNote(true)}
            className={`px-2 py-1 ${note ? 'bg-amber-500 text-white' : 'bg-white text-slate-700'}`}
          >
            {t('modeNote')}
          </button>
        </div>
        <CannedPicker
          onPick={(body) => {
            setDraft(draft.trim() ? `${draft.trimEnd()}\n${body}` : body);
            inputRef.current?.focus();
          }}
        />
        {note && <span className="text-[11px] font-medium text-amber-700">{t('noteHint')}</span>}
      </Composer>
    </section>
  );
}

function TransferMenu({ thread, disabled, onTransfer }: { thread: DeskThread; disabled: boolean; onTransfer: (agentId: number) => void }) {
  const t = useTranslations('desk');
  const [open, setOpen] = useState(false);
  const agents = trpc.help.agents.useQuery(undefined, { enabled: open, staleTime: 5_000 });
  const box = useRef<HTMLDivElement>(null);
  const close = useCallback(() => setOpen(false), []);
  useDismiss(box, open, close);
  return (
    <div ref={box} className="relative">
      <Button variant="secondary" data-testid="desk-transfer" aria-expanded={open} disabled={disabled} onClick={() => setOpen((o) => !o)}>
        {t('transfer')}
      </Button>
      {open && (
        <ul
          data-testid="transfer-menu"
          role="menu"
          className="absolute right-0 top-full z-30 mt-1 w-64 rounded-lg border border-slate-200 bg-white py-1 shadow-xl"
        >
          {agents.isLoading && <li className="px-3 py-2 text-sm text-slate-400">{t('loading')}</li>}
          {agents.data?.length === 0 && <li className="px-3 py-2 text-sm text-slate-400">{t('noAgents')}</li>}
          {agents.data?.map((a) => {
            const current = a.id === thread.agent?.id;
            const full = a.openThreads >= a.capacity;
            return (
              <li key={a.id} role="none">
                <button
                  type="button"
                  role="menuitem"
                  data-testid={`transfer-to-${a.id}`}
                  disabled={current}
                  onClick={() => {
                    setOpen(false);
                    onTransfer(a.id);
                  }}
                  className="flex w-full items-center gap-2 px-3 py-1.5 text-left text-sm hover:bg-slate-50 disabled:cursor-default disabled:text-slate-400"
                >
                  <span
                    className={`h-2 w-2 shrink-0 rounded-full ${a.accepting ? 'bg-green-500' : 'bg-slate-300'}`}
                    title={a.accepting ? t('accepting') : t('notAccepting')}
                  />
                  <span className="min-w-0 flex-1 truncate">{a.name}</span>
                  <span
                    className={`shrink-0 text-xs tabular-nums ${full ? 'font-medium text-amber-700' : 'text-slate-500'}`}
                    title={full ? t('overCapacity') : undefined}
                  >
                    {a.openThreads}/{a.capacity}
                    {full && ' ⚠'}
                  </span>
                </button>
              </li>
            );
          })}
        </ul>
      )}
    </div>
  );
}
