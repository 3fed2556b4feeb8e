import { setTimeout as sleep } from 'node:timers/promises';
import { and, eq, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { ZipFile } from 'yauzl';
import type { Db, DbOrTx } from '@/db/client';
import { faceReferences, facePhotoImportItems, facePhotoImports, users, type PhotoImportEntry } from '@/db/schema';
import { AppError } from '../errors';
import { descriptorToBlob } from '../face/descriptor';
import { normaliseIdNumber } from './admin/id-number';
import { audit } from './audit';
import { checkPhoto, hasReferences, PHOTO_MAX_BYTES, type FaceAnalyzer, type PhotoCheck } from './face-references';
import { openPackage, PACKAGE_LIMITS, readFile, skipped, type PackageFile } from './photo-zip';

/**
 * Photo packages: the ZIP of ID photos an exam office keeps, one file per candidate named by
 * ID number (`330106199301171868.jpg`, in any folder). A preview judges every file and stages
 * the accepted photos with their descriptors; nothing a candidate or a face login sees changes
 * until the commit writes all of them at once. Unlike the candidate import, a package with bad
 * files can still be committed: the bad files are named, and the office sends those photos
 * again (or uploads them one by one in the candidate editor).
 */

export type PhotoEntryProblemKey =
  'notPhotoFile' | 'badName' | 'unknownId' | 'notCandidate' | 'duplicate' | 'unreadable' | Extract<PhotoCheck, { ok: false }>['problem']['key'];

export type PhotoPackagePreview = {
  importId: number;
  fileName: string;
  counts: { files: number; accepted: number; rejected: number; replacing: number };
  /** Every file that will not be imported, in package order, with its reason (adminPhotos.problems.*). */
  problems: PhotoImportEntry[];
  /** Problems by reason, most frequent first. */
  summary: { key: string; count: number }[];
  /** The first accepted photos, as they will be imported. */
  sample: { name: string; idNumber: string; candidateId: number; candidateName: string; replacing: boolean }[];
};

/** A preview not committed within a day is dropped (its staged photos take room). */
export const PHOTO_IMPORT_TTL_MS = 24 * 60 * 60 * 1000;
const SAMPLE_SIZE = 20;
/** `<ID number>.<image extension>`, the ID number in any case and width (a full-width Ｘ is still X). */
const PHOTO_NAME = /^(.+)\.(jpe?g|png|webp)$/i;
const ID_NUMBER = /^\d{17}[\dX]$/;
/** Face logins share the engine's queue: a package waits for its turn instead of failing. */
const BUSY_WAIT_MS = 200;
const BUSY_TRIES = 150;

type Judged = Omit<PhotoImportEntry, 'problem'> & { problem: PhotoEntryProblemKey | null; file: PackageFile };

/** What the file name alone says: an ID number to look up, or a problem. */
function judgeName(file: PackageFile): Judged {
  const entry = { name: file.name, idNumber: null, candidateId: null, file };
  const m = PHOTO_NAME.exec(file.name.slice(file.name.lastIndexOf('/') + 1));
  if (!m) return { ...entry, problem: 'notPhotoFile' };
  const idNumber = normaliseIdNumber(m[1]!);
  if (!ID_NUMBER.test(idNumber)) return { ...entry, problem: 'badName' };
  // Too large to be a photo we take: not even inflated.
  if (file.size > PHOTO_MAX_BYTES) return { ...entry, idNumber, problem: 'tooLarge', params: { max: PHOTO_MAX_BYTES / 1024 / 1024 } };
  return { ...entry, idNumber, problem: null };
}

/** Accounts with these ID numbers. */
function accountsByIdNumber(db: DbOrTx, idNumbers: string[]) {
  const out = new Map<string, { id: number; name: string; role: string }>();
  const unique = [...new Set(idNumbers)];
  for (let i = 0; i < unique.length; i += 500) {
    for (const u of db
      .select({ id: users.id, idNumber: users.idNumber, name: users.name, role: users.role })
      .from(users)
      .where(inArray(users.idNumber, unique.slice(i, i + 500)))
      .all())
      out.set(u.idNumber!, u);
  }
  return out;
}

/**
 * The checks that need no pixels, in package order: the name, the account, and duplicates (the
 * first file of an ID number stands, later ones name it; an office that sends two photos of one
 * person must say which one it means).
 */
function judgeNames(db: DbOrTx, files: PackageFile[]) {
  const judged = files.map(judgeName);
  const accounts = accountsByIdNumber(
    db,
    judged.flatMap((j) => (j.idNumber ? [j.idNumber] : [])),
  );
  const first = new Map<string, string>();
  const names = new Map<number, string>();
  for (const j of judged) {
    if (!j.idNumber) continue;
    const seen = first.get(j.idNumber);
    if (seen !== undefined) {
      Object.assign(j, { problem: 'duplicate', params: { first: seen } });
      continue;
    }
    first.set(j.idNumber, j.name);
    if (j.problem) continue;
    const account = accounts.get(j.idNumber);
    if (!account) j.problem = 'unknownId';
    else if (account.role !== 'candidate') j.problem = 'notCandidate';
    else {
      j.candidateId = account.id;
      names.set(account.id, account.name);
    }
  }
  return { judged, names };
}

/** checkPhoto, waiting while the engine's queue is full (face logins come first). */
async function checkWhenFree(bytes: Uint8Array, engine: FaceAnalyzer | undefined, signal: AbortSignal | undefined) {
  for (let tries = 1; ; tries++) {
    try {
      return await checkPhoto(bytes, engine);
    } catch (err) {
      if (!(err instanceof AppError && err.key === 'face.busy') || tries >= BUSY_TRIES) throw err;
      await sleep(BUSY_WAIT_MS, undefined, { signal });
    }
  }
}

/** Staged photos of previews that were never committed and have expired. */
function dropExpiredPreviews(db: DbOrTx, now: Date) {
  const expired = db
    .select({ id: facePhotoImports.id })
    .from(facePhotoImports)
    .where(and(isNull(facePhotoImports.committedAt), lt(facePhotoImports.createdAt, new Date(now.getTime() - PHOTO_IMPORT_TTL_MS))));
  db.delete(facePhotoImportItems).where(inArray(facePhotoImportItems.importId, expired)).run();
}

/**
 * Judges every photo of a package (sequentially: the face engine does one image at a time) and
 * stores the preview: the entries with their reasons, and each accepted photo with its
 * descriptor, staged as it is accepted so that a package of thousands is never held in memory.
 * The import row's entries are written last: until then a commit finds it empty. A preview that
 * fails or is abandoned half-way (`signal`) leaves nothing behind.
 */
export async function previewPhotoPackage(opts: {
  db: Db;
  actorId: number;
  fileName: string;
  zipBytes: Buffer;
  engine?: FaceAnalyzer;
  /** Called after each photo analysed: `total` is the number of photos that need analysing. */
  onProgress?: (p: { done: number; total: number }) => void;
  signal?: AbortSignal;
  now?: Date;
}): Promise<PhotoPackagePreview> {
  const { db, actorId, fileName, zipBytes, signal } = opts;
  const now = opts.now ?? new Date();
  if (zipBytes.length > PACKAGE_LIMITS.maxBytes)
    throw new AppError('BAD_REQUEST', 'adminPhotos.packageTooLarge', { max: PACKAGE_LIMITS.maxBytes / 1024 / 1024 });
  if (zipBytes.length === 0) throw new AppError('BAD_REQUEST', 'adminPhotos.emptyPackage');
  const { zip, files } = await openPackage(zipBytes);
  try {
    const photos = files.filter((f) => !skipped(f.name));
    if (!photos.length) throw new AppError('BAD_REQUEST', 'adminPhotos.emptyPackage');
    const { judged, names } = judgeNames(db, photos);
    dropExpiredPreviews(db, now);
    const importId = db
      .insert(facePhotoImports)
      .values({ fileName, entries: [], createdBy: actorId, createdAt: now })
      .returning({ id: facePhotoImports.id })
      .get().id;
    try {
      await analyse({ db, zip, importId, judged, engine: opts.engine, onProgress: opts.onProgress, signal });
      const entries: PhotoImportEntry[] = judged.map(({ file: _file, ...e }) => e);
      db.update(facePhotoImports).set({ entries }).where(eq(facePhotoImports.id, importId)).run();
      return previewOf({ db, importId, fileName, entries, names });
    } catch (err) {
      db.delete(facePhotoImports).where(eq(facePhotoImports.id, importId)).run();
      throw err;
    }
  } finally {
    zip.close();
  }
}

/** Reads and checks every file the names let through, staging the accepted ones. */
async function analyse(opts: {
  db: Db;
  zip: ZipFile;
  importId: number;
  judged: Judged[];
  engine?: FaceAnalyzer;
  onProgress?: (p: { done: number; total: number }) => void;
  signal?: AbortSignal;
}) {
  const { db, zip, importId, signal } = opts;
  const todo = opts.judged.filter((j) => !j.problem && j.candidateId != null);
  let done = 0;
  for (const j of todo) {
    signal?.throwIfAborted();
    const bytes = await readFile(zip, j.file);
    const check: PhotoCheck | null = bytes ? await checkWhenFree(bytes, opts.engine, signal) : null;
    if (!check) j.problem = 'unreadable';
    else if (!check.ok) Object.assign(j, { problem: check.problem.key, ...(check.problem.params ? { params: check.problem.params } : {}) });
    else {
      db.insert(facePhotoImportItems)
        .values({ importId, candidateId: j.candidateId!, photo: check.photo, descriptor: descriptorToBlob(check.descriptor) })
        .run();
    }
    opts.onProgress?.({ done: ++done, total: todo.length });
  }
}

function previewOf(opts: { db: DbOrTx; importId: number; fileName: string; entries: PhotoImportEntry[]; names: Map<number, string> }): PhotoPackagePreview {
  const { entries } = opts;
  const problems = entries.filter((e) => e.problem);
  const accepted = entries.filter((e) => !e.problem);
  const existing = hasReferences({ db: opts.db, candidateIds: accepted.map((e) => e.candidateId!) });
  const byKey = new Map<string, number>();
  for (const p of problems) byKey.set(p.problem!, (byKey.get(p.problem!) ?? 0) + 1);
  return {
    importId: opts.importId,
    fileName: opts.fileName,
    counts: { files: entries.length, accepted: accepted.length, rejected: problems.length, replacing: existing.size },
    problems,
    summary: [...byKey].map(([key, count]) => ({ key, count })).sort((a, b) => b.count - a.count),
    sample: accepted.slice(0, SAMPLE_SIZE).map((e) => ({
      name: e.name,
      idNumber: e.idNumber!,
      candidateId: e.candidateId!,
      candidateName: opts.names.get(e.candidateId!) ?? '',
      replacing: existing.has(e.candidateId!),
    })),
  };
}

/**
 * Writes every accepted photo of a preview into the candidates' references, replacing earlier
 * ones, in one transaction: all of them or none. A preview commits once.
 */
export function commitPhotoPackage({ db, actorId, importId, now = new Date() }: { db: Db; actorId: number; importId: number; now?: Date }) {
  return db.transaction((tx) => {
    const imp = tx.select().from(facePhotoImports).where(eq(facePhotoImports.id, importId)).get();
    if (!imp) throw new AppError('NOT_FOUND', 'adminPhotos.importNotFound');
    if (imp.committedAt) throw new AppError('CONFLICT', 'adminPhotos.importCommitted');
    if (now.getTime() - imp.createdAt.getTime() > PHOTO_IMPORT_TTL_MS) throw new AppError('CONFLICT', 'adminPhotos.importExpired');
    const staged = tx
      .select({ candidateId: facePhotoImportItems.candidateId })
      .from(facePhotoImportItems)
      .where(eq(facePhotoImportItems.importId, importId))
      .all()
      .map((r) => r.candidateId);
    // No entries yet: the preview is still being made (or failed); no items: nothing passed.
    if (!imp.entries.length || !staged.length) throw new AppError('CONFLICT', 'adminPhotos.importEmpty');
    const replaced = hasReferences({ db: tx, candidateIds: staged }).size;
    // One statement copies the staged rows: thousands of photos never pass through memory.
    tx.insert(faceReferences)
      .select(
        tx
          .select({
            candidateId: facePhotoImportItems.candidateId,
            photo: facePhotoImportItems.photo,
            descriptor: facePhotoImportItems.descriptor,
            source: sql<'import'>`'import'`.as('source'),
            createdBy: sql<number>`${actorId}`.as('created_by'),
            createdAt: sql<Date>`${now.getTime()}`.as('created_at'),
          })
          .from(facePhotoImportItems)
          .where(eq(facePhotoImportItems.importId, importId)),
      )
      .onConflictDoUpdate({
        target: faceReferences.candidateId,
        set: {
          photo: sql`excluded.photo`,
          descriptor: sql`excluded.descriptor`,
          source: sql`excluded.source`,
          createdBy: sql`excluded.created_by`,
          createdAt: sql`excluded.created_at`,
        },
      })
      .run();
    tx.update(facePhotoImports).set({ committedAt: now }).where(eq(facePhotoImports.id, importId)).run();
    // The staged copies have done their work; the entries stay as the record of the package.
    tx.delete(facePhotoImportItems).where(eq(facePhotoImportItems.importId, importId)).run();
    const rejected = imp.entries.filter((e) => e.problem).length;
    audit(tx, {
      actorId,
      action: 'photos.imported',
      detail: { importId, fileName: imp.fileName, count: staged.length, replaced, rejected },
      at: now,
    });
    return { imported: staged.length, replaced, rejected };
  });
}
