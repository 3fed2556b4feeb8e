'use client';

import { useCallback, useEffect, useState } from 'react';
import { measureClockOffset, useServerClock } from '@/components/checks/use-server-clock';

/** Re-measured this often, so a device clock changed during the exam is caught. */
const REMEASURE_MS = 5 * 60_000;

/**
 * The exam's clock: server time, never the device's. Until the round-trip measurement is in, the
 * `serverNow` of the session answer stands in (off by at most one round trip).
 */
export function useExamClock(fallback: { serverNow: Date; receivedAt: number } | undefined) {
  const { offsetMs, ready } = useServerClock(60_000);
  const offset = ready ? offsetMs : fallback ? fallback.serverNow.getTime() - fallback.receivedAt : 0;

  useEffect(() => {
    const again = () => void measureClockOffset().catch(() => {});
    const t = setInterval(again, REMEASURE_MS);
    window.addEventListener('online', again);
    return () => {
      clearInterval(t);
      window.removeEventListener('online', again);
    };
  }, []);

  const serverNow = useCallback(() => Date.now() + offset, [offset]);
  return { serverNow, ready: ready || fallback !== undefined };
}

export type ServerNow = () => number;

/** Server time, re-rendered every `tickMs`: for the leaf components that show a clock. */
export function useTick(serverNow: ServerNow, tickMs = 1000) {
  const [now, setNow] = useState(serverNow);
  useEffect(() => {
    setNow(serverNow());
    const t = setInterval(() => setNow(serverNow()), tickMs);
    return () => clearInterval(t);
  }, [serverNow, tickMs]);
  return now;
}

/**
 * Whether server time has reached `at`; flips by itself at that moment (checked at least every
 * second, so a sleeping laptop or a throttled timer catches up as soon as it wakes).
 */
export function useReached(serverNow: ServerNow, at: number | undefined) {
  const [reached, setReached] = useState(() => at !== undefined && serverNow() >= at);
  useEffect(() => {
    if (at === undefined) return setReached(false);
    let t: ReturnType<typeof setTimeout>;
    const check = () => {
      const left = at - serverNow();
      setReached(left <= 0);
      if (left > 0) t = setTimeout(check, Math.min(left, 1000));
    };
    check();
    return () => clearTimeout(t);
  }, [serverNow, at]);
  return reached;
}

/** 01:05:09, or 05:09 under an hour. */
export function formatClock(ms: number) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${pad(h)}:${pad(m)}:${pad(s)}` : `${pad(m)}:${pad(s)}`;
}
