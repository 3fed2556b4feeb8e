import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLog, faceAttemptFrames, faceAttempts, faceReferences } from '@/db/schema';
import { blobToDescriptor, descriptorToBlob } from '@/server/face/descriptor';
import { FaceEngine } from '@/server/face/engine';
import { AppError } from '@/server/errors';
import { userFromSession } from '@/server/services/auth';
import {
  decideFaceLogin,
  decideIdentity,
  faceAttemptOutcome,
  faceLogin,
  faceLoginAvailability,
  identityQueue,
  identityQueueSize,
  loginBaseline,
} from '@/server/services/face-login';
import { cameraFrame, facePhoto, noFacePhoto, twoFacesPhoto, type FaceName } from '../fixtures/faces';
import { makeCandidate, makeRoomScenario, makeStaff } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { appRefusal, asStaff } from '../helpers/unit-support';

const fx = useTestDb();
// The real models, in a real worker: these tests are about what the server decides from real frames.
const engine = new FaceEngine({ detector: true, mesh: true, description: true, antispoof: false, liveness: false, object: false });
const references = new Map<FaceName, Buffer>();

beforeAll(async () => {
  for (const who of ['ana', 'dee'] as const) {
    const a = await engine.analyze(await facePhoto(who, { margin: 0.4, size: 400 }));
    references.set(who, descriptorToBlob(a.faces[0]!.descriptor!));
  }
}, 120_000);
afterAll(() => engine.close());

/** A candidate registered in a room (so that room's invigilator may check them), with `who`'s photo on file. */
async function candidateWithPhoto(who: FaceName | null = 'ana') {
  const s = await makeRoomScenario(fx.db);
  const cand = s.candidates[0]!;
  if (who)
    fx.db
      .insert(faceReferences)
      .values({ candidateId: cand.id, photo: Buffer.from([0xff, 0xd8, 0xff]), descriptor: references.get(who)!, source: 'editor' })
      .run();
  return { ...s, cand };
}

/** Three frames from a camera: the wall behind the face is noisy, so no two frames are the same bytes. */
const frames = async (who: FaceName | FaceName[], n = 3) => Promise.all(Array.from({ length: n }, () => cameraFrame(who)));

const login = async (cand: { name: string; idNumber: string | null }, shots: Buffer[], client = '10.0.0.1') =>
  faceLogin({ db: fx.db, name: cand.name, idNumber: cand.idNumber!, frames: shots, client, engine });

