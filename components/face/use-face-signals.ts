'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import type { ServerNow } from '@/components/exam/exam-clock';
import { trpc } from '@/components/providers/trpc';
import { FaceReporter } from './face-reporter';
import type { FaceObservation, FacePageState, FaceThresholds } from './face-signals';

/** The widest evidence still the page sends: enough to see who sits there, a few tens of kB. */
export const FACE_STILL_MAX_WIDTH = 640;

/** A JPEG data URL of the video's current frame (at most `maxWidth` wide), or null without a frame. */
export function captureStill(video: HTMLVideoElement, maxWidth = FACE_STILL_MAX_WIDTH): string | null {
  if (!video.videoWidth || !video.videoHeight) return null;
  const scale = Math.min(1, maxWidth / video.videoWidth);
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(video.videoWidth * scale);
  canvas.height = Math.round(video.videoHeight * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
  return canvas.toDataURL('image/jpeg', 0.7);
}

/**
 * The face signals of the candidate's exam page: the caller runs the checks (components/face)
 * and hands each result to `onCheck` with a way to grab a still; transitions reach the server
 * through FaceReporter's outbox. `state` is for a discreet indicator at most: the server and a
 * person judge, the page only reports.
 */
export function useFaceSignals({
  examId,
  candidateId,
  baseline,
  thresholds,
  serverNow = Date.now,
  active = true,
}: {
  examId: number;
  candidateId: number;
  /** The login's (or the registered photo's) descriptor, from the server; without it the first clear check becomes the baseline. */
  baseline: ArrayLike<number> | null;
  thresholds?: Partial<FaceThresholds>;
  /** Server time, as the exam page keeps it (integrity reports carry server time). */
  serverNow?: ServerNow;
  /** Checks outside the exam (before entry, after the end) are not reported. */
  active?: boolean;
}) {
  const report = trpc.exam.reportIntegrity.useMutation({ networkMode: 'always' });
  const send = useRef(report.mutateAsync);
  send.current = report.mutateAsync;
  const now = useRef(serverNow);
  now.current = serverNow;
  const activeRef = useRef(active);
  activeRef.current = active;

  const [reporter] = useState(
    () =>
      new FaceReporter({
        key: `exam.face.${examId}.${candidateId}`,
        storage: typeof window === 'undefined' ? null : window.localStorage,
        send: (r) => send.current({ examId, ...r }),
        now: () => now.current(),
        baseline,
        thresholds,
      }),
  );
  const [state, setState] = useState<FacePageState>(() => reporter.state);

  useEffect(() => reporter.setBaseline(baseline), [reporter, baseline]);
  useEffect(() => reporter.setThresholds(thresholds), [reporter, thresholds]);

  useEffect(() => {
    // Reports left over from before a reload go out now.
    void reporter.pump();
    const onOnline = () => reporter.online();
    window.addEventListener('online', onOnline);
    // The outbox is not disposed on unmount: a report still waiting for the network may as well go out.
    return () => window.removeEventListener('online', onOnline);
  }, [reporter]);

  const onCheck = useCallback(
    (check: FaceObservation, still: () => Promise<string | null>) => {
      if (!activeRef.current) return Promise.resolve();
      const done = reporter.onCheck(check, still);
      setState(reporter.state);
      return done;
    },
    [reporter],
  );

  return { onCheck, state };
}
