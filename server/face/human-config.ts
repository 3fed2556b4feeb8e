/**
 * The one Human configuration, for the server's worker and for the candidate's browser. Which
 * models run is decided here and by `FaceModels` (the server's FACE_MODELS setting, passed to the
 * page); every path points at our own origin or our own disk, never at a CDN.
 */

/**
 * Models on by default: those whose upstream licence is clear (MediaPipe's, Apache-2.0). The
 * others ship in the package but their licences are unclear (README, "Face login and face
 * signals"): a deployment switches them on with FACE_MODELS after its own review.
 */
export const FACE_MODELS_DEFAULT = 'detector,mesh';
/** What `npm run demo`/`dev` and the tests switch on: all but the two liveness models, which judge photos of photos no better than chance here. */
export const FACE_MODELS_EVALUATION = 'detector,mesh,description,object';

/** Models a deployment can switch on or off (README, "Face login and face signals"). */
export const FACE_MODEL_NAMES = ['detector', 'mesh', 'description', 'antispoof', 'liveness', 'object'] as const;
export type FaceModelName = (typeof FACE_MODEL_NAMES)[number];
export type FaceModels = Record<FaceModelName, boolean>;

/** The weight files of each model, as shipped in @vladmandic/human's `models/`. */
export const MODEL_FILES: Record<FaceModelName, string> = {
  detector: 'blazeface',
  mesh: 'facemesh',
  description: 'faceres',
  antispoof: 'antispoof',
  liveness: 'liveness',
  object: 'centernet',
};

/** Where the browser loads models and tfjs' wasm binaries from (app/face/[kind]/[file]/route.ts). */
export const FACE_MODELS_URL = '/face/models/';
export const FACE_WASM_URL = '/face/wasm/';

/** Faces counted at most: two is already "a second person", five leaves room to see a crowd. */
export const MAX_FACES = 5;

type Where = { modelBasePath: string; wasmPath: string; models: FaceModels; object?: boolean };

/** Human's config: only what we use is on; no result is carried over from an earlier frame. */
export function humanConfig({ modelBasePath, wasmPath, models, object = false }: Where) {
  const off = { enabled: false };
  return {
    backend: 'wasm' as const,
    modelBasePath,
    wasmPath,
    wasmPlatformFetch: false,
    cacheModels: false,
    debug: false,
    async: true,
    warmup: 'none' as const,
    // Every frame is judged on its own: a frame must never inherit a face from the one before.
    cacheSensitivity: 0,
    skipAllowed: false,
    // Off in both places: the browser's filter goes through WebGL and reads the pixels back (a
    // stall per frame), and the page's descriptors must be computed as the server's are.
    filter: { enabled: false, equalization: false, flip: false, return: false },
    gesture: off,
    body: off,
    hand: off,
    segmentation: off,
    face: {
      enabled: models.detector,
      detector: {
        modelPath: `${MODEL_FILES.detector}.json`,
        rotation: true,
        maxDetected: MAX_FACES,
        minConfidence: 0.5,
        skipFrames: 0,
        skipTime: 0,
        return: false,
      },
      mesh: { enabled: models.mesh, modelPath: `${MODEL_FILES.mesh}.json` },
      iris: off,
      emotion: off,
      attention: off,
      description: { enabled: models.description, modelPath: `${MODEL_FILES.description}.json`, skipFrames: 0, skipTime: 0, minConfidence: 0.1 },
      antispoof: { enabled: models.antispoof, modelPath: `${MODEL_FILES.antispoof}.json`, skipFrames: 0, skipTime: 0 },
      liveness: { enabled: models.liveness, modelPath: `${MODEL_FILES.liveness}.json`, skipFrames: 0, skipTime: 0 },
    },
    object: { enabled: object && models.object, modelPath: `${MODEL_FILES.object}.json`, minConfidence: 0.3, maxDetected: 10, skipFrames: 0, skipTime: 0 },
  };
}

/** COCO's class name for a phone in the object model's labels. */
export const PHONE_LABEL = 'cell phone';
