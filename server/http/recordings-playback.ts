import type { Db } from '@/db/client';
import type { UserCaller } from '../auth/caller';
import { AppError } from '../errors';
import { fileHeaders, HTTP_STATUS_OF, idParam } from '../http';
import type { Locale } from '../i18n/config';
import { serverTranslator } from '../i18n/messages';
import { concatenatedStream } from '../services/recordings-files';
import { playbackFile, type PlaybackFile } from '../services/recordings-playback';

/**
 * The playback file as an HTTP answer: the whole file or one byte range, streamed from disk.
 * The bytes are the candidate's: they go out as the recording's media type, never sniffed,
 * sandboxed (an opaque origin if a browser renders them as a page) and under a file name.
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
  /** The id as it appears in the address. */
  recordingId: string;
  range: string | null;
  locale?: Locale;
}): Response {
  let file: PlaybackFile;
  try {
    file = playbackFile({ db, caller, recordingId: idParam(recordingId), range });
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    const t = serverTranslator(locale);
    return Response.json(
      { error: err.key, message: t(`errors.${err.key}` as 'errors.internal', err.params) },
      { status: HTTP_STATUS_OF[err.code], headers: { 'cache-control': 'no-store' } },
    );
  }
  const { total, range: wanted } = file;
  const headers = fileHeaders({ contentType: file.mediaType, fileName: file.fileName, inline: true });
  headers.set('accept-ranges', 'bytes');
  headers.set('x-recording-chunks', String(file.chunks.length));
  headers.set('x-recording-complete', file.complete ? '1' : '0');
  if (wanted === 'unsatisfiable') {
    headers.set('content-range', `bytes */${total}`);
    return new Response(null, { status: 416, headers });
  }
  const span = wanted ?? { start: 0, end: total - 1 };
  headers.set('content-length', String(total === 0 ? 0 : span.end - span.start + 1));
  if (wanted) headers.set('content-range', `bytes ${span.start}-${span.end}/${total}`);
  if (total === 0) return new Response(null, { status: 200, headers });
  return new Response(concatenatedStream(dataDir, file.chunks, span), { status: wanted ? 206 : 200, headers });
}
