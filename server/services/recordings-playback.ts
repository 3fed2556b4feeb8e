import type { Db } from '@/db/client';
import { AppError } from '../errors';
import type { Locale } from '../i18n/config';
import { serverTranslator } from '../i18n/messages';
import { isStaff, type UserCaller } from '../auth/caller';
import { playbackOf } from './recordings';
import { concatenatedStream, parseRange } from './recordings-files';

const STATUS_OF: Partial<Record<AppError['code'], number>> = { UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404 };

/**
 * The playback file: every received chunk in seq order, streamed from disk. Chunks of one
 * MediaRecorder session concatenate to one playable file. Single byte ranges are served, which
 * the browser's media element uses to seek. A candidate may learn that a recording exists
 * (`recordings.mine`), never download it.
 */
export function playbackResponse({
  db,
  dataDir,
  caller,
  recordingId,
  range,
  locale = 'zh-CN',
}: {
  db: Db;
  dataDir: string;
  caller: UserCaller | null;
  recordingId: string;
  range: string | null;
  locale?: Locale;
}): Response {
  const refuse = (err: AppError) => {
    const t = serverTranslator(locale);
    return Response.json({ error: err.key, message: t(`errors.${err.key}` as 'errors.internal', err.params) }, { status: STATUS_OF[err.code] ?? 400 });
  };
  if (!caller) return refuse(new AppError('UNAUTHORIZED', 'auth.required'));
  if (!isStaff(caller)) return refuse(new AppError('FORBIDDEN', 'recordings.staffOnly'));
  const id = /^\d{1,10}$/.test(recordingId) ? Number(recordingId) : 0;
  if (!id) return refuse(new AppError('NOT_FOUND', 'recordings.notFound'));
  let found: ReturnType<typeof playbackOf>;
  try {
    found = playbackOf({ db, caller, recordingId: id });
  } catch (err) {
    if (err instanceof AppError) return refuse(err);
    throw err;
  }
  const { recording, chunks } = found;
  const total = chunks.reduce((n, c) => n + c.size, 0);
  const headers = new Headers({
    'content-type': recording.mimeType,
    'accept-ranges': 'bytes',
    'cache-control': 'private, no-store',
    'x-recording-chunks': String(chunks.length),
    'x-recording-complete': recording.completedAt ? '1' : '0',
  });
  const wanted = parseRange(range, total);
  if (wanted === 'unsatisfiable') {
    headers.set('content-range', `bytes */${total}`);
    return new Response(null, { status: 416, headers });
  }
  const span = wanted ?? { start: 0, end: total - 1 };
  headers.set('content-length', String(total === 0 ? 0 : span.end - span.start + 1));
  if (wanted) headers.set('content-range', `bytes ${span.start}-${span.end}/${total}`);
  if (total === 0) return new Response(null, { status: 200, headers });
  return new Response(concatenatedStream(dataDir, chunks, span), { status: wanted ? 206 : 200, headers });
}
