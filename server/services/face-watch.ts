import type { DbOrTx } from '@/db/client';
import { env } from '../env';
import { loginBaseline } from './face-login';
import { referenceDescriptor } from './face-references';

/**
 * What the exam page's face checks need (components/face): the models this deployment runs, the
 * thresholds, and the baseline to compare the candidate with: the descriptor of today's face
 * login, else the registered photo's, else none (the page takes its first clear frame). Null when
 * face detection is off.
 */
export function faceWatchSettings({ db, candidateId, now = new Date() }: { db: DbOrTx; candidateId: number; now?: Date }) {
  if (!env.FACE_MODELS.detector) return null;
  const reference = () => {
    const descriptor = referenceDescriptor({ db, candidateId });
    return descriptor ? Array.from(descriptor) : null;
  };
  return {
    models: env.FACE_MODELS,
    baseline: env.FACE_MODELS.description ? (loginBaseline({ db, candidateId, now }) ?? reference()) : null,
    driftThreshold: env.FACE_DRIFT_THRESHOLD,
    intervalMs: env.FACE_CHECK_INTERVAL_MS,
    missingSeconds: env.FACE_MISSING_SECONDS,
    awaySeconds: env.FACE_AWAY_SECONDS,
  };
}

export type FaceWatchSettings = NonNullable<ReturnType<typeof faceWatchSettings>>;
