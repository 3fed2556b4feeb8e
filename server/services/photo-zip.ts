import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { AppError } from '../errors';
import { decodeText } from './admin/import-parse';

/**
 * Reading a photo package (a ZIP) without trusting it: the central directory is read first and
 * refused whole when it names too many files or unpacks to too much; each file is then inflated
 * on its own, by zlib off the main thread, and cut off as soon as it passes the size its header
 * declared (yauzl's entry size check), so a zip bomb costs no more than its declared sizes.
 */

export const PACKAGE_LIMITS = {
  /** The upload itself. */
  maxBytes: 200 * 1024 * 1024,
  /** Files in the directory (folders and skipped files included): a large exam's candidates, with room. */
  maxEntries: 5000,
  /** The declared sizes of every file together: 5000 photos of 200 KB. */
  maxUnpackedBytes: 1024 * 1024 * 1024,
} as const;

export type PackageFile = {
  /** The path inside the package, as the office's tools wrote it (decoded; see `entryName`). */
  name: string;
  /** The declared unpacked size. */
  size: number;
  entry: Entry;
};

/** Files that are never photos: folders, macOS's resource forks, hidden files, Windows' thumbnail caches. */
export function skipped(name: string) {
  if (name.endsWith('/')) return true;
  const parts = name.split('/');
  const base = parts[parts.length - 1]!;
  return parts.includes('__MACOSX') || base.startsWith('.') || /^(thumbs\.db|desktop\.ini)$/i.test(base);
}

/**
 * A file name as the office's tools meant it. UTF-8 when the entry says so (bit 11, or
 * Info-ZIP's Unicode path field); otherwise old Windows tools wrote the system code page, GBK
 * on a Chinese Windows, where ZIP's nominal CP437 would turn every Chinese folder name into
 * mojibake. Bytes that read as valid UTF-8 are taken as UTF-8 (some tools do not set the bit).
 */
export function entryName(entry: Entry): string {
  const raw = entry.fileName as unknown as Buffer;
  const unicodePath = entry.extraFields.some((f) => f.id === 0x7075);
  const name =
    entry.generalPurposeBitFlag & 0x800 || unicodePath
      ? yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, raw, entry.extraFields, false)
      : decodeText(raw).text;
  return name.replace(/\\/g, '/');
}

/**
 * Opens a package and lists its files, in directory order. Refuses (adminPhotos.*) what is not a
 * ZIP, names more than `maxEntries` files or declares more than `maxUnpackedBytes`; nothing has
 * been inflated at that point.
 */
export async function openPackage(bytes: Buffer): Promise<{ zip: ZipFile; files: PackageFile[] }> {
  let zip: ZipFile;
  try {
    // Raw names (decodeStrings off): yauzl would read non-UTF-8 names as CP437 and refuse a whole
    // package for one odd path; names are only looked at here, never used as paths on disk.
    zip = await yauzl.fromBufferPromise(bytes, { decodeStrings: false, validateEntrySizes: true });
  } catch {
    throw new AppError('BAD_REQUEST', 'adminPhotos.notZip');
  }
  if (zip.entryCount > PACKAGE_LIMITS.maxEntries) {
    zip.close();
    throw new AppError('BAD_REQUEST', 'adminPhotos.tooManyEntries', { max: PACKAGE_LIMITS.maxEntries });
  }
  const files: PackageFile[] = [];
  let unpacked = 0;
  try {
    for (let entry = await nextEntry(zip); entry; entry = await nextEntry(zip)) {
      unpacked += entry.uncompressedSize;
      if (unpacked > PACKAGE_LIMITS.maxUnpackedBytes) {
        throw new AppError('BAD_REQUEST', 'adminPhotos.unpackedTooLarge', { max: PACKAGE_LIMITS.maxUnpackedBytes / 1024 / 1024 });
      }
      files.push({ name: entryName(entry), size: entry.uncompressedSize, entry });
    }
  } catch (err) {
    zip.close();
    throw err instanceof AppError ? err : new AppError('BAD_REQUEST', 'adminPhotos.notZip');
  }
  return { zip, files };
}

/** The next directory entry, or null at the end (yauzl's lazy reading, as a promise). */
function nextEntry(zip: ZipFile): Promise<Entry | null> {
  return new Promise((resolve, reject) => {
    const onEntry = (e: Entry) => done(null, e);
    const onEnd = () => done(null, null);
    const onError = (err: Error) => done(err, null);
    function done(err: Error | null, e: Entry | null) {
      zip.off('entry', onEntry).off('end', onEnd).off('error', onError);
      if (err) reject(err);
      else resolve(e);
    }
    zip.on('entry', onEntry).on('end', onEnd).on('error', onError);
    zip.readEntry();
  });
}

/**
 * One file's bytes, or null when it cannot be read (damaged, encrypted, an unknown compression,
 * or more bytes than its header declared). Callers skip files over their own size limit first.
 */
export async function readFile(zip: ZipFile, file: PackageFile): Promise<Buffer | null> {
  try {
    const stream = await zip.openReadStreamPromise(file.entry);
    const parts: Buffer[] = [];
    for await (const chunk of stream) parts.push(chunk as Buffer);
    return Buffer.concat(parts);
  } catch {
    return null;
  }
}
