import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Recording } from '@/db/schema';

/** Where a chunk lives, relative to the data folder (the chunk row stores this). */
export const chunkRelPath = (rec: Pick<Recording, 'examId' | 'candidateId' | 'id'>, seq: number) =>
  path.join('recordings', String(rec.examId), String(rec.candidateId), String(rec.id), `${seq}.webm`);

/** Size and sha-256 of a file, streamed (never the whole file in memory). */
export async function fileDigest(file: string): Promise<{ size: number; sha256: string }> {
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(fs.createReadStream(file), async (source: AsyncIterable<Buffer>) => {
    for await (const buf of source) {
      size += buf.length;
      hash.update(buf);
    }
  });
  return { size, sha256: hash.digest('hex') };
}

/**
 * Places a verified temp file at its final path without ever exposing a partial file there: a
 * hard link is atomic and fails if the name exists, so two writers cannot overwrite each other.
 * Returns false when a file is already there (an earlier attempt that crashed before its row
 * was written, or a concurrent writer); the caller decides what that means.
 */
export function placeFile(tempFile: string, finalFile: string): boolean {
  fs.mkdirSync(path.dirname(finalFile), { recursive: true });
  try {
    fs.linkSync(tempFile, finalFile);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

export function removeQuietly(file: string) {
  try {
    fs.rmSync(file, { force: true });
  } catch {
    // Best effort: a leftover temp file is collected by the upload store's expiry.
  }
}

export type ByteRange = { start: number; end: number };

/**
 * Parses a single `Range: bytes=a-b` header against a total size. null: no (usable) range,
 * serve everything; 'unsatisfiable': answer 416.
 */
export function parseRange(header: string | null, total: number): ByteRange | null | 'unsatisfiable' {
  const m = header ? /^bytes=(\d*)-(\d*)$/.exec(header.trim()) : null;
  if (!m || (m[1] === '' && m[2] === '')) return null;
  let start: number;
  let end: number;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    start = Math.max(0, total - suffix);
    end = total - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? total - 1 : Math.min(Number(m[2]), total - 1);
  }
  if (start >= total || start > end) return 'unsatisfiable';
  return { start, end };
}

/**
 * The chunks' bytes concatenated in order, streamed file by file (only the requested range),
 * as a web stream for a Response body.
 */
export function concatenatedStream(dataDir: string, chunks: { size: number; path: string }[], range: ByteRange): ReadableStream<Uint8Array> {
  async function* bytes() {
    let pos = 0;
    for (const c of chunks) {
      const from = pos;
      const to = pos + c.size - 1;
      pos += c.size;
      if (c.size === 0 || to < range.start) continue;
      if (from > range.end) break;
      const start = Math.max(range.start, from) - from;
      const end = Math.min(range.end, to) - from;
      yield* fs.createReadStream(path.join(dataDir, c.path), { start, end });
    }
  }
  return Readable.toWeb(Readable.from(bytes(), { objectMode: false })) as ReadableStream<Uint8Array>;
}
