'use client';

import { useEffect, useState } from 'react';
import { trpc } from '@/components/providers/trpc';

/**
 * The exam's live counts, polled. The counts move with entries, finishes, flags, device checks,
 * help threads and uploads, which travel on different bus topics (several per room); one cheap
 * aggregate query every few seconds is simpler and costs less than subscribing to all of them.
 */
export const DASHBOARD_REFRESH_MS = 5_000;

export function useExamDashboard(examId: number) {
  const query = trpc.admin.dashboard.byExam.useQuery({ examId }, { refetchInterval: DASHBOARD_REFRESH_MS, retry: false });
  // The server's clock, ticking here between polls, so countdowns do not depend on the admin's.
  const [skew, setSkew] = useState(0);
  const serverNow = query.data?.now;
  useEffect(() => {
    if (serverNow) setSkew(serverNow.getTime() - Date.now());
  }, [serverNow]);
  const [tick, setTick] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setTick(Date.now()), 1_000);
    return () => clearInterval(id);
  }, []);
  return { ...query, now: tick + skew };
}
