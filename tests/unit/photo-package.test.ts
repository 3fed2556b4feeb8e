import { count, eq } from 'drizzle-orm';
import { zipSync, type Zippable } from 'fflate';
import { describe, expect, it } from 'vitest';
import { faceReferences, facePhotoImportItems, facePhotoImports, type PhotoImportEntry } from '@/db/schema';
import { AppError } from '@/server/errors';
import { similarity } from '@/server/face/similarity';
import { faceEngine } from '@/server/face/engine';
import { photoPackageUpload } from '@/server/http/photos';
import { login } from '@/server/services/auth';
import { checkPhoto, referenceOf, setReferencePhoto, type FaceAnalyzer } from '@/server/services/face-references';
import { commitPhotoPackage, previewPhotoPackage } from '@/server/services/photo-package';
import { PACKAGE_LIMITS } from '@/server/services/photo-zip';
import { insertUser } from '@/server/services/setup';
import { cameraFrame, facePhoto, noFacePhoto, twoFacesPhoto } from '../fixtures/faces';
import { makeCandidate, makeIdNumber, makeStaff, PASSWORD } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { appRefusal, auditRows, cookieHeaders } from '../helpers/unit-support';

const t = useTestDb();

/** "考生照片" as Windows' zip tool wrote it on a Chinese system: GBK bytes, no UTF-8 flag. */
const GBK_FOLDER = Buffer.from([0xbf, 0xbc, 0xc9, 0xfa, 0xd5, 0xd5, 0xc6, 0xac]);

/**
 * A ZIP of the given files (names as text, or as raw bytes for a legacy-encoded name: written
 * under a placeholder of the same length, then patched in the local and central headers).
 */
function zipOf(files: [name: string | Buffer, bytes: Uint8Array][]): Buffer {
  const entries: Zippable = {};
  const patches: [Buffer, Buffer][] = [];
  files.forEach(([name, bytes], i) => {
    if (typeof name === 'string') entries[name] = [bytes, { level: 0 }];
    else {
      const placeholder = Buffer.from(`~${i}~`.padEnd(name.length, '~'));
      patches.push([placeholder, name]);
      entries[placeholder.toString()] = [bytes, { level: 0 }];
    }
  });
  const zip = Buffer.from(zipSync(entries));
  for (const [from, to] of patches) for (let at = zip.indexOf(from); at >= 0; at = zip.indexOf(from, at + 1)) to.copy(zip, at);
  return zip;
}

/** An ID number ending in X, for a file named with a lower-case x. */
function idEndingInX() {
  for (let n = 1; ; n++) {
    const id = makeIdNumber(n * 7919);
    if (id.endsWith('X')) return id;
  }
}

const problemsByName = (entries: PhotoImportEntry[]) =>
  Object.fromEntries(entries.filter((e) => e.problem).map((e) => [e.name, [e.problem, e.params ?? null]]));
const staged = (importId: number) => t.db.select({ n: count() }).from(facePhotoImportItems).where(eq(facePhotoImportItems.importId, importId)).get()!.n;

/**
 * Three candidates with good photos (one under a GBK-named folder, one with a lower-case x),
 * a fourth who already has a photo, and every kind of bad file an office sends.
 */
async function officePackage() {
  const admin = await makeStaff(t.db, 'admin');
  const ana = await makeCandidate(t.db, { name: '安娜' });
  const bea = await makeCandidate(t.db, { name: '贝雅' });
  const cai = await insertUser(t.db, { role: 'candidate', name: '蔡', idNumber: idEndingInX(), passwordHash: '' });
  const eva = await makeCandidate(t.db, { name: '伊娃' });
  await setReferencePhoto({ db: t.db, actorId: admin.id, candidateId: eva.id, bytes: await facePhoto('fay', { margin: 0.4 }) });
  const fay = await makeCandidate(t.db, { name: '费' });
  const gus = await makeCandidate(t.db, { name: '古' });
  const hal = await makeCandidate(t.db, { name: '哈' });
  const staffId = makeIdNumber();
  await insertUser(t.db, { role: 'support', name: '客服', username: 'agent-x', idNumber: staffId, passwordHash: '' });
  const unknownId = makeIdNumber();
  const zip = zipOf([
    [`照片/${ana.idNumber}.jpg`, await facePhoto('ana', { margin: 0.4 })],
    [`照片/二班/${bea.idNumber}.JPEG`, await facePhoto('bea', { margin: 0.4 })],
    [Buffer.concat([GBK_FOLDER, Buffer.from(`/${cai.idNumber!.toLowerCase()}.png`)]), await facePhoto('cai', { margin: 0.4 })],
    [`照片/${eva.idNumber}.jpg`, await facePhoto('eva', { margin: 0.4 })],
    [`照片/${unknownId}.jpg`, await facePhoto('dee', { margin: 0.4 })],
    [`照片/${fay.idNumber}.jpg`, await noFacePhoto()],
    [`照片/${gus.idNumber}.jpg`, await twoFacesPhoto()],
    [`照片/${hal.idNumber}.jpg`, Buffer.from('这不是照片，只是改了扩展名的文本文件\n')],
    [`照片/备份/${ana.idNumber}.jpg`, await facePhoto('ana', { margin: 0.5 })],
    [`照片/${staffId}.jpg`, await facePhoto('dee', { margin: 0.4 })],
    ['照片/张三.jpg', await facePhoto('dee', { margin: 0.4 })],
    ['照片/名单.xlsx', Buffer.from('PK not really')],
    [`__MACOSX/照片/._${ana.idNumber}.jpg`, Buffer.from('resource fork')],
    ['照片/.DS_Store', Buffer.from('finder')],
    ['照片/Thumbs.db', Buffer.from('thumbs')],
  ]);
  return { admin, ana, bea, cai, eva, fay, gus, hal, unknownId, staffId, zip };
}

