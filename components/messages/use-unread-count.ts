'use client';

import { trpc } from '@/components/providers/trpc';

/** Messages arrive without a push channel yet, so the badge polls. */
export function useUnreadCount() {
  const q = trpc.messages.unreadCount.useQuery(undefined, { refetchInterval: 30_000 });
  return q.data ?? 0;
}
