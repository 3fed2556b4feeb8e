import sharp from 'sharp';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { faceReferences } from '@/db/schema';
import { AppError } from '@/server/errors';
import { similarity } from '@/server/face/similarity';
import { photoResponse, photoUpload } from '@/server/http/photos';
import { serverTranslator } from '@/server/i18n/messages';
import { login } from '@/server/services/auth';
import {
  checkPhoto,
  hasReferences,
  PHOTO_MAX_BYTES,
  referenceOf,
  referencePhotoFor,
  removeReferencePhoto,
  setReferencePhoto,
} from '@/server/services/face-references';
import { assignInvigilator, createRoom, registerCandidate } from '@/server/services/setup';
import { cameraFrame, facePhoto, noFacePhoto, twoFacesPhoto } from '../fixtures/faces';
import { makeCandidate, makeChief, makeRoomScenario, makeStaff, PASSWORD } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { appRefusal, asCaller, auditRows, cookieHeaders } from '../helpers/unit-support';

const t = useTestDb();

/** One face of `size` px pasted small in a wide, plain frame: found, but too small to describe. */
async function smallFacePhoto() {
  const face = await facePhoto('ana', { margin: 0.3, size: 160 });
  return sharp({ create: { width: 800, height: 600, channels: 3, background: { r: 180, g: 176, b: 170 } } })
    .composite([{ input: face, left: 320, top: 220 }])
    .jpeg()
    .toBuffer();
}

describe('checkPhoto', () => {
  it('accepts an ID photo of one face and keeps an upright, metadata-free JPEG of at most 640 px with its descriptor', async () => {
    // A portrait photo stored sideways with an EXIF orientation, as phones save them.
    const upright = await sharp(await facePhoto('ana', { margin: 0.6, size: 900 }))
      .resize(600, 800, { fit: 'cover' })
      .toBuffer();
    const sideways = await sharp(upright).rotate(-90).withMetadata({ orientation: 6 }).jpeg().toBuffer();
    expect((await sharp(sideways).metadata()).width).toBe(800);
    const res = await checkPhoto(sideways);
    if (!res.ok) throw new Error(`refused: ${res.problem.key}`);
    const meta = await sharp(res.photo).metadata();
    expect(meta.format).toBe('jpeg');
    expect([meta.width, meta.height]).toEqual([480, 640]);
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(res.descriptor.length).toBeGreaterThan(100);
    // The stored photo is the same person, the right way up.
    const again = await checkPhoto(res.photo);
    if (!again.ok) throw new Error(`stored photo refused: ${again.problem.key}`);
    expect(similarity(res.descriptor, again.descriptor)).toBeGreaterThan(0.8);
  });

  it('names what is wrong: no face, several faces, a face too small, not an image, too many bytes or pixels', async () => {
    const problemOf = async (bytes: Uint8Array) => {
      const res = await checkPhoto(bytes);
      return res.ok ? 'ok' : res.problem;
    };
    expect(await problemOf(await noFacePhoto())).toEqual({ key: 'noFace' });
    expect(await problemOf(await twoFacesPhoto())).toEqual({ key: 'severalFaces', params: { count: 2 } });
    expect(await problemOf(await smallFacePhoto())).toMatchObject({ key: 'faceTooSmall', params: { min: 25 } });
    expect(await problemOf(await facePhoto('ana', { margin: 0.4, size: 100 }))).toMatchObject({ key: 'faceTooSmall' });
    expect(await problemOf(Buffer.from('Not a photo at all, just text saved as .jpg\n'))).toEqual({ key: 'badImage' });
    expect(await problemOf(Buffer.alloc(PHOTO_MAX_BYTES + 1))).toEqual({ key: 'tooLarge', params: { max: 5 } });
    // 30 megapixels of one colour: a few KB of PNG, refused before anything decodes it.
    const huge = await sharp({ create: { width: 6000, height: 5000, channels: 3, background: '#888' } })
      .png()
      .toBuffer();
    expect(await problemOf(huge)).toEqual({ key: 'tooManyPixels', params: { max: 25 } });
  });
});

