'use client';

import type { inferRouterOutputs } from '@trpc/server';
import { useCallback, useEffect, useMemo, useRef } from 'react';
import { useLive } from '@/components/live/live-provider';
import { trpc } from '@/components/providers/trpc';
import type { AppRouter } from '@/server/routers/_app';
import type { ChatMessage } from './chat-parts';

type Outputs = inferRouterOutputs<AppRouter>['help'];
export type MyThread = Outputs['myThreads'][number];

const byNewest = (a: MyThread, b: MyThread) => b.id - a.id;

/** Adds messages to a list once each, in id order (a live event and a refetch may both bring one). */
export function mergeMessages<M extends { id: number }>(list: readonly M[], add: readonly M[]): M[] {
  const seen = new Set(list.map((m) => m.id));
  const fresh = add.filter((m) => !seen.has(m.id));
  if (fresh.length === 0) return list as M[];
  return [...list, ...fresh].sort((a, b) => a.id - b.id);
}

/**
 * The candidate's help threads, kept live: `help.myThreads` once, then the live topic `help` while a
 * thread is open. Every
 * tracked event carries the thread's summary (status, agent, unread) and the new message, which
 * patch the cached list and the cached conversation in place, so nothing reloads. The live connection
 * resumes after the last tracked id it saw when the connection comes back.
 */
export function useMyHelp() {
  const utils = trpc.useUtils();
  const threads = trpc.help.myThreads.useQuery(undefined, {
    staleTime: Infinity,
    refetchOnWindowFocus: false,
    // Without an open thread there is no live stream (below): look now and then for a thread
    // staff reopened, or one opened in another tab.
    refetchInterval: (q) => (q.state.data?.some((t) => t.status !== 'resolved') ? false : 60_000),
  });
  // Most candidates never ask for help: only a candidate with an open thread holds the live
  // topic (server memory and work saved for everyone else). Opening
  // or reopening a thread patches the list, which starts the stream; a fresh stream replays
  // the candidate's events and `mergeMessages` keeps each message once.
  const hasOpen = (threads.data ?? []).some((t) => t.status !== 'resolved');

  const patchThread = useCallback(
    (summary: MyThread) => {
      utils.help.myThreads.setData(undefined, (old) => {
        const rest = (old ?? []).filter((t) => t.id !== summary.id);
        return [...rest, summary].sort(byNewest);
      });
      utils.help.thread.setData({ threadId: summary.id }, (old) => (old ? { ...old, thread: { ...old.thread, ...summary } } : old));
    },
    [utils],
  );

  const addMessage = useCallback(
    (threadId: number, message: ChatMessage) => {
      utils.help.thread.setData({ threadId }, (old) => (old ? { ...old, messages: mergeMessages(old.messages, [message]) } : old));
    },
    [utils],
  );

  const stream = useLive(hasOpen ? 'help' : null, {
    onData: (item) => {
      if ('kind' in item) {
        // Queue positions move as threads ahead are taken; they are not events of this thread.
        utils.help.myThreads.setData(undefined, (old) =>
          old?.map((t) => (t.id === item.threadId && t.status === 'queued' ? { ...t, queuePosition: item.queuePosition } : t)),
        );
        return;
      }
      const { thread, message } = item;
      patchThread(thread);
      if (message) addMessage(thread.id, message);
    },
  });

  const list = useMemo(() => threads.data ?? [], [threads.data]);
  const open = list.find((t) => t.status !== 'resolved') ?? null;
  const unread = list.reduce((n, t) => n + t.unread, 0);

  /** Read on this screen: the badge drops at once, without waiting for the server's next summary. */
  const patchUnread = useCallback(
    (threadId: number) => utils.help.myThreads.setData(undefined, (old) => old?.map((t) => (t.id === threadId && t.unread ? { ...t, unread: 0 } : t))),
    [utils],
  );

  return { threads, list, open, unread, patchThread, addMessage, patchUnread, streamStatus: stream.status };
}

/**
 * Marks the newest message of a thread read while the reader is looking at it: once per new
 * message, only while the page is visible.
 */
export function useMarkRead(threadId: number | null, lastMessageId: number | null, visible: boolean, onMarked: () => void) {
  const { mutate } = trpc.help.markRead.useMutation();
  const marked = useRef(new Map<number, number>());
  const onMarkedRef = useRef(onMarked);
  onMarkedRef.current = onMarked;
  useEffect(() => {
    if (!visible || threadId == null || lastMessageId == null) return;
    const check = () => {
      if (document.visibilityState !== 'visible') return;
      if ((marked.current.get(threadId) ?? 0) >= lastMessageId) return;
      marked.current.set(threadId, lastMessageId);
      mutate({ threadId, messageId: lastMessageId });
      onMarkedRef.current();
    };
    check();
    document.addEventListener('visibilitychange', check);
    return () => document.removeEventListener('visibilitychange', check);
  }, [threadId, lastMessageId, visible, mutate]);
}
