import fs from 'node:fs';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import { EVENTS, Server, type Upload } from '@tus/server';
import type { Db } from '@/db/client';
import { authFromRequest, phoneCaller } from '../auth/caller';
import { AppError } from '../errors';
import { HTTP_STATUS_OF, requestLocale } from '../http';
import { serverTranslator } from '../i18n/messages';
import { recordersOf, type Recorder } from '../services/access';
import {
  admitUpload,
  assertUploadOwner,
  ChunkRefusal,
  fileChunk,
  needsFiling,
  parseChunkMeta,
  type ChunkRefusalKind,
  type UploadLimits,
} from '../services/recordings-upload';

/** tus' checksum-mismatch status: the bytes that arrived are not the bytes the device hashed. */
export const STATUS_CHECKSUM_MISMATCH = 460;
/** Unfinished uploads older than this are dropped (the device starts that chunk again). */
const TEMP_TTL_MS = 24 * 60 * 60 * 1000;
const CLEANUP_EVERY_MS = 60 * 60 * 1000;

/** Parses the raw Upload-Metadata header: `key base64value` pairs separated by commas. */
function parseMetadataHeader(header: string | null): Record<string, string> | null {
  if (!header) return null;
  const out: Record<string, string> = {};
  for (const pair of header.split(',')) {
    const [key, value, extra] = pair.trim().split(' ');
    if (!key || extra !== undefined || key in out) return null;
    if (value && !/^[A-Za-z0-9+/]*={0,2}$/.test(value)) return null;
    out[key] = value ? Buffer.from(value, 'base64').toString('utf8') : '';
  }
  return out;
}

/** A refusal as the client sees it: a status and the message key (JSON in the caller's language). */
type Refusal = { status: number; key: string; params: Record<string, string | number> };

const STATUS_OF_KIND: Record<ChunkRefusalKind, number> = { invalid: 400, tooLarge: 413, damaged: STATUS_CHECKSUM_MISMATCH, notFound: 404 };

function refusalOf(err: unknown): Refusal | null {
  if (err instanceof ChunkRefusal) return { status: STATUS_OF_KIND[err.kind], key: err.key, params: err.params };
  if (err instanceof AppError) return { status: HTTP_STATUS_OF[err.code], key: err.key, params: err.params as Record<string, string | number> };
  return null;
}

export type UploadHandlerOptions = UploadLimits & {
  db: Db;
  /** Recordings go to `<dataDir>/recordings/…`, unfinished uploads to `<dataDir>/uploads-tmp`. */
  dataDir: string;
  /** The URL path the endpoint is mounted at. */
  basePath?: string;
  /** The clock the upload deadline is read on (tests move it). */
  now?: () => Date;
};

/**
 * The chunk upload endpoint: a tus server whose every request (creation, resume, offset query,
 * termination) must come from a device that may write to the chunk's recording. A finished
 * upload is verified (size and sha-256) before it becomes part of the recording; a bad one is
 * refused and its bytes deleted. What is allowed is decided in server/services/recordings-upload.ts.
 */
