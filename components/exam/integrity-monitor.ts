'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import type { DisplayState } from '@/components/checks/use-display-state';
import { trpc } from '@/components/providers/trpc';
import type { ServerNow } from './exam-clock';
import { IntegrityOutbox, integrityRetryable, type IntegritySignal } from './integrity-outbox';
import type { PublishedSource } from './use-exam-publisher';

const LOST: Record<PublishedSource, IntegritySignal> = { screen_share: 'screen_share_stopped', camera: 'camera_lost', microphone: 'microphone_lost' };
const RESTORED: Record<PublishedSource, IntegritySignal> = {
  screen_share: 'screen_share_restored',
  camera: 'camera_restored',
  microphone: 'microphone_restored',
};

/**
 * Watches the page while the candidate is in the exam and reports what the invigilator should
 * know: leaving the page or window, leaving fullscreen, a source stopped or lost (only after it
 * had been live: a source that never started is a set-up problem, shown but not a "stop"), a
 * second monitor, the network going away. Reports carry server time and wait in an outbox while
 * offline. Returns what the page must tell the candidate.
 */
export function useIntegrityMonitor({
  examId,
  candidateId,
  active,
  serverNow,
  live,
  settled,
  displays,
}: {
  examId: number;
  candidateId: number;
  active: boolean;
  serverNow: ServerNow;
  live: Record<PublishedSource, boolean>;
  /** Connected and done publishing; while (re)connecting, publications come and go by themselves. */
  settled: boolean;
  displays: DisplayState;
}) {
  const report = trpc.exam.reportIntegrity.useMutation({ networkMode: 'always' });
  const send = useRef(report.mutateAsync);
  send.current = report.mutateAsync;
  const now = useRef(serverNow);
  now.current = serverNow;
  const activeRef = useRef(active);
  activeRef.current = active;

  const [outbox] = useState(
    () =>
      new IntegrityOutbox({
        key: `exam.integrity.${examId}.${candidateId}`,
        storage: typeof window === 'undefined' ? null : window.localStorage,
        send: (r) => send.current({ examId, signal: r.signal, at: new Date(r.at), detail: r.detail }),
        retryable: integrityRetryable,
      }),
  );

  const [offline, setOffline] = useState(false);
  const [fullscreen, setFullscreen] = useState(false);
  const [leftPage, setLeftPage] = useState(false);

  // Leaving or reloading the page hides it and stops its tracks: not something to report.
  const unloading = useRef(false);
  const signal = useCallback(
    (s: IntegritySignal, detail?: string) => {
      if (activeRef.current && !unloading.current) outbox.push({ signal: s, at: now.current(), detail });
    },
    [outbox],
  );

  useEffect(() => {
    // Reports left over from before a reload go out now.
    void outbox.pump();
    setOffline(!navigator.onLine);
    setFullscreen(!!document.fullscreenElement);
    const onVisibility = () => {
      if (document.hidden) {
        if (activeRef.current && !unloading.current) setLeftPage(true);
        signal('page_hidden');
      } else signal('page_visible');
    };
    const onPageHide = () => {
      unloading.current = true;
    };
    const onPageShow = () => {
      unloading.current = false;
    };
    const onBlur = () => signal('window_blurred');
    const onFocus = () => signal('window_focused');
    const onFullscreen = () => {
      const on = !!document.fullscreenElement;
      setFullscreen(on);
      signal(on ? 'fullscreen_entered' : 'fullscreen_left');
    };
    const onOffline = () => {
      setOffline(true);
      signal('offline');
    };
    const onOnline = () => {
      setOffline(false);
      signal('online');
      outbox.online();
    };
    window.addEventListener('beforeunload', onPageHide);
    window.addEventListener('pagehide', onPageHide);
    window.addEventListener('pageshow', onPageShow);
    document.addEventListener('visibilitychange', onVisibility);
    document.addEventListener('fullscreenchange', onFullscreen);
    window.addEventListener('blur', onBlur);
    window.addEventListener('focus', onFocus);
    window.addEventListener('offline', onOffline);
    window.addEventListener('online', onOnline);
    return () => {
      window.removeEventListener('beforeunload', onPageHide);
      window.removeEventListener('pagehide', onPageHide);
      window.removeEventListener('pageshow', onPageShow);
      document.removeEventListener('visibilitychange', onVisibility);
      document.removeEventListener('fullscreenchange', onFullscreen);
      window.removeEventListener('blur', onBlur);
      window.removeEventListener('focus', onFocus);
      window.removeEventListener('offline', onOffline);
      window.removeEventListener('online', onOnline);
    };
  }, [outbox, signal]);

  const [everLive, setEverLive] = useState<Record<PublishedSource, boolean>>({ screen_share: false, camera: false, microphone: false });
  const wasLive = useRef<Record<PublishedSource, boolean>>({ screen_share: false, camera: false, microphone: false });
  const lost = useRef<Record<PublishedSource, boolean>>({ screen_share: false, camera: false, microphone: false });
  useEffect(() => {
    if (!settled) return;
    for (const s of Object.keys(LOST) as PublishedSource[]) {
      if (live[s]) {
        if (lost.current[s]) signal(RESTORED[s]);
        lost.current[s] = false;
        if (!wasLive.current[s]) setEverLive((e) => ({ ...e, [s]: true }));
        wasLive.current[s] = true;
      } else if (wasLive.current[s] && !lost.current[s]) {
        lost.current[s] = true;
        signal(LOST[s]);
      }
    }
  }, [live, settled, signal]);

  const lastDisplays = useRef<DisplayState>('unknown');
  useEffect(() => {
    // Judged only once in the exam, so a second monitor present at that moment is reported too.
    if (!active || displays === lastDisplays.current) return;
    if (displays === 'extended') signal('extended_display');
    else if (displays === 'single' && lastDisplays.current === 'extended') signal('single_display');
    lastDisplays.current = displays;
  }, [displays, active, signal]);

  const goFullscreen = useCallback(() => {
    void document.documentElement.requestFullscreen?.().catch(() => {});
  }, []);

  return {
    offline,
    fullscreen,
    goFullscreen,
    /** The candidate switched away from the page at least once (a gentle reminder is shown). */
    leftPage,
    dismissLeftPage: useCallback(() => setLeftPage(false), []),
    /** Which sources have been live at some point: one not live now was stopped or lost. */
    everLive,
  };
}