describe('the candidate editor: setReferencePhoto and removeReferencePhoto', () => {
  it('an admin sets, replaces and removes a photo; each change is audited and the reference matches the person', async () => {
    const admin = await makeStaff(t.db, 'admin');
    const c = await makeCandidate(t.db);
    const first = await setReferencePhoto({ db: t.db, actorId: admin.id, candidateId: c.id, bytes: await facePhoto('bea', { margin: 0.4 }) });
    expect(first.replaced).toBe(false);
    const ref = referenceOf({ db: t.db, candidateId: c.id })!;
    expect(ref.photo.subarray(0, 2)).toEqual(Buffer.from([0xff, 0xd8]));
    const live = await checkPhoto(await cameraFrame('bea'));
    const other = await checkPhoto(await cameraFrame('dee'));
    if (!live.ok || !other.ok) throw new Error('fixture photos refused');
    expect(similarity(ref.descriptor, live.descriptor)).toBeGreaterThan(similarity(ref.descriptor, other.descriptor));

    const second = await setReferencePhoto({
      db: t.db,
      actorId: admin.id,
      candidateId: c.id,
      bytes: await facePhoto('bea', { margin: 0.5 }),
      examId: undefined,
    });
    expect(second.replaced).toBe(true);
    expect(t.db.select().from(faceReferences).all()).toHaveLength(1);
    expect(t.db.select().from(faceReferences).get()!.source).toBe('editor');

    expect(removeReferencePhoto({ db: t.db, actorId: admin.id, candidateId: c.id })).toEqual({ removed: true });
    expect(removeReferencePhoto({ db: t.db, actorId: admin.id, candidateId: c.id })).toEqual({ removed: false });
    expect(referenceOf({ db: t.db, candidateId: c.id })).toBeNull();
    expect(auditRows(t.db).map((r) => [r.action, r.candidateId, r.actorId])).toEqual([
      ['photo.set', c.id, admin.id],
      ['photo.set', c.id, admin.id],
      ['photo.removed', c.id, admin.id],
    ]);
  });

  it('a bad photo is refused with its reason in words, and nothing is stored; an unknown candidate is NOT_FOUND', async () => {
    const admin = await makeStaff(t.db, 'admin');
    const c = await makeCandidate(t.db);
    const err = await appRefusal(setReferencePhoto({ db: t.db, actorId: admin.id, candidateId: c.id, bytes: await twoFacesPhoto() }));
    expect([err.code, err.key, err.params]).toEqual(['BAD_REQUEST', 'adminPhotos.problems.severalFaces', { count: 2 }]);
    expect(serverTranslator('zh-CN')(`errors.${err.key}` as 'errors.internal', err.params)).toBe('照片中有 2 张人脸，只能有考生本人');
    expect(hasReferences({ db: t.db, candidateIds: [c.id] }).size).toBe(0);
    expect(auditRows(t.db)).toEqual([]);
    const missing = await appRefusal(setReferencePhoto({ db: t.db, actorId: admin.id, candidateId: admin.id, bytes: await facePhoto('ana') }));
    expect([missing.code, missing.key]).toEqual(['NOT_FOUND', 'admin.candidateNotFound']);
  });

  it('the upload route takes the image as the body, refuses an oversized body with the photo message, and only from an admin', async () => {
    const admin = await makeStaff(t.db, 'admin');
    const invigilator = await makeStaff(t.db, 'invigilator');
    const c = await makeCandidate(t.db);
    const token = async (username: string) => (await login({ db: t.db, kind: 'staff', identifier: username, password: PASSWORD })).token;
    const adminHeaders = cookieHeaders({ token: await token(admin.username!) });
    const put = (headers: Record<string, string>, body: Uint8Array) =>
      photoUpload({
        req: new Request(`http://localhost/api/admin/candidates/${c.id}/photo`, { method: 'PUT', headers, body: body as BodyInit }),
        db: t.db,
        id: String(c.id),
      });

    expect((await put(cookieHeaders({ token: await token(invigilator.username!) }), await facePhoto('ana'))).status).toBe(403);
    const tooBig = await put(adminHeaders, Buffer.alloc(PHOTO_MAX_BYTES + 10));
    expect(tooBig.status).toBe(400);
    expect(await tooBig.json()).toMatchObject({ message: '照片超过 5 MB', data: { appCode: 'adminPhotos.problems.tooLarge' } });
    const noFace = await put(adminHeaders, await noFacePhoto());
    expect([noFace.status, (await noFace.json()).message]).toEqual([400, '照片中没有检测到人脸']);
    // A page of another site cannot upload with the admin's cookies.
    expect((await put({ ...adminHeaders, origin: 'https://evil.example' }, await facePhoto('ana'))).status).toBe(403);
    const ok = await put(adminHeaders, await facePhoto('ana', { margin: 0.4 }));
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ replaced: false });
    expect(hasReferences({ db: t.db, candidateIds: [c.id, admin.id] })).toEqual(new Set([c.id]));
  });
});

