import { jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { env } from '@/server/env';
import { candidateIdentity, livekitRoomName, mintCandidatePcToken, mintInvigilatorToken, parseCandidateIdentity } from '@/server/livekit/tokens';
import { makeRoomScenario } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { claimsOf } from '../helpers/unit-support';

const fx = useTestDb();

describe('candidate PC token', () => {
  it('lets a candidate join exactly their exam room and publish only camera, microphone and screen', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const cand = candidates[0]!;

    const minted = await mintCandidatePcToken({ room: room.livekitRoom, candidateId: cand.id });
    const claims = claimsOf(minted.token);

    expect(room.livekitRoom).toBe(livekitRoomName(room.examId, room.id));
    expect(minted.room).toBe(room.livekitRoom);
    expect(claims.video).toMatchObject({ roomJoin: true, room: room.livekitRoom, canPublish: true });
    const sources = claims.video!.canPublishSources as string[];
    expect(sources).toHaveLength(3);
    expect([...sources].sort()).toEqual(['camera', 'microphone', 'screen_share']);
  });

  it('does not let a candidate watch anybody, send data or rename themselves', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const cand = candidates[0]!;

    const { token } = await mintCandidatePcToken({ room: room.livekitRoom, candidateId: cand.id });
    const video = claimsOf(token).video!;

    expect(video.canSubscribe).toBe(false);
    expect(video.canPublishData).toBe(false);
    expect(video.canUpdateOwnMetadata).toBe(false);
    for (const power of ['roomAdmin', 'roomCreate', 'roomList', 'roomRecord', 'hidden']) {
      expect(video[power], power).toBeFalsy();
    }
  });

  it('names a candidate by an opaque PC identity only (no name, no id) and tags them with role and device', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const cand = candidates[0]!;

    const minted = await mintCandidatePcToken({ room: room.livekitRoom, candidateId: cand.id });
    const claims = claimsOf(minted.token);

    expect(minted.identity).toBe(candidateIdentity(cand.id, 'pc'));
    expect(claims.sub).toBe(candidateIdentity(cand.id, 'pc'));
    expect(claims.name).toBeFalsy();
    expect(claims.attributes).toEqual({ role: 'candidate', device: 'pc' });
    // Nothing another participant sees gives the candidate's database id or ID number away.
    expect(minted.identity).toMatch(/^cand-[A-Za-z0-9_-]{22}-pc$/);
    expect(parseCandidateIdentity(minted.identity)).toEqual({ candidateId: cand.id, device: 'pc' });
    expect(JSON.stringify(claims)).not.toContain(cand.idNumber!);
  });

  it('opaque identities: stable per candidate and device, distinct between candidates, parsed back only by the server', () => {
    const ids = [1, 2, 3, 10, 11, 99_999];
    const pcs = ids.map((id) => candidateIdentity(id, 'pc'));
    expect(new Set(pcs).size).toBe(ids.length);
    expect(candidateIdentity(2, 'pc')).toBe(candidateIdentity(2, 'pc'));
    for (const [i, id] of ids.entries()) {
      expect(parseCandidateIdentity(pcs[i]!)).toEqual({ candidateId: id, device: 'pc' });
      expect(parseCandidateIdentity(candidateIdentity(id, 'phone'))).toEqual({ candidateId: id, device: 'phone' });
    }
    // A tampered identity (one character changed) is nobody's.
    const forged = pcs[0]!.replace(/^cand-(.)/, (_m, c: string) => `cand-${c === 'A' ? 'B' : 'A'}`);
    expect(parseCandidateIdentity(forged)).toBeNull();
  });

  it('gives a candidate a short-lived token (at most ten minutes) signed with the server key', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const cand = candidates[0]!;

    const minted = await mintCandidatePcToken({ room: room.livekitRoom, candidateId: cand.id });
    const { payload } = await jwtVerify(minted.token, new TextEncoder().encode(env.LIVEKIT_API_SECRET), {
      issuer: env.LIVEKIT_API_KEY,
    });

    expect(payload.exp).toBeTypeOf('number');
    const start = payload.iat ?? payload.nbf;
    expect(start).toBeTypeOf('number');
    expect(payload.exp! - start!).toBeGreaterThan(0);
    expect(payload.exp! - start!).toBeLessThanOrEqual(600);
    // What the app tells the browser agrees with the token, to the second.
    expect(Math.abs(Math.floor(minted.expiresAt / 1000) - payload.exp!)).toBeLessThanOrEqual(1);
  });

  it('refuses a candidate token that was signed with another secret', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const { token } = await mintCandidatePcToken({ room: room.livekitRoom, candidateId: candidates[0]!.id });

    await expect(jwtVerify(token, new TextEncoder().encode('another-secret-another-secret-0123456789'))).rejects.toThrow();
  });
});

