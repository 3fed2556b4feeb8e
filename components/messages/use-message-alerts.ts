'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { useLive } from '@/components/live/live-provider';
import { trpc } from '@/components/providers/trpc';
import type { AppRouter } from '@/server/routers/_app';
import type { inferRouterOutputs } from '@trpc/server';

export type AlertMessage = inferRouterOutputs<AppRouter>['messages']['list'][number];

/** How long a normal message's toast stays up. */
export const TOAST_MS = 8_000;
/** A broadcast reaches every candidate at once: their badge refetches are spread over this window. */
const REFRESH_SPREAD_MS = 700;

/**
 * The candidate's live message stream (the live `messages` topic) and what it asks of the page:
 * must-acknowledge messages queue for a blocking dialog, urgent ones stay as banners until read,
 * the rest show as toasts for a while. The stream replays what is still pending on a page load
 * (see the server's `candidateStream`) and resumes after its last id on a reconnect, so the
 * same id can come twice only across reloads; `seen` keeps each out of the queues once.
 */
export function useMessageAlerts() {
  const utils = trpc.useUtils();
  const [toAcknowledge, setToAcknowledge] = useState<AlertMessage[]>([]);
  const [banners, setBanners] = useState<AlertMessage[]>([]);
  const [toasts, setToasts] = useState<AlertMessage[]>([]);
  const seen = useRef(new Set<number>());
  const refreshTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  // The badge and the message centre list re-read receipts from the server, once per burst.
  const refreshLists = useCallback(() => {
    if (refreshTimer.current) return;
    refreshTimer.current = setTimeout(
      () => {
        refreshTimer.current = null;
        void utils.messages.unreadCount.invalidate();
        void utils.messages.list.invalidate();
      },
      150 + Math.random() * REFRESH_SPREAD_MS,
    );
  }, [utils]);
  useEffect(() => () => void (refreshTimer.current && clearTimeout(refreshTimer.current)), []);

  useLive('messages', {
    onData: (m) => {
      if (seen.current.has(m.id)) return;
      seen.current.add(m.id);
      refreshLists();
      if (m.mustAcknowledge && !m.acknowledgedAt) setToAcknowledge((q) => [...q, m]);
      else if (m.priority === 'urgent' && !m.readAt) setBanners((b) => [...b, m]);
      else if (!m.readAt) setToasts((t) => [...t, m]);
    },
  });

  // Read or acknowledged elsewhere (the message centre, another tab): what the list says wins.
  const list = trpc.messages.list.useQuery(undefined, { enabled: false });
  useEffect(() => {
    if (!list.data) return;
    const done = new Set(list.data.filter((m) => m.readAt).map((m) => m.id));
    const acked = new Set(list.data.filter((m) => m.acknowledgedAt).map((m) => m.id));
    setBanners((b) => (b.some((m) => done.has(m.id)) ? b.filter((m) => !done.has(m.id)) : b));
    setToAcknowledge((q) => (q.some((m) => acked.has(m.id)) ? q.filter((m) => !acked.has(m.id)) : q));
  }, [list.data]);

  const ack = trpc.messages.acknowledge.useMutation({ networkMode: 'always' });
  const { mutateAsync: ackAsync, reset: resetAck } = ack;
  const acknowledge = useCallback(
    async (messageId: number) => {
      try {
        await ackAsync({ messageId });
      } catch {
        // Shown in the dialog; the message stays until it goes through.
        return;
      }
      resetAck();
      setToAcknowledge((q) => q.filter((m) => m.id !== messageId));
      refreshLists();
    },
    [ackAsync, resetAck, refreshLists],
  );

  const read = trpc.messages.markRead.useMutation({ networkMode: 'always' });
  const { mutateAsync: readAsync } = read;
  const markRead = useCallback(
    async (messageId: number) => {
      try {
        await readAsync({ messageId });
      } catch {
        return;
      }
      setBanners((b) => b.filter((m) => m.id !== messageId));
      refreshLists();
    },
    [readAsync, refreshLists],
  );

  const dismissToast = useCallback((messageId: number) => setToasts((t) => t.filter((m) => m.id !== messageId)), []);

  return {
    /** The message the blocking dialog shows now; the rest wait behind it. */
    dialog: toAcknowledge[0] ?? null,
    waiting: toAcknowledge.length,
    acknowledge,
    acknowledging: ack.isPending,
    acknowledgeError: ack.error,
    banners,
    markRead,
    readError: read.error,
    toasts,
    dismissToast,
  };
}