export function createUploadHandler({ db, dataDir, maxChunkBytes, quotaBytes, basePath = '/api/uploads', now = () => new Date() }: UploadHandlerOptions) {
  const tempDir = path.join(dataDir, 'uploads-tmp');
  fs.mkdirSync(tempDir, { recursive: true });
  const store = new FileStore({ directory: tempDir, expirationPeriodInMilliseconds: TEMP_TTL_MS });
  let lastCleanup = 0;

  /** Refusals already worded for the client, as thrown to tus. */
  const answered = new WeakSet<object>();

  const file = (upload: Upload) =>
    fileChunk({ db, dataDir, tempFile: path.join(tempDir, upload.id), meta: parseChunkMeta(upload.metadata), size: upload.size, quotaBytes });

  const tus = new Server({
    path: basePath,
    datastore: store,
    relativeLocation: true,
    maxSize: maxChunkBytes,
    async onUploadFinish(req, upload) {
      try {
        const outcome = await file(upload);
        // The temp copy goes now (the final file is a separate link to the same bytes); a
        // creation that carried the whole chunk still reads it afterwards, so that one waits
        // for POST_FINISH.
        if (req.method === 'PATCH') await store.remove(upload.id).catch(() => {});
        return { status_code: 204, headers: { 'X-Chunk': outcome } };
      } catch (err) {
        // Whatever went wrong, the complete upload must not stay behind looking delivered.
        await store.remove(upload.id).catch(() => {});
        const r = refusalOf(err);
        throw r ? refusalBody(req, r) : err;
      }
    },
    onResponseError(req, err) {
      // tus' own 413 (more bytes than the upload's length or the maximum) gets our message; ours (the quota) is kept.
      if (!answered.has(err) && 'status_code' in err && err.status_code === 413) {
        return refusalBody(req, { status: 413, key: 'recordings.tooLarge', params: { max: maxChunkBytes } });
      }
      return undefined;
    },
  });
  tus.on(EVENTS.POST_FINISH, (req, _res, upload: Upload) => {
    if (req.method === 'POST') void store.remove(upload.id).catch(() => {});
  });

  function refusalBody(req: Request, r: Refusal) {
    const t = serverTranslator(requestLocale(req));
    const message = t(`errors.${r.key}` as 'errors.internal', r.params);
    const answer = { status_code: r.status, body: JSON.stringify({ error: r.key, message }) };
    answered.add(answer);
    return answer;
  }

  function refuse(req: Request, r: Refusal) {
    const { status_code, body } = refusalBody(req, r);
    return new Response(req.method === 'HEAD' ? null : body, {
      status: status_code,
      headers: { 'content-type': 'application/json; charset=utf-8', 'tus-resumable': '1.0.0', 'cache-control': 'no-store' },
    });
  }

  /** Creation: the length, the metadata and the recording are checked before any byte is stored. */
  function checkCreation(req: Request, recorders: Recorder[]) {
    const length = req.headers.get('upload-length');
    if (req.headers.get('upload-concat') || length === null || !/^\d{1,12}$/.test(length)) {
      throw new ChunkRefusal('invalid', 'recordings.lengthRequired');
    }
    const raw = parseMetadataHeader(req.headers.get('upload-metadata'));
    admitUpload({ db, recorders, meta: raw && parseChunkMeta(raw), length: Number(length), maxChunkBytes, quotaBytes, now: now() });
  }

  /** Resume, offset query, termination: the upload must belong to one of the caller's recordings. */
  async function checkExisting(req: Request, recorders: Recorder[]) {
    const id = decodeURIComponent(new URL(req.url).pathname.split('/').filter(Boolean).pop() ?? '');
    const upload = id && !id.includes('\\') ? await store.getUpload(id).catch(() => null) : null;
    // Unknown ids go to tus, which answers 404/410 and lets the client start over.
    if (!upload) return;
    const meta = parseChunkMeta(upload.metadata);
    assertUploadOwner(db, recorders, meta);
    // A client seeing the full offset would count the chunk as delivered and drop its copy. File
    // it if it verifies, and remove the upload either way: the client then sends the chunk again,
    // which is a harmless duplicate if it was filed.
    if (req.method === 'HEAD' && meta && needsFiling(db, meta, upload)) {
      await file(upload).catch(() => {});
      await store.remove(upload.id).catch(() => {});
    }
  }

  return async function handle(req: Request): Promise<Response> {
    if (req.method === 'OPTIONS') return tus.handleWeb(req);
    if (req.method === 'GET') return refuse(req, { status: 405, key: 'recordings.notFound', params: {} });
    const auth = authFromRequest(req, db);
    const recorders = recordersOf([auth.user, phoneCaller(auth.phone)]);
    if (!recorders.length) return refuse(req, { status: 401, key: 'recordings.signInToUpload', params: {} });
    try {
      if (req.method === 'POST') {
        checkCreation(req, recorders);
        if (Date.now() - lastCleanup > CLEANUP_EVERY_MS) {
          lastCleanup = Date.now();
          void tus.cleanUpExpiredUploads().catch(() => {});
        }
      } else {
        await checkExisting(req, recorders);
      }
    } catch (err) {
      const r = refusalOf(err);
      if (!r) throw err;
      return refuse(req, r);
    }
    return tus.handleWeb(req);
  };
}
