/**
 * The page bench:face runs in Chromium (bundled by esbuild in tests/bench/face.ts): the fake
 * camera in a <video>, and the app's own detector and face loop, driven from the bench through
 * `window.__faceBench`. A synthetic load stands for a busy exam page.
 */
import type { FaceModels } from '@/server/face/human-config';
import { createFaceDetector, type FaceCheck, type FaceDetector } from '@/components/face/detector';
import { startFaceLoop, type FaceLoopState } from '@/components/face/face-loop';

export type BenchCheck = Pick<FaceCheck, 'faces' | 'yaw' | 'pitch' | 'phone' | 'ms' | 'ran'> & { described: boolean; at: number; state: FaceLoopState };
export type BenchError = { at: number; message: string };
export type LoopSettings = { intervalMs: number; describeEvery: number; objectEvery: number };

let detector: FaceDetector | null = null;
let loop: ReturnType<typeof startFaceLoop> | null = null;
let busyTimer: ReturnType<typeof setInterval> | undefined;
let checks: BenchCheck[] = [];
let errors: BenchError[] = [];
const video = document.createElement('video');

const bench = {
  async camera() {
    video.muted = true;
    video.playsInline = true;
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
    document.body.append(video);
    await video.play();
    return { width: video.videoWidth, height: video.videoHeight };
  },
  async load(models: FaceModels, object: boolean) {
    const t0 = performance.now();
    detector = await createFaceDetector({ models, object });
    return { ms: Math.round(performance.now() - t0) };
  },
  async checkOnce(description: boolean, object: boolean) {
    const c = await detector!.check(video, { description, object });
    return { ...c, descriptor: c.descriptor ? c.descriptor.length : null };
  },
  startLoop(s: LoopSettings) {
    loop = startFaceLoop({
      detector: detector!,
      video,
      ...s,
      onCheck: (c, state) =>
        checks.push({
          faces: c.faces,
          yaw: c.yaw,
          pitch: c.pitch,
          phone: c.phone,
          ms: c.ms,
          ran: c.ran,
          described: !!c.descriptor,
          at: performance.now(),
          state,
        }),
      onError: (e) => errors.push({ at: performance.now(), message: String(e) }),
    });
  },
  stopLoop() {
    loop?.stop();
    loop = null;
  },
  loopState: () => loop?.state() ?? null,
  /** Main-thread work of the page's own: `taskMs` of spinning every `everyMs`. */
  busy(taskMs: number, everyMs: number) {
    clearInterval(busyTimer);
    if (taskMs <= 0) return;
    busyTimer = setInterval(() => {
      const end = performance.now() + taskMs;
      while (performance.now() < end);
    }, everyMs);
  },
  drain() {
    const out = { checks, errors };
    checks = [];
    errors = [];
    return out;
  },
};

export type FaceBench = typeof bench;
(window as unknown as { __faceBench: FaceBench }).__faceBench = bench;
