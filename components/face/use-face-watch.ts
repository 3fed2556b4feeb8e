'use client';

import { useEffect, useMemo } from 'react';
import type { ServerNow } from '@/components/exam/exam-clock';
import type { FaceWatchSettings } from '@/server/services/face-watch';
import { createFaceDetector, type FaceCheck } from './detector';
import { startFaceLoop } from './face-loop';
import type { FaceObservation } from './face-signals';
import { captureStill, useFaceSignals } from './use-face-signals';

/** What the signals judge of a check: a model that did not run this time says nothing (null). */
export const observationOf = (c: FaceCheck): FaceObservation => ({
  faces: c.faces,
  descriptor: c.ran.description ? c.descriptor : null,
  yaw: c.yaw,
  pitch: c.pitch,
  phone: c.ran.object ? c.phone : null,
});

/**
 * The exam page's face checks on its own published camera: Human in the page (components/face/
 * detector.ts) every `intervalMs`, backing off when the page is busy, each result handed to the
 * face signals, which report to the server. Off when the server sent no settings (face detection
 * switched off) or there is no camera track yet; the camera track changing (re-captured after a
 * device loss) restarts the loop on the new one.
 */
export function useFaceWatch({
  examId,
  candidateId,
  settings,
  track,
  serverNow,
  active,
}: {
  examId: number;
  candidateId: number;
  settings: FaceWatchSettings | null;
  track: MediaStreamTrack | undefined;
  serverNow: ServerNow;
  active: boolean;
}) {
  const thresholds = useMemo(
    () => (settings ? { similarity: settings.driftThreshold, missingSeconds: settings.missingSeconds, awaySeconds: settings.awaySeconds } : undefined),
    [settings],
  );
  const signals = useFaceSignals({ examId, candidateId, baseline: settings?.baseline ?? null, thresholds, serverNow, active });
  const { onCheck } = signals;
  const models = settings?.models;
  const intervalMs = settings?.intervalMs;

  useEffect(() => {
    if (!models || !intervalMs || !track || track.readyState === 'ended') return;
    let stopped = false;
    let stop = () => {};
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = new MediaStream([track]);
    void video.play().catch(() => {});
    void createFaceDetector({ models, object: models.object })
      .then((detector) => {
        if (stopped) return detector.dispose();
        const loop = startFaceLoop({
          detector,
          video,
          intervalMs,
          onCheck: (check) => void onCheck(observationOf(check), async () => captureStill(video)),
          onError: (err) => console.warn('face check failed', err),
        });
        stop = () => {
          loop.stop();
          detector.dispose();
        };
      })
      // The models did not load (switched off since, network): the exam goes on without face checks.
      .catch((err: unknown) => console.warn('face checks unavailable', err));
    return () => {
      stopped = true;
      stop();
      video.srcObject = null;
    };
  }, [models, intervalMs, track, onCheck]);

  return signals.state;
}