describe('previewPhotoPackage', () => {
  it('an admin sees every bad file named with its reason; the good photos are staged and nothing else changes', async () => {
    const w = await officePackage();
    const progress: number[] = [];
    const preview = await previewPhotoPackage({
      db: t.db,
      actorId: w.admin.id,
      fileName: '考生照片.zip',
      zipBytes: w.zip,
      onProgress: (p) => progress.push(p.done * 100 + p.total),
    });
    expect(preview.counts).toEqual({ files: 12, accepted: 4, rejected: 8, replacing: 1 });
    const entries = t.db.select().from(facePhotoImports).where(eq(facePhotoImports.id, preview.importId)).get()!.entries;
    expect(problemsByName(entries)).toEqual({
      [`照片/${w.unknownId}.jpg`]: ['unknownId', null],
      [`照片/${w.fay.idNumber}.jpg`]: ['noFace', null],
      [`照片/${w.gus.idNumber}.jpg`]: ['severalFaces', { count: 2 }],
      [`照片/${w.hal.idNumber}.jpg`]: ['badImage', null],
      [`照片/备份/${w.ana.idNumber}.jpg`]: ['duplicate', { first: `照片/${w.ana.idNumber}.jpg` }],
      [`照片/${w.staffId}.jpg`]: ['notCandidate', null],
      ['照片/张三.jpg']: ['badName', null],
      ['照片/名单.xlsx']: ['notPhotoFile', null],
    });
    expect(preview.problems.map((p) => p.name)).toEqual(Object.keys(problemsByName(entries)));
    expect(preview.summary.reduce((n, s) => n + s.count, 0)).toBe(8);
    // The GBK folder name reads as the office wrote it; the lower-case x found its candidate.
    expect(preview.sample.map((s) => [s.name, s.candidateName, s.replacing])).toEqual([
      [`照片/${w.ana.idNumber}.jpg`, '安娜', false],
      [`照片/二班/${w.bea.idNumber}.JPEG`, '贝雅', false],
      [`考生照片/${w.cai.idNumber!.toLowerCase()}.png`, '蔡', false],
      [`照片/${w.eva.idNumber}.jpg`, '伊娃', true],
    ]);
    // Only files that passed their names are analysed: seven, reported one by one.
    expect(progress).toEqual([1, 2, 3, 4, 5, 6, 7].map((d) => d * 100 + 7));
    expect(staged(preview.importId)).toBe(4);
    expect(
      t.db
        .select()
        .from(faceReferences)
        .all()
        .map((r) => r.candidateId),
    ).toEqual([w.eva.id]);
  });

  it('refuses, before any analysis, what is not a ZIP, too many files, a declared unpacked size over the bound, or no photo at all', async () => {
    const admin = await makeStaff(t.db, 'admin');
    const never: FaceAnalyzer = {
      analyze: () => {
        throw new Error('nothing should be analysed');
      },
    };
    const preview = (zipBytes: Buffer) => previewPhotoPackage({ db: t.db, actorId: admin.id, fileName: 'p.zip', zipBytes, engine: never });
    expect((await appRefusal(preview(Buffer.from('just text')))).key).toBe('adminPhotos.notZip');
    expect((await appRefusal(preview(Buffer.alloc(0)))).key).toBe('adminPhotos.emptyPackage');
    expect((await appRefusal(preview(zipOf([['readme/.hidden', Buffer.from('x')]])))).key).toBe('adminPhotos.emptyPackage');
    const many = zipOf(Array.from({ length: PACKAGE_LIMITS.maxEntries + 1 }, (_, i) => [`${i}.txt`, new Uint8Array(0)] as [string, Uint8Array]));
    expect(await appRefusal(preview(many))).toMatchObject({ key: 'adminPhotos.tooManyEntries', params: { max: 5000 } });
    // Two entries whose central directory claims 600 MB each: a bomb is refused on its word.
    const bomb = Buffer.from(
      zipSync({ [`${makeIdNumber()}.jpg`]: [new Uint8Array(10), { level: 9 }], [`${makeIdNumber()}.jpg`]: [new Uint8Array(10), { level: 9 }] }),
    );
    for (let at = bomb.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])); at >= 0; at = bomb.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), at + 4)) {
      bomb.writeUInt32LE(600 * 1024 * 1024, at + 24);
    }
    expect(await appRefusal(preview(bomb))).toMatchObject({ key: 'adminPhotos.unpackedTooLarge', params: { max: 1024 } });
    expect(t.db.select().from(facePhotoImports).all()).toEqual([]);
  });

  it('a file that inflates to more than its header declares is cut off and named unreadable, not inflated to the end', async () => {
    const admin = await makeStaff(t.db, 'admin');
    const c = await makeCandidate(t.db);
    // 4 MB of zeros that deflate to a few KB, declared as 1 KB in both headers.
    const entries: Zippable = { [`${c.idNumber}.jpg`]: [new Uint8Array(4 * 1024 * 1024), { level: 9 }] };
    const zip = Buffer.from(zipSync(entries));
    const sig = (s: number[]) => Buffer.from(s);
    zip.writeUInt32LE(1024, zip.indexOf(sig([0x50, 0x4b, 0x03, 0x04])) + 22);
    zip.writeUInt32LE(1024, zip.indexOf(sig([0x50, 0x4b, 0x01, 0x02])) + 24);
    const preview = await previewPhotoPackage({ db: t.db, actorId: admin.id, fileName: 'p.zip', zipBytes: zip });
    expect(preview.problems.map((p) => p.problem)).toEqual(['unreadable']);
  });

  it('waits its turn when face logins fill the engine, and a page that goes away leaves no preview behind', async () => {
    const w = await officePackage();
    let busy = 2;
    const crowded: FaceAnalyzer = {
      analyze: (bytes) => (busy-- > 0 ? Promise.reject(new AppError('TOO_MANY_REQUESTS', 'face.busy')) : faceEngine().analyze(bytes)),
    };
    const preview = await previewPhotoPackage({ db: t.db, actorId: w.admin.id, fileName: 'p.zip', zipBytes: w.zip, engine: crowded });
    expect(preview.counts.accepted).toBe(4);

    const stop = new AbortController();
    const err = await previewPhotoPackage({
      db: t.db,
      actorId: w.admin.id,
      fileName: 'p.zip',
      zipBytes: w.zip,
      signal: stop.signal,
      onProgress: () => stop.abort(),
    }).catch((e: unknown) => e);
    expect((err as Error).name).toBe('AbortError');
    expect(t.db.select({ id: facePhotoImports.id }).from(facePhotoImports).all()).toEqual([{ id: preview.importId }]);
  });
});

