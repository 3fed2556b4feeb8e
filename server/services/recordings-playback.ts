import type { Db } from '@/db/client';
import { AppError } from '../errors';
import { isStaff, type UserCaller } from '../auth/caller';
import { playbackOf } from './recordings';
import { parseRange, type ByteRange } from './recordings-files';
import { recordingFileName, servedMediaType, type RecordingMediaType } from './recordings-media';

export type PlaybackFile = {
  recordingId: number;
  /** Always one of the recording media types, whatever the row says (rows from before the list included). */
  mediaType: RecordingMediaType;
  fileName: string;
  complete: boolean;
  /** Every received chunk in seq order; their bytes concatenated are the file. */
  chunks: { seq: number; size: number; path: string }[];
  total: number;
  /** The bytes asked for: null for all of them, 'unsatisfiable' for a range outside the file. */
  range: ByteRange | null | 'unsatisfiable';
};

/**
 * The playback file of a recording: every received chunk in seq order (chunks of one
 * MediaRecorder session concatenate to one playable file) and the single byte range asked for,
 * which the browser's media element uses to seek. Only staff who may see the candidate's
 * evidence get it; a candidate may learn that a recording exists (`recordings.mine`), never
 * download it. Throws an AppError to refuse.
 */
export function playbackFile({
  db,
  caller,
  recordingId,
  range,
}: {
  db: Db;
  caller: UserCaller | null;
  /** null when the id in the address is not one. */
  recordingId: number | null;
  /** The Range header, if any. */
  range: string | null;
}): PlaybackFile {
  if (!caller) throw new AppError('UNAUTHORIZED', 'auth.required');
  if (!isStaff(caller)) throw new AppError('FORBIDDEN', 'recordings.staffOnly');
  if (!recordingId) throw new AppError('NOT_FOUND', 'recordings.notFound');
  const { recording, chunks } = playbackOf({ db, caller, recordingId });
  const mediaType = servedMediaType(recording.mimeType);
  const total = chunks.reduce((n, c) => n + c.size, 0);
  return {
    recordingId,
    mediaType,
    fileName: recordingFileName(recording, mediaType),
    complete: recording.completedAt != null,
    chunks,
    total,
    range: parseRange(range, total),
  };
}