describe('face login', () => {
  it('the right person is let in: a session, and the attempt stored with its frames and the baseline descriptor', async () => {
    const { cand } = await candidateWithPhoto('ana');

    const res = await login(cand, await frames('ana'));

    expect(res.status).toBe('accepted');
    if (res.status !== 'accepted') return;
    expect(userFromSession({ db: fx.db, token: res.session.token })?.id).toBe(cand.id);
    const row = fx.db.select().from(faceAttempts).where(eq(faceAttempts.id, res.attemptId)).get()!;
    expect(row.status).toBe('accepted');
    expect(row.similarity).toBeGreaterThan(0.8);
    expect(fx.db.select().from(faceAttemptFrames).where(eq(faceAttemptFrames.attemptId, row.id)).all()).toHaveLength(3);
    expect(loginBaseline({ db: fx.db, candidateId: cand.id })).toHaveLength(1024);
  }, 60_000);

  it("another person's face does not get in: the attempt waits for a person, with no session", async () => {
    const { cand } = await candidateWithPhoto('ana');

    const res = await login(cand, await frames('dee'));

    expect(res).toMatchObject({ status: 'pending', reason: 'belowThreshold' });
    expect(res).not.toHaveProperty('session');
    const row = fx.db.select().from(faceAttempts).where(eq(faceAttempts.candidateId, cand.id)).get()!;
    expect(row.similarity).toBeLessThan(0.5);
  }, 60_000);

  it('a blank camera and two people are rejected outright, never queued', async () => {
    const { cand } = await candidateWithPhoto('ana');

    expect(await login(cand, [await noFacePhoto(), await noFacePhoto(), await noFacePhoto()])).toMatchObject({ status: 'rejected', reason: 'noFace' });
    expect(await login(cand, await frames(['ana', 'bea']))).toMatchObject({ status: 'rejected', reason: 'severalFaces' });
    expect(await login(cand, [await twoFacesPhoto(), ...(await frames('ana', 2))])).toMatchObject({ status: 'rejected', reason: 'severalFaces' });
    const support = asStaff(await makeStaff(fx.db, 'support'));
    expect(identityQueue({ db: fx.db, caller: support })).toEqual([]);
  }, 60_000);

  it('the same picture sent three times (a replayed photo) goes to a person even when it matches', async () => {
    const { cand } = await candidateWithPhoto('ana');
    const one = await cameraFrame('ana');

    expect(await login(cand, [one, one, one])).toMatchObject({ status: 'pending', reason: 'still' });
  }, 60_000);

  it('a wrong name for the ID number is refused like a wrong password, and counted', async () => {
    const { cand } = await candidateWithPhoto('ana');

    const err = await appRefusal(login({ ...cand, name: '别人' }, await frames('ana')));
    expect(err.key).toBe('face.notFound');
    expect(err.params.remaining).toBeTypeOf('number');
    const again = await appRefusal(() => faceLoginAvailability({ db: fx.db, name: '别人', idNumber: cand.idNumber!, client: '10.0.0.1' }));
    expect(again.params.remaining).toBe((err.params.remaining as number) - 1);
  }, 60_000);

  it('a candidate without a photo learns that face login is unavailable, and why', async () => {
    const { cand } = await candidateWithPhoto(null);

    expect(faceLoginAvailability({ db: fx.db, name: cand.name, idNumber: cand.idNumber!, client: '10.0.0.2' })).toEqual({
      available: false,
      reason: 'noReference',
    });
    expect((await appRefusal(login(cand, await frames('ana')))).key).toBe('face.noReference');
  }, 60_000);

  it('bad frames are refused before any work: too few, too many, not an image', async () => {
    const { cand } = await candidateWithPhoto('ana');

    expect((await appRefusal(login(cand, [await cameraFrame('ana')]))).key).toBe('face.frameCount');
    expect((await appRefusal(login(cand, await frames('ana', 4)))).key).toBe('face.frameCount');
    expect((await appRefusal(login(cand, [Buffer.from('not a jpeg'), Buffer.from('nor this')]))).key).toBe('face.badImage');
  }, 60_000);
});

