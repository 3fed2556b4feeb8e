import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { env } from '../env';
import { faceAssetDirs } from '../face/engine';
import { FACE_MODEL_NAMES, MODEL_FILES, type FaceModels } from '../face/human-config';

/*
 * The face models' weights and tfjs' wasm binaries, served from our own origin to every page that
 * runs the detector (the login page too: no session needed, the files are public npm content).
 * Only names on an allow-list are ever joined to a directory, so no request can name another file.
 */

/** tfjs-backend-wasm picks one of these by what the browser supports (threads need cross-origin isolation). */
export const WASM_FILES = ['tfjs-backend-wasm.wasm', 'tfjs-backend-wasm-simd.wasm', 'tfjs-backend-wasm-threaded-simd.wasm'] as const;

/**
 * A week: the URLs carry no version, so after an upgrade of Human a browser may hold the old
 * weights this long before it revalidates with the ETag; longer would risk a json and a bin of
 * two versions meeting.
 */
export const FACE_ASSET_MAX_AGE = 7 * 24 * 3600;

const TYPES = { json: 'application/json', bin: 'application/octet-stream', wasm: 'application/wasm' } as const;

type Asset = { file: string; contentType: string };

/** The file on disk a `/face/<kind>/<file>` request may read, or null: only enabled models' json and bin, and the wasm binaries. */
export function faceAssetFile(kind: string, file: string, models: FaceModels, dirs = faceAssetDirs()): Asset | null {
  // Nothing to serve when face checks are off altogether: the detector runs no model without the face detector.
  if (!models.detector) return null;
  if (kind === 'wasm') {
    return (WASM_FILES as readonly string[]).includes(file) ? { file: path.join(dirs.wasm, file), contentType: TYPES.wasm } : null;
  }
  if (kind !== 'models') return null;
  const m = /^([a-z]+)\.(json|bin)$/.exec(file);
  if (!m) return null;
  const enabled = FACE_MODEL_NAMES.some((name) => models[name] && MODEL_FILES[name] === m[1]);
  return enabled ? { file: path.join(dirs.models, file), contentType: TYPES[m[2] as 'json' | 'bin'] } : null;
}

/** Size and modification time, like most static servers: the files change only when the package does. */
const etagOf = (s: fs.Stats) => `"${s.size.toString(16)}-${Math.floor(s.mtimeMs).toString(16)}"`;

/** The response for GET /face/<kind>/<file>: the file with its type, ETag and a public cache lifetime; 304 on a matching If-None-Match; 404 otherwise. */
export async function faceAssetResponse(req: Request, kind: string, file: string, models: FaceModels = env.FACE_MODELS): Promise<Response> {
  const asset = faceAssetFile(kind, file, models);
  const stat = asset ? await fs.promises.stat(asset.file).catch(() => null) : null;
  if (!asset || !stat?.isFile()) return new Response(null, { status: 404, headers: { 'cache-control': 'no-store' } });
  const etag = etagOf(stat);
  const headers = new Headers({
    'content-type': asset.contentType,
    'x-content-type-options': 'nosniff',
    'cache-control': `public, max-age=${FACE_ASSET_MAX_AGE}`,
    etag,
  });
  const match = req.headers.get('if-none-match');
  if (match && match.split(',').some((t) => t.trim().replace(/^W\//, '') === etag)) return new Response(null, { status: 304, headers });
  headers.set('content-length', String(stat.size));
  if (req.method === 'HEAD') return new Response(null, { headers });
  const body = Readable.toWeb(fs.createReadStream(asset.file)) as ReadableStream<Uint8Array>;
  return new Response(body, { headers });
}
