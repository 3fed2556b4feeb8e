// The face worker: Human on tfjs' wasm backend, in its own thread so that a 100-200 ms analysis
// never holds up the app's event loop. Plain JavaScript because Node starts it without a build
// step. Messages: { id, image: Uint8Array } -> { id, result } | { id, error }.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';

const { config, humanFile, modelDir, wasmDir } = workerData;
const { Human } = createRequire(import.meta.url)(humanFile);

/** Longest side of the square the detector sees; phone cameras send more than it needs. */
const SIDE = 640;
/** Share of the face box the image may be made wider by, when a photo is cropped to the face. */
const PAD = 0.5;

const human = new Human({ ...config, modelBasePath: 'disk://', wasmPath: wasmDir.endsWith(path.sep) ? wasmDir : wasmDir + path.sep });

// Node's fetch cannot read files; tfjs asks its routers first, so models come straight off the disk.
human.tf.io.registerLoadRouter((url) => {
  if (typeof url !== 'string' || !url.startsWith('disk://')) return null;
  const file = path.join(modelDir, path.basename(url.slice('disk://'.length)));
  return {
    load: async () => {
      const json = JSON.parse(await readFile(file, 'utf8'));
      return human.tf.io.getModelArtifactsForJSON(json, async (manifest) => {
        const specs = manifest.flatMap((g) => g.weights);
        const parts = await Promise.all(manifest.flatMap((g) => g.paths).map((p) => readFile(path.join(modelDir, path.basename(p)))));
        const bytes = Buffer.concat(parts);
        return [specs, bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)];
      });
    },
  };
});

const ready = (async () => {
  await human.init();
  await human.load();
  // A model that failed to load is only logged by Human and detect() then crashes: fail loudly.
  const wanted = Object.entries(config.face).filter(([, v]) => v && typeof v === 'object' && v.enabled !== false && v.modelPath);
  const missing = wanted.map(([, v]) => v.modelPath.replace('.json', '')).filter((m) => !human.models.loaded().includes(m));
  if (missing.length) throw new Error(`face models failed to load: ${missing.join(', ')}`);
})();

/** Decodes, turns upright, pads around a tight crop and letterboxes to a square. */
async function toTensor(bytes) {
  const img = sharp(bytes, { limitInputPixels: 40_000_000, failOn: 'error' }).rotate();
  const meta = await img.metadata();
  const w0 = meta.autoOrient?.width ?? meta.width;
  const h0 = meta.autoOrient?.height ?? meta.height;
  const side0 = Math.max(w0, h0);
  const scale = Math.min(1, SIDE / (side0 * (1 + PAD)));
  const w = Math.max(1, Math.round(w0 * scale));
  const h = Math.max(1, Math.round(h0 * scale));
  const side = Math.round(Math.max(w, h) * (1 + PAD));
  const left = Math.floor((side - w) / 2);
  const top = Math.floor((side - h) / 2);
  const { data } = await img
    .resize(w, h, { fit: 'fill' })
    .removeAlpha()
    .extend({ top, bottom: side - h - top, left, right: side - w - left, background: { r: 0, g: 0, b: 0 } })
    .raw()
    .toBuffer({ resolveWithObject: true });
  return {
    tensor: human.tf.tensor3d(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), [side, side, 3], 'int32'),
    width: w0,
    height: h0,
    side,
    left,
    top,
    scale,
  };
}

async function analyze(bytes) {
  await ready;
  const t0 = performance.now();
  const { tensor, width, height, side, left, top, scale } = await toTensor(bytes);
  try {
    const res = await human.detect(tensor);
    const faces = res.face.map((f) => ({
      score: round(f.boxScore ?? f.score),
      // Back to the original image's pixels.
      box: [(f.box[0] - left) / scale, (f.box[1] - top) / scale, f.box[2] / scale, f.box[3] / scale].map(Math.round),
      /** The face's share of the original image's shorter side. */
      size: round(Math.max(f.box[2], f.box[3]) / scale / Math.min(width, height)),
      yaw: f.rotation ? round((f.rotation.angle.yaw * 180) / Math.PI) : null,
      pitch: f.rotation ? round((f.rotation.angle.pitch * 180) / Math.PI) : null,
      descriptor: f.embedding && f.embedding.length ? Array.from(f.embedding) : null,
      real: typeof f.real === 'number' ? round(f.real) : null,
      live: typeof f.live === 'number' ? round(f.live) : null,
    }));
    return { width, height, side, faces, ms: Math.round(performance.now() - t0) };
  } finally {
    tensor.dispose();
  }
}

const round = (n) => Math.round(n * 1000) / 1000;

ready.catch(() => {});
parentPort.on('message', async ({ id, image }) => {
  try {
    parentPort.postMessage({ id, result: await analyze(Buffer.from(image)) });
  } catch (e) {
    const bad = /unsupported image format|Input buffer|corrupt|VipsJpeg|pngload|premature/i.test(String(e?.message));
    parentPort.postMessage({ id, error: { message: String(e?.message ?? e), badImage: bad } });
  }
});
