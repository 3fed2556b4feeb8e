'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { readDisplayState, type DisplayState } from './use-display-state';
import { measureClockOffset } from './use-server-clock';

/** The version this page was built with; differs from the server's after a new deployment. */
export const CLIENT_VERSION = process.env.NEXT_PUBLIC_APP_VERSION ?? 'dev';

/** Beyond this the device clock is visibly wrong; the exam clock still runs on server time. */
export const CLOCK_WARN_MS = 60_000;

export type CheckState = 'pending' | 'ok' | 'warn' | 'fail';
export const CHECK_STEPS = ['server', 'version', 'clock', 'browser', 'displays'] as const;
export type CheckStepId = (typeof CHECK_STEPS)[number];

export type MediaFeature = 'getUserMedia' | 'getDisplayMedia' | 'MediaRecorder' | 'RTCPeerConnection';

export type CheckSteps = {
  server: { state: CheckState; roundTripMs?: number };
  /** `skipped`: could not be checked because the server did not answer. */
  version: { state: CheckState; client: string; server?: string; skipped?: boolean };
  clock: { state: CheckState; offsetMs?: number; roundTripMs?: number; skipped?: boolean };
  browser: { state: CheckState; missing: MediaFeature[]; secure: boolean };
  displays: { state: CheckState; displays: DisplayState };
};

const initialSteps = (): CheckSteps => ({
  server: { state: 'pending' },
  version: { state: 'pending', client: CLIENT_VERSION },
  clock: { state: 'pending' },
  browser: { state: 'pending', missing: [], secure: true },
  displays: { state: 'pending', displays: 'unknown' },
});

function missingMediaFeatures(): MediaFeature[] {
  const md = typeof navigator !== 'undefined' ? navigator.mediaDevices : undefined;
  const present: Record<MediaFeature, boolean> = {
    getUserMedia: typeof md?.getUserMedia === 'function',
    getDisplayMedia: typeof md?.getDisplayMedia === 'function',
    MediaRecorder: typeof window !== 'undefined' && typeof window.MediaRecorder === 'function',
    RTCPeerConnection: typeof window !== 'undefined' && typeof window.RTCPeerConnection === 'function',
  };
  return (Object.keys(present) as MediaFeature[]).filter((f) => !present[f]);
}

export type SystemCheckReport = {
  clockOffsetMs: number;
  roundTripMs: number;
  appVersion: string;
  displays: DisplayState;
  mediaSupported: boolean;
  userAgent: string;
};

/**
 * The manual's start-up check, step by step: server connection -> client version -> clock
 * synchronisation, then what a browser adds (media support, number of displays). Steps that need
 * the server are marked failed, not left pending, when it does not answer.
 *
 * `autoReport` (a signed-in candidate) sends each completed run to the server once; `report()`
 * sends the last run by hand (the login page, right after the candidate signs in).
 */
export function useSystemCheck({ autoReport = false }: { autoReport?: boolean } = {}) {
  const utils = trpc.useUtils();
  const reportMutation = trpc.candidate.reportSystemCheck.useMutation();
  const [steps, setSteps] = useState<CheckSteps>(initialSteps);
  const [current, setCurrent] = useState<CheckStepId | null>(null);
  const [finished, setFinished] = useState(false);
  const runId = useRef(0);
  const lastReport = useRef<{ report: SystemCheckReport | null; sent: boolean }>({ report: null, sent: false });
  const send = useRef(reportMutation.mutate);
  send.current = reportMutation.mutate;

  const report = useCallback(() => {
    const last = lastReport.current;
    if (!last.report || last.sent) return;
    last.sent = true;
    send.current(last.report);
  }, []);

  const run = useCallback(async () => {
    const id = ++runId.current;
    const live = () => id === runId.current;
    const set = <K extends CheckStepId>(k: K, v: CheckSteps[K]) => {
      if (live()) setSteps((s) => ({ ...s, [k]: v }));
    };
    setSteps(initialSteps());
    setFinished(false);

    setCurrent('server');
    let serverVersion: string | null = null;
    let serverRtt: number | undefined;
    try {
      const t0 = performance.now();
      const info = await utils.system.info.fetch(undefined, { staleTime: 0 });
      serverRtt = Math.round(performance.now() - t0);
      serverVersion = info.version;
      set('server', { state: 'ok', roundTripMs: serverRtt });
    } catch {
      set('server', { state: 'fail' });
    }
    if (!live()) return;

    setCurrent('version');
    if (serverVersion === null) set('version', { state: 'fail', client: CLIENT_VERSION, skipped: true });
    else set('version', { state: serverVersion === CLIENT_VERSION ? 'ok' : 'warn', client: CLIENT_VERSION, server: serverVersion });

    setCurrent('clock');
    let clock: { offsetMs: number; roundTripMs: number } | null = null;
    if (serverVersion === null) set('clock', { state: 'fail', skipped: true });
    else {
      try {
        clock = await measureClockOffset();
        set('clock', { state: Math.abs(clock.offsetMs) > CLOCK_WARN_MS ? 'warn' : 'ok', ...clock });
      } catch {
        set('clock', { state: 'fail' });
      }
    }
    if (!live()) return;

    setCurrent('browser');
    const missing = missingMediaFeatures();
    set('browser', { state: missing.length ? 'fail' : 'ok', missing, secure: window.isSecureContext });

    setCurrent('displays');
    const displays = readDisplayState();
    set('displays', { state: displays === 'single' ? 'ok' : displays === 'extended' ? 'fail' : 'warn', displays });

    setCurrent(null);
    setFinished(true);
    lastReport.current = {
      sent: false,
      // Without the server's clock there is nothing true to store, and the server is down anyway.
      report: clock && {
        clockOffsetMs: clock.offsetMs,
        roundTripMs: Math.min(60_000, clock.roundTripMs),
        appVersion: CLIENT_VERSION.slice(0, 100),
        displays,
        mediaSupported: missing.length === 0,
        userAgent: navigator.userAgent.slice(0, 500),
      },
    };
    if (autoReport) report();
  }, [utils, autoReport, report]);

  useEffect(() => {
    void run();
    return () => {
      // A run still in flight after unmount must not touch state.
      runId.current++;
    };
  }, [run]);

  const states = CHECK_STEPS.map((k) => steps[k].state);
  const overall: CheckState = !finished ? 'pending' : states.includes('fail') ? 'fail' : states.includes('warn') ? 'warn' : 'ok';

  return { steps, current, finished, overall, run, report };
}

export type SystemCheckState = ReturnType<typeof useSystemCheck>;
