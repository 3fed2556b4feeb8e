/**
 * Face checks in the candidate's browser: Human on tfjs' wasm backend, with models and wasm
 * binaries from our own origin (app/face). Loaded with a dynamic import, so only the pages that
 * check faces download Human (~2 MB of script) and its weights.
 *
 * What it finds is a hint for the page and the invigilator, never a decision: logins are decided
 * by the server's own analysis of frames the page uploads.
 */
import type { Human, Result } from '@vladmandic/human';
import { FACE_MODELS_URL, FACE_WASM_URL, humanConfig, PHONE_LABEL, type FaceModels } from '@/server/face/human-config';

/** What one look at the camera found. Angles in degrees; the descriptor and angles are the largest face's. */
export type FaceCheck = {
  faces: number;
  descriptor: number[] | null;
  yaw: number | null;
  pitch: number | null;
  /** Always false when this check did not run the object model (see `ran`). */
  phone: boolean;
  ms: number;
  /** The optional models this check ran: a check may skip the expensive ones (face-loop.ts). */
  ran: { description: boolean; object: boolean };
};

export type FaceSource = HTMLVideoElement | HTMLCanvasElement;
export type CheckOptions = { description?: boolean; object?: boolean };

export type FaceDetector = {
  check(source: FaceSource, options?: CheckOptions): Promise<FaceCheck>;
  dispose(): void;
};

/**
 * The longer side of the square the models see, as on the server (server/face/worker.mjs):
 * webcams send 640x480 to 1920x1080, and the detector itself looks at 256 px.
 */
const SIDE = 640;

/**
 * Loads Human and the models `models` switches on (the server's FACE_MODELS, passed to the page);
 * the object model (phones) only with `object`. Rejects if any model fails to load: Human only
 * logs that, and its first detect would crash.
 */
export async function createFaceDetector({ models, object = false }: { models: FaceModels; object?: boolean }): Promise<FaceDetector> {
  if (!models.detector) throw new Error('the face detector model is switched off');
  const { Human } = await import('@vladmandic/human');
  const shared = humanConfig({ modelBasePath: FACE_MODELS_URL, wasmPath: FACE_WASM_URL, models, object });
  // No filter is set, yet an enabled filter stage still copies every frame through WebGL and reads
  // it back (a GPU stall, and software rendering on machines without a GPU): plain 2D instead.
  const config = { ...shared, filter: { ...shared.filter, enabled: false } };
  const human: Human = new Human(config);
  await human.load();
  const parts: { enabled?: boolean; modelPath: string }[] = [
    config.face.detector,
    config.face.mesh,
    config.face.description,
    config.face.antispoof,
    config.face.liveness,
    config.object,
  ];
  const wanted = parts.filter((m) => m.enabled !== false).map((m) => m.modelPath.replace(/\.json$/, ''));
  const missing = wanted.filter((m) => !human.models.loaded().includes(m));
  if (missing.length) throw new Error(`face models failed to load: ${missing.join(', ')}`);

  const canDescribe = models.description;
  const canSeePhones = object && models.object;
  const square = squareCanvas();
  // One check at a time: Human keeps per-call state, and two overlapping checks only slow both.
  let queue: Promise<unknown> = Promise.resolve();
  let disposed = false;

  async function run(source: FaceSource, options: CheckOptions): Promise<FaceCheck> {
    if (disposed) throw new Error('face detector disposed');
    const t0 = performance.now();
    const ran = { description: canDescribe && options.description !== false, object: canSeePhones && options.object !== false };
    const input = square.draw(source);
    // Human merges these into its config for good: every call says both, every time.
    const result = await human.detect(input, { face: { description: { enabled: ran.description } }, object: { enabled: ran.object } } as Parameters<
      Human['detect']
    >[1]);
    return { ...summarise(result), ran, ms: Math.round(performance.now() - t0) };
  }

  return {
    check(source, options = {}) {
      const next = queue.then(() => run(source, options));
      queue = next.catch(() => undefined);
      return next;
    },
    dispose() {
      disposed = true;
      human.models.reset();
    },
  };
}

function summarise(result: Result): Omit<FaceCheck, 'ms' | 'ran'> {
  const largest = [...result.face].sort((a, b) => b.box[2] * b.box[3] - a.box[2] * a.box[3])[0];
  const deg = (rad: number | undefined) => (rad === undefined ? null : Math.round((rad * 180) / Math.PI));
  return {
    faces: result.face.length,
    descriptor: largest?.embedding?.length ? Array.from(largest.embedding) : null,
    yaw: deg(largest?.rotation?.angle.yaw),
    pitch: deg(largest?.rotation?.angle.pitch),
    phone: result.object.some((o) => o.label === PHONE_LABEL),
  };
}

/**
 * Letterboxes a frame into a square canvas: Human stretches its input to the models' square
 * inputs, which would make every face in a 4:3 or 16:9 frame narrower than it is.
 */
function squareCanvas() {
  const canvas = document.createElement('canvas');
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) throw new Error('no 2d canvas');
  return {
    draw(source: FaceSource): HTMLCanvasElement {
      const w = source instanceof HTMLVideoElement ? source.videoWidth : source.width;
      const h = source instanceof HTMLVideoElement ? source.videoHeight : source.height;
      if (!w || !h) throw new Error('no frame yet');
      const scale = Math.min(1, SIDE / Math.max(w, h));
      const side = Math.round(Math.max(w, h) * scale);
      if (canvas.width !== side) canvas.width = canvas.height = side;
      ctx.fillStyle = '#000';
      ctx.fillRect(0, 0, side, side);
      const dw = Math.round(w * scale);
      const dh = Math.round(h * scale);
      ctx.drawImage(source, Math.floor((side - dw) / 2), Math.floor((side - dh) / 2), dw, dh);
      return canvas;
    },
  };
}