describe('commitPhotoPackage', () => {
  it('writes every accepted photo at once, replacing earlier ones, audits it, and commits only once', async () => {
    const w = await officePackage();
    const { importId } = await previewPhotoPackage({ db: t.db, actorId: w.admin.id, fileName: '考生照片.zip', zipBytes: w.zip });
    const before = referenceOf({ db: t.db, candidateId: w.eva.id })!;
    expect(commitPhotoPackage({ db: t.db, actorId: w.admin.id, importId })).toEqual({ imported: 4, replaced: 1, rejected: 8 });
    const refs = t.db.select().from(faceReferences).all();
    expect(refs.map((r) => [r.candidateId, r.source, r.createdBy]).sort()).toEqual(
      [w.ana.id, w.bea.id, w.cai.id, w.eva.id].sort().map((id) => [id, 'import', w.admin.id]),
    );
    // Eva's photo is now the package's (a different face from the one set before).
    const after = referenceOf({ db: t.db, candidateId: w.eva.id })!;
    expect(after.photo.equals(before.photo)).toBe(false);
    const evaNow = await checkPhoto(await cameraFrame('eva'));
    if (!evaNow.ok) throw new Error('fixture refused');
    expect(similarity(after.descriptor, evaNow.descriptor)).toBeGreaterThan(similarity(before.descriptor, evaNow.descriptor));
    expect(staged(importId)).toBe(0);
    expect(auditRows(t.db).at(-1)).toMatchObject({
      action: 'photos.imported',
      actorId: w.admin.id,
      detail: { importId, fileName: '考生照片.zip', count: 4, replaced: 1, rejected: 8 },
    });

    const again = await appRefusal(() => commitPhotoPackage({ db: t.db, actorId: w.admin.id, importId }));
    expect([again.code, again.key]).toEqual(['CONFLICT', 'adminPhotos.importCommitted']);
    expect((await appRefusal(() => commitPhotoPackage({ db: t.db, actorId: w.admin.id, importId: importId + 99 }))).key).toBe('adminPhotos.importNotFound');
  });

  it('is all or nothing: a write that fails half-way leaves every reference as it was and the preview committable', async () => {
    const w = await officePackage();
    const { importId } = await previewPhotoPackage({ db: t.db, actorId: w.admin.id, fileName: 'p.zip', zipBytes: w.zip });
    const before = t.db.select().from(faceReferences).all();
    // The database refuses one candidate's row, after others of the same statement were written.
    t.db.$client.exec(
      `create trigger refuse_one before insert on face_references when new.candidate_id = ${w.cai.id} begin select raise(abort, 'disk full'); end`,
    );
    expect(() => commitPhotoPackage({ db: t.db, actorId: w.admin.id, importId })).toThrow(/disk full/);
    expect(t.db.select().from(faceReferences).all()).toEqual(before);
    expect(t.db.select().from(facePhotoImports).where(eq(facePhotoImports.id, importId)).get()!.committedAt).toBeNull();
    expect(staged(importId)).toBe(4);
    expect(auditRows(t.db).map((r) => r.action)).not.toContain('photos.imported');

    t.db.$client.exec('drop trigger refuse_one');
    expect(commitPhotoPackage({ db: t.db, actorId: w.admin.id, importId }).imported).toBe(4);
  });

  it('refuses a preview with nothing to import, and one older than a day', async () => {
    const admin = await makeStaff(t.db, 'admin');
    const c = await makeCandidate(t.db);
    const empty = await previewPhotoPackage({ db: t.db, actorId: admin.id, fileName: 'p.zip', zipBytes: zipOf([[`${c.idNumber}.jpg`, await noFacePhoto()]]) });
    expect((await appRefusal(() => commitPhotoPackage({ db: t.db, actorId: admin.id, importId: empty.importId }))).key).toBe('adminPhotos.importEmpty');
    const old = await previewPhotoPackage({ db: t.db, actorId: admin.id, fileName: 'p.zip', zipBytes: zipOf([[`${c.idNumber}.jpg`, await facePhoto('ana')]]) });
    const tomorrow = new Date(Date.now() + 25 * 60 * 60 * 1000);
    expect((await appRefusal(() => commitPhotoPackage({ db: t.db, actorId: admin.id, importId: old.importId, now: tomorrow }))).key).toBe(
      'adminPhotos.importExpired',
    );
    // The next preview after that drops the stale staged photos.
    await previewPhotoPackage({ db: t.db, actorId: admin.id, fileName: 'p.zip', zipBytes: zipOf([[`${c.idNumber}.jpg`, await noFacePhoto()]]), now: tomorrow });
    expect(staged(old.importId)).toBe(0);
  });
});

