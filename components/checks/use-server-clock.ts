'use client';

import { useCallback, useEffect, useState } from 'react';

/** Server clock minus device clock, ms; shared by every page of the tab once measured. */
let measuredOffset: { offsetMs: number; roundTripMs: number } | null = null;
const listeners = new Set<() => void>();

/**
 * NTP-style: several round trips to the server's clock, keeping the sample with the shortest
 * round trip (its midpoint is the best estimate of when the server read its clock).
 */
export async function measureClockOffset(samples = 5): Promise<{ offsetMs: number; roundTripMs: number }> {
  let best: { offsetMs: number; roundTripMs: number } | null = null;
  for (let i = 0; i < samples; i++) {
    const t0 = Date.now();
    const res = await fetch(`/api/trpc/system.time?input=${encodeURIComponent(JSON.stringify({ json: null }))}`, { cache: 'no-store' });
    const t1 = Date.now();
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const body = (await res.json()) as { result: { data: { json: { now: number } } } };
    const server = body.result.data.json.now;
    const sample = { offsetMs: Math.round(server - (t0 + t1) / 2), roundTripMs: t1 - t0 };
    if (!best || sample.roundTripMs < best.roundTripMs) best = sample;
  }
  measuredOffset = best!;
  for (const l of listeners) l();
  return best!;
}

/**
 * The current time on the server's clock, re-rendered every `tickMs`. Exam clocks use this,
 * never the device clock, which may be minutes off.
 */
export function useServerClock(tickMs = 1000) {
  const [offset, setOffset] = useState(measuredOffset?.offsetMs ?? 0);
  const [now, setNow] = useState(() => Date.now() + offset);
  const [ready, setReady] = useState(measuredOffset !== null);

  useEffect(() => {
    const update = () => {
      setOffset(measuredOffset?.offsetMs ?? 0);
      setReady(measuredOffset !== null);
    };
    listeners.add(update);
    if (!measuredOffset) void measureClockOffset().catch(() => {});
    return () => {
      listeners.delete(update);
    };
  }, []);

  useEffect(() => {
    setNow(Date.now() + offset);
    const t = setInterval(() => setNow(Date.now() + offset), tickMs);
    return () => clearInterval(t);
  }, [offset, tickMs]);

  const serverNow = useCallback(() => Date.now() + offset, [offset]);
  return { now, offsetMs: offset, ready, serverNow };
}
