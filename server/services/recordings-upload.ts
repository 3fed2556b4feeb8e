import fs from 'node:fs';
import path from 'node:path';
import { FileStore } from '@tus/file-store';
import { EVENTS, Server, type Upload } from '@tus/server';
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { Db } from '@/db/client';
import { recordings } from '@/db/schema';
import { AppError } from '../errors';
import { readCookie } from '../http';
import { LOCALE_COOKIE, toLocale } from '../i18n/config';
import { serverTranslator } from '../i18n/messages';
import { authFromRequest, phoneCaller } from '../auth/caller';
import { checkChunk, recordChunk, storedChunk, type ChunkOutcome } from './recordings';
import { assertWritableRecording, recordersOf, type Recorder } from './access';
import { chunkRelPath, fileDigest, placeFile, removeQuietly } from './recordings-files';
import { announceProgress } from './recordings-progress';

/** tus' checksum-mismatch status: the bytes that arrived are not the bytes the device hashed. */
export const STATUS_CHECKSUM_MISMATCH = 460;
/** Unfinished uploads older than this are dropped (the device starts that chunk again). */
const TEMP_TTL_MS = 24 * 60 * 60 * 1000;
const CLEANUP_EVERY_MS = 60 * 60 * 1000;

const digits = (max: number) =>
  z
    .string()
    .regex(/^\d{1,10}$/)
    .transform(Number)
    .pipe(z.number().int().min(0).max(max));

/** tus Upload-Metadata of a chunk; other keys (filename, filetype) are ignored. */
export const ZChunkMeta = z.object({
  recordingId: digits(2 ** 31).pipe(z.number().min(1)),
  seq: digits(10_000_000),
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/)
    .transform((s) => s.toLowerCase()),
  offsetMs: digits(7 * 24 * 60 * 60 * 1000).optional(),
});
export type TChunkMeta = z.infer<typeof ZChunkMeta>;

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

/** A refusal the client can act on: JSON with the message key and the caller's language. */
class Refusal {
  constructor(
    readonly status: number,
    readonly key: string,
    readonly params: Record<string, string | number> = {},
  ) {}
}

const STATUS_OF: Record<AppError['code'], number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  TOO_MANY_REQUESTS: 429,
  PRECONDITION_FAILED: 412,
};

const refusalOf = (err: unknown) => {
  if (err instanceof Refusal) return err;
  if (err instanceof AppError) return new Refusal(STATUS_OF[err.code], err.key, err.params as Record<string, string | number>);
  return null;
};

export type UploadHandlerOptions = {
  db: Db;
  /** Recordings go to `<dataDir>/recordings/…`, unfinished uploads to `<dataDir>/uploads-tmp`. */
  dataDir: string;
  maxChunkBytes: number;
  /** The URL path the endpoint is mounted at. */
  basePath?: string;
};

/**
 * The chunk upload endpoint: a tus server whose every request (creation, resume, offset query,
 * termination) must come from a device that may write to the chunk's recording. A finished
 * upload is verified (size and sha-256) before it becomes part of the recording; a bad one is
 * refused and its bytes deleted.
 */
