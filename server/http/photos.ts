import type { Db } from '@/db/client';
import { adminFromRequest } from '../admin-http';
import { authFromRequest, isStaff } from '../auth/caller';
import { isSameOrigin, readBodyCapped } from '../auth/request-guards';
import { AppError } from '../errors';
import { fileHeaders, HTTP_STATUS_OF, idParam, requestLocale } from '../http';
import type { Locale } from '../i18n/config';
import { serverTranslator } from '../i18n/messages';
import { PHOTO_MAX_BYTES, referencePhotoFor, setReferencePhoto } from '../services/face-references';
import { previewPhotoPackage } from '../services/photo-package';
import { PACKAGE_LIMITS } from '../services/photo-zip';

/**
 * Reference photos over HTTP: raw bytes in (a package can be hundreds of MB, which base64 in a
 * tRPC body would make a third larger and hold in memory twice), JPEG out. Refusals come back
 * as `{ message, data: { appCode, httpStatus } }`, worded in the caller's language, the shape
 * the pages' error text reads from tRPC errors.
 */

function errorBody(locale: Locale, err: AppError) {
  const t = serverTranslator(locale);
  return { message: t(`errors.${err.key}` as 'errors.internal', err.params), data: { appCode: err.key, httpStatus: HTTP_STATUS_OF[err.code] } };
}

const refuse = (req: Request, err: AppError) =>
  Response.json(errorBody(requestLocale(req), err), { status: HTTP_STATUS_OF[err.code], headers: { 'cache-control': 'no-store' } });

/** The admin behind a state-changing upload from our own pages, or the answer to send instead. */
function uploader(req: Request, db: Db) {
  const admin = adminFromRequest(req, db);
  if (admin instanceof Response) return admin;
  if (!isSameOrigin(req.headers)) return refuse(req, new AppError('FORBIDDEN', 'request.crossSite'));
  return admin;
}

/** `GET /api/face/references/:candidateId`: the reference photo, to staff who may see that candidate. */
export function photoResponse({ req, db, id }: { req: Request; db: Db; id: string }): Response {
  const { user } = authFromRequest(req, db);
  if (!user) return new Response(null, { status: 401 });
  const candidateId = idParam(id);
  const photo = candidateId && isStaff(user) ? referencePhotoFor({ db, caller: user, candidateId }) : null;
  // The same answer for "no photo" and "not yours": candidate ids are not to be probed.
  if (!photo) return new Response(null, { status: 404 });
  return new Response(new Uint8Array(photo), { headers: fileHeaders({ contentType: 'image/jpeg', fileName: `photo-${candidateId}.jpg`, inline: true }) });
}

/** `PUT /api/admin/candidates/:id/photo`: the candidate editor's upload (the image as the body). */
export async function photoUpload({ req, db, id }: { req: Request; db: Db; id: string }): Promise<Response> {
  const admin = uploader(req, db);
  if (admin instanceof Response) return admin;
  const candidateId = idParam(id);
  if (!candidateId) return refuse(req, new AppError('NOT_FOUND', 'admin.candidateNotFound'));
  const max = PHOTO_MAX_BYTES / 1024 / 1024;
  const read = await readBodyCapped(req, PHOTO_MAX_BYTES);
  if (!read.ok) return refuse(req, new AppError('BAD_REQUEST', 'adminPhotos.problems.tooLarge', { max }));
  const examId = idParam(new URL(req.url).searchParams.get('examId') ?? undefined) ?? undefined;
  try {
    const done = await setReferencePhoto({ db, actorId: admin.id, candidateId, examId, bytes: read.body });
    return Response.json(done, { headers: { 'cache-control': 'no-store' } });
  } catch (err) {
    if (err instanceof AppError) return refuse(req, err);
    throw err;
  }
}

/**
 * `POST /api/admin/photo-packages?name=…`: the ZIP as the body; the answer streams as NDJSON,
 * one `{ type: 'progress', done, total }` line per photo analysed (a package of hundreds takes
 * minutes), then `{ type: 'preview', preview }` or `{ type: 'error', message, data }`. Closing
 * the page stops the work and leaves nothing behind.
 */
export async function photoPackageUpload({ req, db }: { req: Request; db: Db }): Promise<Response> {
  const admin = uploader(req, db);
  if (admin instanceof Response) return admin;
  const read = await readBodyCapped(req, PACKAGE_LIMITS.maxBytes);
  if (!read.ok) return refuse(req, new AppError('BAD_REQUEST', 'adminPhotos.packageTooLarge', { max: PACKAGE_LIMITS.maxBytes / 1024 / 1024 }));
  const fileName = (new URL(req.url).searchParams.get('name') ?? '').trim().slice(0, 255) || 'photos.zip';
  const locale = requestLocale(req);
  const stop = new AbortController();
  req.signal.addEventListener('abort', () => stop.abort(), { once: true });
  const encoder = new TextEncoder();
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      const send = (line: unknown) => {
        try {
          controller.enqueue(encoder.encode(`${JSON.stringify(line)}\n`));
        } catch {
          // The page has gone (the stream was cancelled): the work stops at the next photo.
        }
      };
      try {
        const zipBytes = Buffer.from(read.body.buffer, read.body.byteOffset, read.body.byteLength);
        const preview = await previewPhotoPackage({
          db,
          actorId: admin.id,
          fileName,
          zipBytes,
          signal: stop.signal,
          onProgress: (p) => send({ type: 'progress', ...p }),
        });
        send({ type: 'preview', preview });
      } catch (err) {
        if (err instanceof AppError) send({ type: 'error', ...errorBody(locale, err) });
        else if (!stop.signal.aborted) {
          console.error('photo package preview failed', err);
          send({ type: 'error', message: serverTranslator(locale)('errors.internal'), data: { appCode: 'internal', httpStatus: 500 } });
        }
      } finally {
        try {
          controller.close();
        } catch {
          // Already cancelled by the reader.
        }
      }
    },
    cancel() {
      stop.abort();
    },
  });
  return new Response(body, {
    headers: {
      'content-type': 'application/x-ndjson; charset=utf-8',
      // Each line must reach the page as it is written: no compression, no proxy buffering.
      'cache-control': 'no-cache, no-store, no-transform',
      'x-accel-buffering': 'no',
      'x-content-type-options': 'nosniff',
    },
  });
}
