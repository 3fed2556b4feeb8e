import { candidateIdentity } from '@/server/livekit/tokens';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { phoneDevices } from '@/db/schema';
import { AppError } from '@/server/errors';
import { getBus } from '@/server/events/bus';
import { handleLivekitWebhook } from '@/server/livekit/webhook';
import {
  BIND_TTL_MS,
  bindPhone,
  createBinding,
  phoneDeviceFromCookie,
  phoneHeartbeat,
  phoneLivekitToken,
  phoneSession,
  witnessStatusFor,
  type BindProof,
} from '@/server/services/phone';
import { clientAddress } from '@/server/auth/client-address';
import { BIND_THROTTLE } from '@/server/services/phone-throttle';
import { roomTiles } from '@/server/services/rooms';
import { makeRoomScenario } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, claimsOf, makeContext, signWebhook, timelineOf, trpcRefusal, webhookBody } from '../helpers/unit-support';

const fx = useTestDb();

type Removal = { room: string; identity: string };

/** Binds as a phone would, recording what the server asked LiveKit to remove. */
function bindAs(proof: BindProof, opts: { client?: string; now?: Date; removals?: Removal[] } = {}) {
  return bindPhone({
    db: fx.db,
    proof,
    client: opts.client ?? '192.0.2.10',
    userAgent: 'Mozilla/5.0 (Linux; Android 14; Pixel 7)',
    now: opts.now,
    removeParticipant: async (room, identity) => {
      opts.removals?.push({ room, identity });
    },
  });
}

async function refusal(p: Promise<unknown>): Promise<AppError> {
  const err = await p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  );
  if (!(err instanceof AppError)) throw err;
  return err;
}

const otherCode = (code: string) => String((Number(code) + 1) % 10_000_000_000).padStart(10, '0');