describe('identity check queue', () => {
  it('support approves a waiting attempt: the waiting page collects one session, once; the decision is audited', async () => {
    const { cand } = await candidateWithPhoto('ana');
    const res = await login(cand, await frames('dee'));
    if (res.status !== 'pending') throw new Error('expected pending');
    const support = asStaff(await makeStaff(fx.db, 'support'));

    const queue = identityQueue({ db: fx.db, caller: support });
    expect(queue.map((q) => q.id)).toEqual([res.attemptId]);
    expect(queue[0]!.frames).toHaveLength(3);
    expect(faceAttemptOutcome({ db: fx.db, attemptId: res.attemptId, secret: res.secret })).toMatchObject({ status: 'pending', ahead: 0 });

    decideIdentity({ db: fx.db, caller: support, attemptId: res.attemptId, approve: true });

    expect((await appRefusal(() => faceAttemptOutcome({ db: fx.db, attemptId: res.attemptId, secret: 'x'.repeat(32) }))).key).toBe('face.attemptGone');
    const out = faceAttemptOutcome({ db: fx.db, attemptId: res.attemptId, secret: res.secret });
    expect(out.status).toBe('approved');
    if (out.status === 'approved') expect(userFromSession({ db: fx.db, token: out.session.token })?.id).toBe(cand.id);
    expect((await appRefusal(() => faceAttemptOutcome({ db: fx.db, attemptId: res.attemptId, secret: res.secret }))).key).toBe('face.attemptGone');
    expect((await appRefusal(() => decideIdentity({ db: fx.db, caller: support, attemptId: res.attemptId, approve: false }))).key).toBe('face.alreadyDecided');
    expect(fx.db.select().from(auditLog).where(eq(auditLog.action, 'identity.approved')).all()).toHaveLength(1);
  }, 60_000);

  it("an invigilator sees only their rooms' candidates", async () => {
    const mine = await candidateWithPhoto('ana');
    const other = await candidateWithPhoto('ana');
    const a = await login(mine.cand, await frames('dee'));
    const b = await login(other.cand, await frames('dee'));
    if (a.status !== 'pending' || b.status !== 'pending') throw new Error('expected pending');

    expect(identityQueue({ db: fx.db, caller: asStaff(mine.invigilator) }).map((q) => q.id)).toEqual([a.attemptId]);
    expect(identityQueueSize({ db: fx.db, caller: asStaff(mine.invigilator) })).toBe(1);
    expect(identityQueueSize({ db: fx.db, caller: asStaff(await makeStaff(fx.db, 'support')) })).toBe(2);
    expect((await appRefusal(() => decideIdentity({ db: fx.db, caller: asStaff(mine.invigilator), attemptId: b.attemptId, approve: true }))).key).toBe(
      'face.attemptNotFound',
    );
    expect(fx.db.select().from(faceAttempts).where(eq(faceAttempts.id, b.attemptId)).get()!.status).toBe('pending');
  }, 60_000);

  it('three refusals send the candidate to support; a newer attempt replaces a waiting one', async () => {
    const { cand } = await candidateWithPhoto('ana');
    const support = asStaff(await makeStaff(fx.db, 'support'));
    let last = null as Awaited<ReturnType<typeof login>> | null;
    for (let i = 0; i < 3; i++) {
      last = await login(cand, await frames('dee'), `10.0.1.${i}`);
      if (last.status !== 'pending') throw new Error('expected pending');
      decideIdentity({ db: fx.db, caller: support, attemptId: last.attemptId, approve: false, note: '不是本人' });
    }
    if (last?.status !== 'pending') throw new Error('expected pending');
    expect(faceAttemptOutcome({ db: fx.db, attemptId: last.attemptId, secret: last.secret })).toEqual({
      status: 'refused',
      note: '不是本人',
      refusals: 3,
      callSupport: true,
    });

    const first = await login(cand, await frames('dee'), '10.0.2.1');
    const second = await login(cand, await frames('dee'), '10.0.2.2');
    if (first.status !== 'pending' || second.status !== 'pending') throw new Error('expected pending');
    expect(identityQueue({ db: fx.db, caller: support }).map((q) => q.id)).toEqual([second.attemptId]);
    expect(fx.db.select().from(faceAttempts).where(eq(faceAttempts.id, first.attemptId)).get()).toMatchObject({ status: 'rejected', reason: 'superseded' });
  }, 120_000);
});

it('descriptors survive the round trip through the database', () => {
  const d = Float32Array.from({ length: 1024 }, (_, i) => Math.sin(i));
  expect(Array.from(blobToDescriptor(descriptorToBlob(d)))).toEqual(Array.from(d));
});

it('makeCandidate candidates have no photo until one is given', async () => {
  const c = await makeCandidate(fx.db);
  expect(fx.db.select().from(faceReferences).where(eq(faceReferences.candidateId, c.id)).get()).toBeUndefined();
});

describe('the decision on analysed frames (antispoof and liveness scores, when those models are on)', () => {
  const frame = (similarity: number, live = true) => ({ faces: 1, similarity, descriptor: new Float32Array(4), usable: true, problem: null, live });
  const hashes = ['a', 'b', 'c'];

  it('a matching face with a low liveness score goes to a person, never straight in', () => {
    expect(decideFaceLogin([frame(0.9), frame(0.9, false), frame(0.9)], hashes, 0.7)).toMatchObject({ status: 'pending', reason: 'liveness' });
    expect(decideFaceLogin([frame(0.9), frame(0.9), frame(0.9)], hashes, 0.7)).toMatchObject({ status: 'accepted', reason: null });
  });

  it('the second-best frame decides: one lucky frame does not let anyone in', () => {
    expect(decideFaceLogin([frame(0.95), frame(0.5), frame(0.4)], hashes, 0.7)).toMatchObject({ status: 'pending', reason: 'belowThreshold', similarity: 0.5 });
  });
});