describe('invigilator token', () => {
  it('lets an invigilator watch one room, hidden, without publishing or sending data', async () => {
    const { room, invigilator } = await makeRoomScenario(fx.db);

    const minted = await mintInvigilatorToken({ room: room.livekitRoom, userId: invigilator.id, name: invigilator.name });
    const video = claimsOf(minted.token).video!;

    expect(video).toMatchObject({
      roomJoin: true,
      room: room.livekitRoom,
      canSubscribe: true,
      canPublish: false,
      canPublishData: false,
      canUpdateOwnMetadata: false,
      hidden: true,
    });
    expect(minted.room).toBe(room.livekitRoom);
    // One room only: no wildcard and no powers over other rooms.
    expect(video.room).not.toBe('');
    for (const power of ['roomAdmin', 'roomCreate', 'roomList', 'roomRecord', 'canPublishSources']) {
      expect(video[power], power).toBeFalsy();
    }
  });

  it('gives an invigilator a staff identity that never parses as a candidate and differs per page load', async () => {
    const { room, invigilator } = await makeRoomScenario(fx.db);

    const a = await mintInvigilatorToken({ room: room.livekitRoom, userId: invigilator.id, name: invigilator.name });
    const b = await mintInvigilatorToken({ room: room.livekitRoom, userId: invigilator.id, name: invigilator.name });
    const claims = claimsOf(a.token);

    expect(a.identity).toMatch(new RegExp(`^staff-${invigilator.id}-[0-9a-f]{6}$`));
    expect(claims.sub).toBe(a.identity);
    expect(a.identity).not.toBe(b.identity);
    expect(parseCandidateIdentity(a.identity)).toBeNull();
    expect(claims.attributes).toEqual({ role: 'invigilator', userId: String(invigilator.id) });
  });

  it('gives an invigilator a short-lived token (at most ten minutes)', async () => {
    const { room, invigilator } = await makeRoomScenario(fx.db);

    const { token } = await mintInvigilatorToken({ room: room.livekitRoom, userId: invigilator.id, name: invigilator.name });
    const claims = claimsOf(token);
    const start = claims.iat ?? claims.nbf;

    expect(claims.exp! - start!).toBeGreaterThan(0);
    expect(claims.exp! - start!).toBeLessThanOrEqual(600);
  });
});

describe('candidate identities', () => {
  it('round-trips a candidate identity for the PC and for the phone', async () => {
    const { candidates } = await makeRoomScenario(fx.db);
    const id = candidates[0]!.id;

    expect(parseCandidateIdentity(candidateIdentity(id, 'pc'))).toEqual({ candidateId: id, device: 'pc' });
    expect(parseCandidateIdentity(candidateIdentity(id, 'phone'))).toEqual({ candidateId: id, device: 'phone' });
  });

  it.each(['staff-1-abc', 'cand-x-pc', 'cand-1-tablet', 'cand--pc', 'xcand-1-pc', 'cand-1-pc ', 'cand-1-pc-extra', ''])(
    'does not take %j for a candidate',
    (identity) => {
      expect(parseCandidateIdentity(identity)).toBeNull();
    },
  );
});

describe('SFU addresses in a token', () => {
  it('gives one SFU URL with one node, as `url` and as the whole of `urls`', async () => {
    const minted = await mintCandidatePcToken({ room: livekitRoomName(1, 1), candidateId: 1 });
    expect(minted.urls).toEqual([`ws://127.0.0.1:${env.SFU_PORT}`]);
    expect(minted.url).toBe(minted.urls[0]);
  });
});