describe('phone binding', () => {
  it('gives the candidate a single-use QR link and 6-digit code that bind their phone to their exam', async () => {
    const { exam, candidates } = await makeRoomScenario(fx.db);
    const cand = candidates[0]!;

    const binding = createBinding({ db: fx.db, candidateId: cand.id, examId: exam.id });
    expect(binding.code).toMatch(/^\d{10}$/);
    expect(binding.path).toBe(`/phone/bind?t=${binding.token}`);
    expect(binding.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(BIND_TTL_MS);

    const bound = await bindAs({ token: binding.token });
    expect(phoneDeviceFromCookie(fx.db, bound.session)).toEqual({ deviceId: bound.deviceId, candidateId: cand.id, examId: exam.id });
    expect(timelineOf(fx.db, cand.id, 'phone_bound')).toHaveLength(1);

    // The same binding, by link or by code, does not bind a second phone.
    expect((await refusal(bindAs({ token: binding.token }))).key).toBe('phone.linkUsed');
    expect((await refusal(bindAs({ code: binding.code }))).key).toBe('phone.codeUsed');
    expect(fx.db.select().from(phoneDevices).all()).toHaveLength(1);
  });

  it('binds by the code typed on the phone, and refuses a wrong code as wrong', async () => {
    const { exam, candidates } = await makeRoomScenario(fx.db);
    const binding = createBinding({ db: fx.db, candidateId: candidates[0]!.id, examId: exam.id });

    expect((await refusal(bindAs({ code: otherCode(binding.code) }))).key).toBe('phone.codeUnknown');
    const bound = await bindAs({ code: binding.code });
    expect(phoneDeviceFromCookie(fx.db, bound.session)?.candidateId).toBe(candidates[0]!.id);
  });

  it('refuses a link or code once its five minutes are over', async () => {
    const { exam, candidates } = await makeRoomScenario(fx.db);
    const now = new Date();
    const binding = createBinding({ db: fx.db, candidateId: candidates[0]!.id, examId: exam.id, now });
    const late = new Date(now.getTime() + BIND_TTL_MS);

    expect((await refusal(bindAs({ token: binding.token }, { now: late }))).key).toBe('phone.linkExpired');
    expect((await refusal(bindAs({ code: binding.code }, { now: late }))).key).toBe('phone.codeExpired');
    // A millisecond before the end it still works.
    await bindAs({ code: binding.code }, { now: new Date(late.getTime() - 1) });
  });

  it('ends the previous unused code when the candidate shows a new one', async () => {
    const { exam, candidates } = await makeRoomScenario(fx.db);
    const first = createBinding({ db: fx.db, candidateId: candidates[0]!.id, examId: exam.id });
    const second = createBinding({ db: fx.db, candidateId: candidates[0]!.id, examId: exam.id });

    expect((await refusal(bindAs({ token: first.token }))).key).toBe('phone.linkExpired');
    await bindAs({ token: second.token });
  });

  it('revokes the previous phone when a new one is bound, records why, and takes it out of the LiveKit room', async () => {
    const { exam, room, candidates } = await makeRoomScenario(fx.db);
    const cand = candidates[0]!;
    const removals: Removal[] = [];

    const first = await bindAs({ token: createBinding({ db: fx.db, candidateId: cand.id, examId: exam.id }).token }, { removals });
    expect(removals).toEqual([]);
    const second = await bindAs({ code: createBinding({ db: fx.db, candidateId: cand.id, examId: exam.id }).code }, { removals });

    expect(phoneSession(fx.db, first.session)).toEqual({ kind: 'revoked', reason: 'rebound' });
    expect(phoneDeviceFromCookie(fx.db, first.session)).toBeNull();
    expect(phoneDeviceFromCookie(fx.db, second.session)?.deviceId).toBe(second.deviceId);
    expect(removals).toEqual([{ room: room.livekitRoom, identity: candidateIdentity(cand.id, 'phone') }]);
    const revokedEvents = timelineOf(fx.db, cand.id, 'phone_revoked');
    expect(revokedEvents).toHaveLength(1);
    expect(revokedEvents[0]!.payload).toEqual({ deviceId: first.deviceId, reason: 'rebound' });
    const old = fx.db.select().from(phoneDevices).where(eq(phoneDevices.id, first.deviceId)).get()!;
    expect(old.revokeReason).toBe('rebound');
    expect(old.revokedAt).not.toBeNull();
  });

  it('does not let a candidate bind a phone for an exam they are not registered for, or one that is over', async () => {
    const mine = await makeRoomScenario(fx.db);
    const theirs = await makeRoomScenario(fx.db);
    const cand = mine.candidates[0]!;

    expect((await refusal(Promise.resolve().then(() => createBinding({ db: fx.db, candidateId: cand.id, examId: theirs.exam.id })))).key).toBe(
      'phone.notRegistered',
    );

    const ctx = makeContext(fx.db, cand);
    const err = await trpcRefusal(callerFor(ctx).phone.status({ examId: theirs.exam.id }));
    expect(err.code).toBe('NOT_FOUND');
    // Staff are not candidates: the binding endpoint is not theirs.
    expect((await trpcRefusal(callerFor(makeContext(fx.db, mine.invigilator)).phone.createBinding({ examId: mine.exam.id }))).code).toBe('FORBIDDEN');

    const afterEnd = new Date(mine.exam.startsAt.getTime() + (mine.exam.durationMinutes + 1) * 60_000);
    expect((await refusal(Promise.resolve().then(() => createBinding({ db: fx.db, candidateId: cand.id, examId: mine.exam.id, now: afterEnd })))).key).toBe(
      'phone.examOver',
    );
  });
});

describe('bind code throttle', () => {
  it('locks one client out after too many wrong codes, even for the right code, while other clients still bind', async () => {
    const { exam, candidates } = await makeRoomScenario(fx.db, { candidates: 2 });
    const target = createBinding({ db: fx.db, candidateId: candidates[0]!.id, examId: exam.id });
    for (let i = 0; i < BIND_THROTTLE.perClient; i++) {
      const guess = String((Number(target.code) + 1000 * (i + 1)) % 10_000_000_000).padStart(10, '0');
      expect((await refusal(bindAs({ code: guess }, { client: '198.51.100.7' }))).key).toBe('phone.codeUnknown');
    }
    const locked = await refusal(bindAs({ code: target.code }, { client: '198.51.100.7' }));
    expect(locked.key).toBe('phone.throttled');
    expect(locked.code).toBe('TOO_MANY_REQUESTS');

    await bindAs({ code: target.code }, { client: '198.51.100.8' });
  });

  it('wrong codes from many clients, all near the live code, do not lock its candidate out', async () => {
    // The old per-prefix cap let anyone lock every code sharing the first digits.
    const { exam, candidates } = await makeRoomScenario(fx.db);
    const target = createBinding({ db: fx.db, candidateId: candidates[0]!.id, examId: exam.id });
    for (let i = 0; i < 3 * BIND_THROTTLE.perClient; i++) {
      const guess = String((Number(target.code) + 1 + i) % 10_000_000_000).padStart(10, '0');
      expect((await refusal(bindAs({ code: guess }, { client: `203.0.113.${i}` }))).key).toBe('phone.codeUnknown');
    }
    await bindAs({ code: target.code }, { client: '203.0.113.200' });
  });

  it('counts an IPv6 guesser by its /64, so hopping addresses inside it buys no fresh tries', async () => {
    const { exam, candidates } = await makeRoomScenario(fx.db);
    const target = createBinding({ db: fx.db, candidateId: candidates[0]!.id, examId: exam.id });
    const client = (i: number) => clientAddress(new Headers({ 'x-forwarded-for': `2001:db8:1:2::${(i + 1).toString(16)}` }), []);
    for (let i = 0; i < BIND_THROTTLE.perClient; i++) {
      await refusal(bindAs({ code: otherCode(target.code) }, { client: client(i) }));
    }
    expect((await refusal(bindAs({ code: target.code }, { client: client(99) }))).key).toBe('phone.throttled');
  });
});

describe('phone token', () => {
  it('lets the phone publish its camera only, as cand-<id>-phone, and watch nobody', async () => {
    const { exam, room, candidates } = await makeRoomScenario(fx.db);
    const cand = candidates[0]!;
    const bound = await bindAs({ token: createBinding({ db: fx.db, candidateId: cand.id, examId: exam.id }).token });
    const session = phoneSession(fx.db, bound.session);
    if (session.kind !== 'active') throw new Error('expected an active session');

    const minted = await phoneLivekitToken({ db: fx.db, device: session.device });
    const claims = claimsOf(minted.token);
    expect(minted.identity).toBe(candidateIdentity(cand.id, 'phone'));
    expect(claims.sub).toBe(candidateIdentity(cand.id, 'phone'));
    expect(claims.attributes).toEqual({ role: 'candidate', device: 'phone' });
    expect(claims.video).toMatchObject({ roomJoin: true, room: room.livekitRoom, canPublish: true, canSubscribe: false, canPublishData: false });
    expect(claims.video!.canPublishSources).toEqual(['camera']);
    for (const power of ['roomAdmin', 'roomCreate', 'roomList', 'roomRecord', 'hidden']) expect(claims.video![power], power).toBeFalsy();
    expect(claims.exp! - (claims.iat ?? claims.nbf!)).toBeLessThanOrEqual(600);
  });
});

describe('witness status', () => {
  async function webhook(room: string, identity: string, event: string, extra: { sid?: string; track?: { source: string } } = {}) {
    const raw = JSON.parse(webhookBody({ event, room, identity, track: extra.track })) as { participant: { sid: string } };
    if (extra.sid) raw.participant.sid = extra.sid;
    const body = JSON.stringify(raw);
    await handleLivekitWebhook({ db: fx.db, bus: getBus(), rawBody: body, authorization: await signWebhook(body), autoFlagGraceMs: 0 });
  }

  it('goes bound, live, lost for the PC panel and the tile, ignoring the old phone leaving after a rebind', async () => {
    const { exam, room, candidates } = await makeRoomScenario(fx.db);
    const cand = candidates[0]!;
    const identity = candidateIdentity(cand.id, 'phone');
    const status = () => witnessStatusFor({ db: fx.db, candidateId: cand.id, examId: exam.id }).state;
    expect(status()).toBe('unbound');

    await bindAs({ token: createBinding({ db: fx.db, candidateId: cand.id, examId: exam.id }).token });
    expect(status()).toBe('bound');
    await webhook(room.livekitRoom, identity, 'participant_joined', { sid: 'PA_old' });
    await webhook(room.livekitRoom, identity, 'track_published', { sid: 'PA_old', track: { source: 'CAMERA' } });
    expect(status()).toBe('live');

    await bindAs({ code: createBinding({ db: fx.db, candidateId: cand.id, examId: exam.id }).code });
    expect(status()).toBe('bound');
    await webhook(room.livekitRoom, identity, 'participant_joined', { sid: 'PA_new' });
    await webhook(room.livekitRoom, identity, 'track_published', { sid: 'PA_new', track: { source: 'CAMERA' } });
    // The removed old phone's departure arrives late: it is not the new phone's.
    await webhook(room.livekitRoom, identity, 'participant_left', { sid: 'PA_old' });
    expect(status()).toBe('live');
    expect(roomTiles({ db: fx.db, roomId: room.id })[0]!.witness?.state).toBe('live');

    await webhook(room.livekitRoom, identity, 'participant_left', { sid: 'PA_new' });
    expect(status()).toBe('lost');
  });

  it('stores the battery on every report but puts only changes worth showing on the timeline', async () => {
    const { exam, room, candidates } = await makeRoomScenario(fx.db);
    const cand = candidates[0]!;
    const bound = await bindAs({ token: createBinding({ db: fx.db, candidateId: cand.id, examId: exam.id }).token });
    const device = () => fx.db.select().from(phoneDevices).where(eq(phoneDevices.id, bound.deviceId)).get()!;

    phoneHeartbeat({ db: fx.db, device: device(), battery: { level: 0.83, charging: false } });
    phoneHeartbeat({ db: fx.db, device: device(), battery: { level: 0.81, charging: false } });
    phoneHeartbeat({ db: fx.db, device: device(), battery: { level: 0.81, charging: true } });
    phoneHeartbeat({ db: fx.db, device: device(), battery: null });

    const battery = timelineOf(fx.db, cand.id, 'phone_battery').map((e) => e.payload);
    expect(battery).toEqual([
      { level: 0.83, charging: false },
      { level: 0.81, charging: true },
    ]);
    expect(device().batteryLevel).toBe(0.81);
    expect(roomTiles({ db: fx.db, roomId: room.id })[0]!.witness).toMatchObject({ state: 'bound', batteryLevel: 0.81, charging: true });
  });
});
