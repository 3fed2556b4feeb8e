import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { env } from '../env';
import { AppError } from '../errors';
import { humanConfig, type FaceModels } from './human-config';

/** One face the worker found, in the original image's pixels. */
export type FoundFace = {
  score: number;
  box: [number, number, number, number];
  /** The face box's longer side as a share of the image's shorter side. */
  size: number;
  /** Head turn and nod in degrees (null without the mesh model). */
  yaw: number | null;
  pitch: number | null;
  descriptor: Float32Array | null;
  /** Anti-spoof and liveness scores, 0..1 (null when the model is off). */
  real: number | null;
  live: number | null;
};
export type FaceAnalysis = { width: number; height: number; faces: FoundFace[]; ms: number };

type Raw = Omit<FaceAnalysis, 'faces'> & { faces: (Omit<FoundFace, 'descriptor'> & { descriptor: number[] | null })[] };
type Reply = { id: number; result?: Raw; error?: { message: string; badImage: boolean } };

/**
 * Where Human's weights and tfjs' wasm binaries are on disk (the browser gets the same files from
 * app/face). Fixed paths from the app's root, like the worker's: inside a Next bundle
 * `require.resolve` answers with a module id, not a path.
 */
export const faceAssetDirs = () => ({
  // The package's subpath exports lack their "./", so Node resolves none of them: go by file.
  human: path.join(process.cwd(), 'node_modules', '@vladmandic', 'human', 'dist', 'human.node-wasm.js'),
  models: path.join(process.cwd(), 'node_modules', '@vladmandic', 'human', 'models'),
  wasm: path.join(process.cwd(), 'node_modules', '@tensorflow', 'tfjs-backend-wasm', 'dist'),
});

/**
 * Face analysis for this process: Human on the wasm backend in one worker thread, so that the
 * 0.1-0.3 s an image takes never stalls requests. One image at a time, at most FACE_QUEUE_MAX
 * waiting; past that the caller gets "busy" at once rather than an answer a minute later. A worker
 * that dies is replaced and the images it held fail with "unavailable".
 */
export class FaceEngine {
  private worker: Worker | null = null;
  private seq = 0;
  private readonly pending = new Map<number, { resolve: (r: Raw) => void; reject: (e: Error) => void }>();

  constructor(
    private readonly models: FaceModels,
    private readonly queueMax = env.FACE_QUEUE_MAX,
  ) {}

  get enabled() {
    return this.models.detector;
  }

  /** Faces in an image (JPEG, PNG or WebP bytes). Bad bytes: BAD_REQUEST face.badImage. */
  async analyze(image: Uint8Array): Promise<FaceAnalysis> {
    if (!this.enabled) throw new AppError('PRECONDITION_FAILED', 'face.off');
    if (this.pending.size >= this.queueMax) throw new AppError('TOO_MANY_REQUESTS', 'face.busy');
    const worker = this.start();
    const id = ++this.seq;
    const raw = await new Promise<Raw>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      worker.postMessage({ id, image });
    });
    return { ...raw, faces: raw.faces.map((f) => ({ ...f, descriptor: f.descriptor ? Float32Array.from(f.descriptor) : null })) };
  }

  /** Starts the worker now rather than on the first image (it takes a second or two to load). */
  warm() {
    if (this.enabled) this.start();
  }

  async close() {
    const w = this.worker;
    this.worker = null;
    await w?.terminate();
  }

  private start() {
    if (this.worker) return this.worker;
    const dirs = faceAssetDirs();
    // Run from the source tree as it is (plain JS). Constructed indirectly: Next's bundler rewrites
    // a literal `new Worker(file)` into a bundle of its own (ignoring turbopackIgnore), inside
    // which Human's files can no longer be found.
    const worker: Worker = Reflect.construct(Worker, [
      path.join(process.cwd(), 'server', 'face', 'worker.mjs'),
      {
        workerData: {
          config: humanConfig({ modelBasePath: 'disk://', wasmPath: '', models: this.models }),
          humanFile: dirs.human,
          modelDir: dirs.models,
          wasmDir: dirs.wasm,
        },
      },
    ]);
    // The worker must not keep a CLI or a test alive on its own.
    worker.unref();
    worker.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (m.result) p.resolve(m.result);
      else if (m.error?.badImage) p.reject(new AppError('BAD_REQUEST', 'face.badImage'));
      else {
        console.error('face analysis failed:', m.error?.message);
        p.reject(new AppError('PRECONDITION_FAILED', 'face.unavailable'));
      }
    });
    const fail = (err: unknown) => {
      if (this.worker !== worker) return;
      console.error('face worker stopped:', err);
      this.worker = null;
      for (const p of this.pending.values()) p.reject(new AppError('PRECONDITION_FAILED', 'face.unavailable'));
      this.pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(`exit ${code}`));
    this.worker = worker;
    return worker;
  }
}

let engine: FaceEngine | undefined;

/** This process's engine, with the models FACE_MODELS switches on. */
export function faceEngine() {
  return (engine ??= new FaceEngine(env.FACE_MODELS));
}
