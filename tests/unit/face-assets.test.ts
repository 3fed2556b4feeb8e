import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { faceAssetDirs } from '@/server/face/engine';
import { FACE_MODEL_NAMES, type FaceModels } from '@/server/face/human-config';
import { faceAssetFile, faceAssetResponse, WASM_FILES } from '@/server/http/face-assets';

const only = (...on: string[]) => Object.fromEntries(FACE_MODEL_NAMES.map((n) => [n, on.includes(n)])) as FaceModels;
const LOGIN = only('detector', 'mesh', 'description');
const get = (kind: string, file: string, models: FaceModels, headers: HeadersInit = {}, method = 'GET') =>
  faceAssetResponse(new Request(`http://app.test/face/${kind}/${file}`, { method, headers }), kind, file, models);

describe('face assets for the browser', () => {
  it('lets a browser have the json and bin of each enabled model and the three wasm binaries', () => {
    const dirs = faceAssetDirs();
    for (const f of ['blazeface.json', 'blazeface.bin', 'facemesh.json', 'faceres.bin'])
      expect(faceAssetFile('models', f, LOGIN)?.file).toBe(path.join(dirs.models, f));
    for (const f of WASM_FILES) expect(faceAssetFile('wasm', f, LOGIN)).toEqual({ file: path.join(dirs.wasm, f), contentType: 'application/wasm' });
    expect(faceAssetFile('models', 'faceres.json', LOGIN)?.contentType).toBe('application/json');
    expect(faceAssetFile('models', 'faceres.bin', LOGIN)?.contentType).toBe('application/octet-stream');
  });

  it('refuses a switched-off model, a model we never ship, and everything when the detector is off', () => {
    expect(faceAssetFile('models', 'centernet.json', LOGIN)).toBeNull();
    expect(faceAssetFile('models', 'centernet.json', only('detector', 'object'))).not.toBeNull();
    // In Human's models folder, but not one of ours.
    for (const f of ['iris.json', 'emotion.bin', 'models.json', 'README.md']) expect(faceAssetFile('models', f, only(...FACE_MODEL_NAMES))).toBeNull();
    expect(faceAssetFile('models', 'blazeface.json', only('mesh', 'description'))).toBeNull();
    expect(faceAssetFile('wasm', 'tfjs-backend-wasm.wasm', only())).toBeNull();
  });

  it('never reaches a file outside the allow-list by path tricks', () => {
    const tricks = [
      '../package.json',
      '..%2Fpackage.json',
      '../../../../etc/passwd',
      'blazeface.json/../../package.json',
      '/etc/passwd',
      'blazeface.json\0.bin',
      'BLAZEFACE.JSON',
      'blazeface.json ',
      '.',
      '',
    ];
    for (const f of tricks) {
      expect(faceAssetFile('models', f, only(...FACE_MODEL_NAMES)), f).toBeNull();
      expect(faceAssetFile('wasm', f, only(...FACE_MODEL_NAMES)), f).toBeNull();
    }
    for (const kind of ['..', 'models/..', 'dist', 'Models', 'wasm/']) expect(faceAssetFile(kind, 'blazeface.json', LOGIN), kind).toBeNull();
  });

  it('serves wasm as application/wasm with an ETag and a public cache lifetime, and 304 on a match', async () => {
    const res = await get('wasm', 'tfjs-backend-wasm-simd.wasm', LOGIN);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/wasm');
    expect(res.headers.get('cache-control')).toMatch(/^public, max-age=\d{6,}$/);
    const etag = res.headers.get('etag')!;
    expect(etag).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    const bytes = new Uint8Array(await res.arrayBuffer());
    expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
    // "\0asm": a WebAssembly module.
    expect([...bytes.slice(0, 4)]).toEqual([0, 0x61, 0x73, 0x6d]);
    const again = await get('wasm', 'tfjs-backend-wasm-simd.wasm', LOGIN, { 'if-none-match': `W/"x", ${etag}` });
    expect(again.status).toBe(304);
    expect(again.body).toBeNull();
  });

  it('answers 404 (not cached) for a disabled model and a traversal attempt, and HEAD without a body', async () => {
    for (const [kind, file] of [
      ['models', 'centernet.bin'],
      ['models', '../package.json'],
      ['other', 'x'],
    ]) {
      const res = await get(kind!, file!, LOGIN);
      expect(res.status, `${kind}/${file}`).toBe(404);
      expect(res.headers.get('cache-control')).toBe('no-store');
    }
    const head = await get('models', 'blazeface.json', LOGIN, {}, 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(1000);
  });
});
