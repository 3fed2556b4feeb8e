import type { Db } from '@/db/client';
import type { UserCaller } from '../auth/caller';
import { fileHeaders, idParam } from '../http';
import { attachmentFor } from '../services/attachments';
import { parseRange } from '../services/recordings-files';

/**
 * An exam file as an HTTP answer: 401 without a login, 404 for a file that is missing or not
 * the caller's (the same answer, so the id space cannot be probed), else the file or one byte
 * range of it. Ranges matter for the spoken instructions: Chromium asks for them to seek an
 * <audio>, and Safari will not play media served without them.
 */
export function attachmentResponse({ db, caller, id, range }: { db: Db; caller: UserCaller | null; id: string; range: string | null }): Response {
  if (!caller) return new Response(null, { status: 401 });
  const attachmentId = idParam(id);
  const file = attachmentId ? attachmentFor({ db, caller, attachmentId }) : null;
  if (!file) return new Response(null, { status: 404 });
  // Sheet images are shown inline in the paper, the instructions played in the page; notice files are downloads.
  const headers = fileHeaders({ contentType: file.contentType, fileName: file.fileName, inline: file.purpose !== 'notice' });
  headers.set('accept-ranges', 'bytes');
  const bytes = new Uint8Array(file.content);
  const total = bytes.byteLength;
  const wanted = parseRange(range, total);
  if (wanted === 'unsatisfiable') {
    headers.set('content-range', `bytes */${total}`);
    return new Response(null, { status: 416, headers });
  }
  if (!wanted) {
    headers.set('content-length', String(total));
    return new Response(bytes, { status: 200, headers });
  }
  headers.set('content-range', `bytes ${wanted.start}-${wanted.end}/${total}`);
  headers.set('content-length', String(wanted.end - wanted.start + 1));
  return new Response(bytes.subarray(wanted.start, wanted.end + 1), { status: 206, headers });
}