describe('who may see a reference photo', () => {
  /**
   * Room A (its invigilator, candidate A with a photo), room B of the same exam (its invigilator,
   * candidate B), the exam's chief, a support agent, an admin.
   */
  async function world() {
    const s = await makeRoomScenario(t.db, { candidates: 1 });
    const candidate = s.candidates[0]!;
    const roomB = createRoom({ db: t.db, examId: s.exam.id, name: '第 2 考场' });
    const invigilatorB = await makeStaff(t.db, 'invigilator');
    assignInvigilator({ db: t.db, roomId: roomB.id, userId: invigilatorB.id });
    const candidateB = await makeCandidate(t.db);
    registerCandidate({ db: t.db, examId: s.exam.id, roomId: roomB.id, candidateId: candidateB.id, seat: 1 });
    const chief = await makeChief(t.db, s.exam.id);
    const support = await makeStaff(t.db, 'support');
    const admin = await makeStaff(t.db, 'admin');
    await setReferencePhoto({ db: t.db, actorId: admin.id, candidateId: candidate.id, bytes: await facePhoto('cai', { margin: 0.4 }) });
    return { ...s, candidate, candidateB, invigilatorB, chief, support, admin };
  }

  it('room staff, the chief, admins and support see it; the staff of other rooms and candidates never', async () => {
    const w = await world();
    const sees = (u: Parameters<typeof asCaller>[0]) => referencePhotoFor({ db: t.db, caller: asCaller(u), candidateId: w.candidate.id }) !== null;
    expect(sees(w.admin)).toBe(true);
    expect(sees(w.invigilator)).toBe(true);
    expect(sees(w.chief)).toBe(true);
    expect(sees(w.invigilatorB)).toBe(false);
    expect(sees(w.candidate)).toBe(false);
    expect(sees(w.candidateB)).toBe(false);
    // The 400 line answers for every candidate (the help desk, the identity check queue).
    expect(sees(w.support)).toBe(true);
    // An invigilator of room B sees room B's candidate once that one has a photo too.
    await setReferencePhoto({ db: t.db, actorId: w.admin.id, candidateId: w.candidateB.id, bytes: await facePhoto('dee', { margin: 0.4 }) });
    expect(referencePhotoFor({ db: t.db, caller: asCaller(w.invigilatorB), candidateId: w.candidateB.id })).not.toBeNull();
    expect(referencePhotoFor({ db: t.db, caller: asCaller(w.invigilator), candidateId: w.candidateB.id })).toBeNull();
  });

  it('the photo route answers 404 alike for "not yours" and "no photo", and serves the JPEG with the file security headers', async () => {
    const w = await world();
    const session = async (u: { idNumber: string | null; username: string | null; role: string }) =>
      (
        await login({
          db: t.db,
          kind: u.role === 'candidate' ? 'candidate' : 'staff',
          identifier: (u.role === 'candidate' ? u.idNumber : u.username)!,
          password: PASSWORD,
        })
      ).token;
    const get = async (token: string | undefined, candidateId: number) =>
      photoResponse({
        req: new Request(`http://localhost/api/face/references/${candidateId}`, { headers: cookieHeaders({ token }) }),
        db: t.db,
        id: String(candidateId),
      });

    expect((await get(undefined, w.candidate.id)).status).toBe(401);
    expect((await get(await session(w.candidate), w.candidate.id)).status).toBe(404);
    expect((await get(await session(w.candidateB), w.candidate.id)).status).toBe(404);
    expect((await get(await session(w.invigilatorB), w.candidate.id)).status).toBe(404);
    const invigilator = await session(w.invigilator);
    expect((await get(invigilator, w.candidateB.id)).status).toBe(404);
    const res = await get(invigilator, w.candidate.id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cache-control')).toBe('private, no-store');
    expect(Buffer.from(await res.arrayBuffer())).toEqual(t.db.select().from(faceReferences).where(eq(faceReferences.candidateId, w.candidate.id)).get()!.photo);
  });
});