describe('the package route', () => {
  it('streams one progress line per photo, then the preview; refusals arrive worded in the caller’s language', async () => {
    const admin = await makeStaff(t.db, 'admin');
    const c = await makeCandidate(t.db);
    const token = (await login({ db: t.db, kind: 'staff', identifier: admin.username!, password: PASSWORD })).token;
    const post = (body: Uint8Array, locale?: string) =>
      photoPackageUpload({
        req: new Request('http://localhost/api/admin/photo-packages?name=%E7%85%A7%E7%89%87.zip', {
          method: 'POST',
          headers: cookieHeaders({ token, locale }),
          body: body as BodyInit,
        }),
        db: t.db,
      });
    const res = await post(zipOf([[`${c.idNumber}.jpg`, await facePhoto('bea', { margin: 0.4 })]]));
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const lines = (await res.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toEqual({ type: 'progress', done: 1, total: 1 });
    expect(lines[1]).toMatchObject({ type: 'preview', preview: { fileName: '照片.zip', counts: { accepted: 1, rejected: 0 } } });

    const bad = (await (await post(Buffer.from('not a zip'), 'en')).text()).trim();
    expect(JSON.parse(bad)).toEqual({
      type: 'error',
      message: 'This file cannot be read; upload a ZIP archive',
      data: { appCode: 'adminPhotos.notZip', httpStatus: 400 },
    });
  });
});