export function createUploadHandler({ db, dataDir, maxChunkBytes, basePath = '/api/uploads' }: UploadHandlerOptions) {
  const tempDir = path.join(dataDir, 'uploads-tmp');
  fs.mkdirSync(tempDir, { recursive: true });
  const store = new FileStore({ directory: tempDir, expirationPeriodInMilliseconds: TEMP_TTL_MS });
  let lastCleanup = 0;

  const tus = new Server({
    path: basePath,
    datastore: store,
    relativeLocation: true,
    maxSize: maxChunkBytes,
    async onUploadFinish(req, upload) {
      try {
        const outcome = await finishChunk(upload);
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
      if ('status_code' in err && err.status_code === 413) return refusalBody(req, new Refusal(413, 'recordings.tooLarge', { max: maxChunkBytes }));
      return undefined;
    },
  });
  tus.on(EVENTS.POST_FINISH, (req, _res, upload: Upload) => {
    if (req.method === 'POST') void store.remove(upload.id).catch(() => {});
  });

  /**
   * Verifies a fully received chunk and files it in the ledger. Throws a Refusal or an AppError
   * to refuse; the caller then removes the upload.
   */
  async function finishChunk(upload: Upload): Promise<ChunkOutcome> {
    const tempFile = path.join(tempDir, upload.id);
    const meta = ZChunkMeta.safeParse(upload.metadata ?? {});
    if (!meta.success) throw new Refusal(400, 'recordings.badMetadata');
    const { recordingId, seq, sha256, offsetMs } = meta.data;
    const digest = await fileDigest(tempFile);
    if (digest.size !== upload.size) throw new Refusal(STATUS_CHECKSUM_MISMATCH, 'recordings.sizeMismatch', { seq });
    if (digest.sha256 !== sha256) throw new Refusal(STATUS_CHECKSUM_MISMATCH, 'recordings.hashMismatch', { seq });
    // From here to the ledger write nothing awaits: no other upload of this process interleaves.
    const rec = db.select().from(recordings).where(eq(recordings.id, recordingId)).get();
    if (!rec) throw new Refusal(404, 'recordings.notFound');
    // A conflicting duplicate or a seq past the end throws an AppError, answered as a refusal.
    if (checkChunk(db, rec, seq, sha256) === 'duplicate') return 'duplicate';
    const rel = chunkRelPath(rec, seq);
    const finalFile = path.join(dataDir, rel);
    if (!placeFile(tempFile, finalFile)) {
      // No row names this file (checked above), so it is left from an attempt that died between
      // placing it and writing its row: it is nobody's, replace it.
      fs.rmSync(finalFile, { force: true });
      placeFile(tempFile, finalFile);
    }
    let outcome: ChunkOutcome;
    try {
      outcome = recordChunk({ db, rec, seq, size: digest.size, sha256, offsetMs: offsetMs ?? null, path: rel });
    } catch (err) {
      if (storedChunk(db, rec.id, seq)?.path !== rel) removeQuietly(finalFile);
      throw err;
    }
    announceProgress(db, rec.id);
    return outcome;
  }

  function refusalBody(req: Request, r: Refusal) {
    const t = serverTranslator(toLocale(readCookie(req.headers.get('cookie'), LOCALE_COOKIE)));
    const message = t(`errors.${r.key}` as 'errors.internal', r.params);
    return { status_code: r.status, body: JSON.stringify({ error: r.key, message }) };
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
    if (req.headers.get('upload-concat')) throw new Refusal(400, 'recordings.lengthRequired');
    const length = req.headers.get('upload-length');
    if (length === null || !/^\d{1,12}$/.test(length)) throw new Refusal(400, 'recordings.lengthRequired');
    if (Number(length) > maxChunkBytes) throw new Refusal(413, 'recordings.tooLarge', { max: maxChunkBytes });
    const raw = parseMetadataHeader(req.headers.get('upload-metadata'));
    const meta = raw ? ZChunkMeta.safeParse(raw) : null;
    if (!meta?.success) throw new Refusal(400, 'recordings.badMetadata');
    const rec = assertWritableRecording(db, recorders, meta.data.recordingId);
    // A conflicting duplicate or a seq past the end is refused now, not after the upload.
    checkChunk(db, rec, meta.data.seq, meta.data.sha256);
  }

  /** Resume, offset query, termination: the upload must belong to one of the caller's recordings. */
  async function checkExisting(req: Request, recorders: Recorder[]) {
    const id = decodeURIComponent(new URL(req.url).pathname.split('/').filter(Boolean).pop() ?? '');
    const upload = id && !id.includes('\\') ? await store.getUpload(id).catch(() => null) : null;
    // Unknown ids go to tus, which answers 404/410 and lets the client start over.
    if (!upload) return;
    const meta = ZChunkMeta.safeParse(upload.metadata ?? {});
    if (!meta.success) throw new Refusal(404, 'recordings.notFound');
    assertWritableRecording(db, recorders, meta.data.recordingId);
    // All bytes arrived but the chunk is not filed (the server stopped in between): a client
    // seeing the full offset would count it as delivered and drop its copy. File it if it
    // verifies, and remove the upload either way: the client then sends the chunk again, which
    // is a harmless duplicate if it was filed.
    if (req.method === 'HEAD' && upload.size !== undefined && upload.offset === upload.size && storedChunk(db, meta.data.recordingId, meta.data.seq)?.sha256 !== meta.data.sha256) {
      await finishChunk(upload).catch(() => {});
      await store.remove(upload.id).catch(() => {});
    }
  }

  return async function handle(req: Request): Promise<Response> {
    if (req.method === 'OPTIONS') return tus.handleWeb(req);
    if (req.method === 'GET') return refuse(req, new Refusal(405, 'recordings.notFound'));
    const auth = authFromRequest(req, db);
    const recorders = recordersOf([auth.user, phoneCaller(auth.phone)]);
    if (!recorders.length) return refuse(req, new Refusal(401, 'recordings.signInToUpload'));
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
