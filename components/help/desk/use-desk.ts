'use client';

import type { inferRouterOutputs } from '@trpc/server';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { useLive } from '@/components/live/live-provider';
import { trpc } from '@/components/providers/trpc';
import type { AppRouter } from '@/server/routers/_app';
import { mergeMessages } from '../use-my-help';
import { putNewest, type DeskEntry } from './desk-entries';

type Outputs = inferRouterOutputs<AppRouter>['help'];
export type DeskThread = Outputs['queue'][number];
export type DeskTab = 'open' | 'mine' | 'resolved';
export type DeskEvent = { type: string; threadId: number; createdAt: Date; actorId: number | null };

type Entry = DeskEntry<DeskThread>;

/** Oldest waiting first (the queue's order), then the conversations under way by their age. */
function openOrder(a: DeskThread, b: DeskThread) {
  if (a.status !== b.status) return a.status === 'queued' ? -1 : 1;
  return a.queuedAt.getTime() - b.queuedAt.getTime() || a.id - b.id;
}
const resolvedOrder = (a: DeskThread, b: DeskThread) => (b.resolvedAt?.getTime() ?? 0) - (a.resolvedAt?.getTime() ?? 0) || b.id - a.id;

/**
 * Every thread the desk may see, kept live. The three queue queries paint the first screen; from
 * then on the live topic `desk` is the truth: each tracked event carries the thread's summary (and the
 * new message), applied only if newer than what the row already has. The live connection resumes after
 * the last tracked id on a reconnect, so an agent who loses the network misses nothing.
 */
export function useDesk({ meId, onEvent }: { meId: number; onEvent?: (e: DeskEvent, thread: DeskThread) => void }) {
  const utils = trpc.useUtils();
  const opts = { staleTime: Infinity, refetchOnWindowFocus: false } as const;
  const openQ = trpc.help.queue.useQuery({ scope: 'open' }, opts);
  const mineQ = trpc.help.queue.useQuery({ scope: 'mine' }, opts);
  const resolvedQ = trpc.help.queue.useQuery({ scope: 'resolved' }, opts);
  const [entries, setEntries] = useState<Map<number, Entry>>(() => new Map());
  const listener = useRef(onEvent);
  listener.current = onEvent;

  // Query rows only replace rows no event has touched yet: a snapshot read before an event
  // we already applied would step that row back.
  const seed = useCallback((rows: readonly DeskThread[] | undefined) => {
    if (!rows) return;
    setEntries((prev) => {
      let next: Map<number, Entry> | null = null;
      for (const row of rows) {
        if ((prev.get(row.id)?.eventId ?? 0) > 0) continue;
        next ??= new Map(prev);
        next.set(row.id, { thread: row, eventId: 0 });
      }
      return next ?? prev;
    });
  }, []);
  useEffect(() => seed(openQ.data), [openQ.data, seed]);
  useEffect(() => seed(mineQ.data), [mineQ.data, seed]);
  useEffect(() => seed(resolvedQ.data), [resolvedQ.data, seed]);

  /** A summary (the stream's or a mutation's answer) replaces the row unless the row is newer. */
  const put = useCallback((thread: DeskThread, eventId?: number) => setEntries((prev) => putNewest(prev, thread, eventId) as Map<number, Entry>), []);

  const gotEvent = useRef(false);
  const stream = useLive('desk', {
    // A stream that has not delivered an event yet starts "from now" on the server: anything
    // between the snapshot and this moment is read again. Later reconnects resume by id.
    onOpen: () => {
      if (gotEvent.current) return;
      void utils.help.queue.invalidate();
    },
    onData: ({ event, thread: shared, message, unread }, id) => {
      gotEvent.current = true;
      // Every desk gets the same update; this reader's unread count is picked from it.
      const thread = { ...shared, unread: unread.by[meId] ?? unread.none };
      put(thread, id);
      if (message) {
        utils.help.thread.setData({ threadId: thread.id }, (old) => (old ? { ...old, messages: mergeMessages(old.messages, [message]) } : old));
      }
      listener.current?.({ type: event.type, threadId: event.threadId, createdAt: event.createdAt, actorId: event.actorId }, thread);
    },
  });

  const markSeen = useCallback(
    (threadId: number) =>
      setEntries((prev) => {
        const old = prev.get(threadId);
        if (!old || old.thread.unread === 0) return prev;
        const next = new Map(prev);
        next.set(threadId, { ...old, thread: { ...old.thread, unread: 0 } });
        return next;
      }),
    [],
  );

  const lists = useMemo(() => {
    const all = [...entries.values()].map((e) => e.thread);
    const open = all.filter((t) => t.status !== 'resolved').sort(openOrder);
    return {
      open,
      mine: open.filter((t) => t.agent?.id === meId),
      resolved: all.filter((t) => t.status === 'resolved').sort(resolvedOrder),
    } satisfies Record<DeskTab, DeskThread[]>;
  }, [entries, meId]);

  const byId = useCallback((id: number) => entries.get(id)?.thread ?? null, [entries]);
  const loading = openQ.isLoading;
  const error = openQ.error ?? stream.refusal ?? null;

  return { lists, byId, put, markSeen, loading, error, streamStatus: stream.status };
}
