'use client';

import { useEffect, useState } from 'react';
import { trpc } from '@/components/providers/trpc';

export type BatteryReading = { level: number; charging: boolean };

type BatteryManager = EventTarget & { level: number; charging: boolean };

/** How often the phone tells the server it is alive (and its battery). */
const HEARTBEAT_MS = 20_000;

/**
 * Reads the battery where the browser tells (Battery Status API: Chromium-based browsers; not
 * Safari or Firefox) and reports it with a heartbeat, at once on a change and every 20 s.
 * Returns the latest reading for the page itself, or null where unknown.
 */
export function useBatteryReport(enabled: boolean) {
  const heartbeat = trpc.phone.heartbeat.useMutation();
  const send = heartbeat.mutate;
  const [battery, setBattery] = useState<BatteryReading | null>(null);

  useEffect(() => {
    if (!enabled) return;
    let manager: BatteryManager | null = null;
    let cancelled = false;
    const read = (): BatteryReading | null => (manager ? { level: manager.level, charging: manager.charging } : null);
    const report = () => {
      const reading = read();
      setBattery(reading);
      send({ battery: reading });
    };
    const getBattery = (navigator as Navigator & { getBattery?: () => Promise<BatteryManager> }).getBattery;
    void (getBattery ? getBattery.call(navigator).catch(() => null) : Promise.resolve(null)).then((m) => {
      if (cancelled) return;
      manager = m;
      manager?.addEventListener('levelchange', report);
      manager?.addEventListener('chargingchange', report);
      report();
    });
    const timer = setInterval(report, HEARTBEAT_MS);
    return () => {
      cancelled = true;
      clearInterval(timer);
      manager?.removeEventListener('levelchange', report);
      manager?.removeEventListener('chargingchange', report);
    };
  }, [enabled, send]);

  return battery;
}
