'use client';

import { useEffect, useMemo, useState } from 'react';
import type { ServerNow } from '@/components/exam/exam-clock';
import type { FaceWatchSettings } from '@/server/services/face-watch';
import { createFaceDetector, type FaceCheck, type FaceDetector } from './detector';
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
 * face signals, which report to the server. The models load as soon as the candidate is in the
 * room (`load`), so that a whole room does not fetch them at the same second when the exam starts
 * (they are cached for a week after); checks run only while `active`. Off when the server sent no
 * settings (face detection switched off); the camera track changing (re-captured after a device
 * loss) restarts the loop on the new one.
 */
export function useFaceWatch({
  examId,
  candidateId,
  settings,
  track,
  serverNow,
  load,
  active,
}: {
  examId: number;
  candidateId: number;
  settings: FaceWatchSettings | null;
  track: MediaStreamTrack | undefined;
  serverNow: ServerNow;
  load: boolean;
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
  const [detector, setDetector] = useState<FaceDetector | null>(null);

  useEffect(() => {
    if (!models || !load) return;
    let stopped = false;
    let loaded: FaceDetector | null = null;
    createFaceDetector({ models, object: models.object })
      .then((d) => {
        if (stopped) return d.dispose();
        loaded = d;
        setDetector(d);
      })
      // The models did not load (switched off since, network): the exam goes on without face checks.
      .catch((err: unknown) => console.warn('face checks unavailable', err));
    return () => {
      stopped = true;
      loaded?.dispose();
      setDetector(null);
    };
  }, [models, load]);

  useEffect(() => {
    if (!detector || !intervalMs || !active || !track || track.readyState === 'ended') return;
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = new MediaStream([track]);
    void video.play().catch(() => {});
    const loop = startFaceLoop({
      detector,
      video,
      intervalMs,
      onCheck: (check) => void onCheck(observationOf(check), async () => captureStill(video)),
      onError: (err) => console.warn('face check failed', err),
    });
    return () => {
      loop.stop();
      video.srcObject = null;
    };
  }, [detector, intervalMs, active, track, onCheck]);

  return signals.state;
}
