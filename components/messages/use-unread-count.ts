'use client';

import { trpc } from '@/components/providers/trpc';

/**
 * The nav badge. `MessageAlerts` (mounted in the same layout) refreshes it as messages arrive on
 * the live stream and as they are read; the slow poll only covers a stream that is down.
 */
export function useUnreadCount() {
  const q = trpc.messages.unreadCount.useQuery(undefined, { refetchInterval: 120_000 });
  return q.data ?? 0;
}
