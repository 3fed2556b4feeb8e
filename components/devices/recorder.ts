/** The manual's device check records 10 seconds. */
export const RECORD_SECONDS = 10;

const TYPES = {
  video: ['video/webm;codecs=vp9,opus', 'video/webm;codecs=vp8,opus', 'video/webm', 'video/mp4'],
  audio: ['audio/webm;codecs=opus', 'audio/webm', 'audio/mp4', 'audio/ogg;codecs=opus'],
} as const;

/** The first container this browser records (Chromium: WebM; Safari: MP4). */
export function pickMimeType(kind: 'video' | 'audio'): string | undefined {
  if (typeof MediaRecorder === 'undefined') return undefined;
  return TYPES[kind].find((t) => MediaRecorder.isTypeSupported(t));
}

export type Recording = { blob: Blob; durationMs: number };

/**
 * Records `stream` for `ms` milliseconds. `cancel()` stops without a result (the promise never
 * settles, so callers need no special case for an abandoned recording).
 */
export function recordFor(stream: MediaStream, ms: number, kind: 'video' | 'audio') {
  const mimeType = pickMimeType(kind);
  const recorder = new MediaRecorder(stream, mimeType ? { mimeType } : undefined);
  const chunks: Blob[] = [];
  let cancelled = false;
  let startedAt = 0;
  const done = new Promise<Recording>((resolve, reject) => {
    recorder.ondataavailable = (e) => {
      if (e.data.size > 0) chunks.push(e.data);
    };
    recorder.onstart = () => {
      startedAt = performance.now();
    };
    recorder.onstop = () => {
      if (cancelled) return;
      resolve({ blob: new Blob(chunks, { type: recorder.mimeType || mimeType || `${kind}/webm` }), durationMs: Math.round(performance.now() - startedAt) });
    };
    recorder.onerror = (e) => {
      if (!cancelled) reject((e as unknown as { error?: Error }).error ?? new Error('MediaRecorder error'));
    };
  });
  // Chunks every second, so a recording cut short by a device failure still holds what came before.
  recorder.start(1000);
  const timer = setTimeout(() => {
    if (recorder.state !== 'inactive') recorder.stop();
  }, ms);
  return {
    done,
    cancel() {
      cancelled = true;
      clearTimeout(timer);
      if (recorder.state !== 'inactive') recorder.stop();
    },
  };
}

/**
 * MediaRecorder's WebM carries no duration, so <video controls> shows a live-stream timeline
 * until played through. Seeking far past the end makes the browser find the real duration;
 * resolves once the element is back at the start.
 */
export function fixWebmDuration(media: HTMLMediaElement): Promise<void> {
  if (media.duration !== Infinity) return Promise.resolve();
  return new Promise((resolve) => {
    const onTime = () => {
      media.removeEventListener('timeupdate', onTime);
      media.currentTime = 0;
      resolve();
    };
    media.addEventListener('timeupdate', onTime);
    media.currentTime = 1e101;
  });
}
