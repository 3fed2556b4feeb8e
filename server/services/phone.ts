import { createHash, randomBytes, randomInt } from 'node:crypto';
import { and, asc, desc, eq, gt, inArray, isNull } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { events, examRooms, phoneBindings, phoneDevices, type PhoneDevice, type TimelineEvent } from '@/db/schema';
import { AppError } from '../errors';
import { candidateIdentity, mintCandidatePhoneToken } from '../livekit/tokens';
import { endsAt, maskIdNumber, registrationRow } from './exams';
import { removeFromRoom, type RemoveParticipant } from '../livekit/room-service';
import { countBindAttempt, markBindAttemptSucceeded } from './phone-throttle';
import { foldEvents } from './tiles';
import { recordEvent } from './timeline';

const MIN = 60_000;
/** A QR code or bind code shown on the PC works once, for this long. */
export const BIND_TTL_MS = 5 * MIN;
/** Binding opens this long before the entry window, so the phone can be set up in advance. */
export const BIND_OPENS_BEFORE_ENTRY_MS = 12 * 60 * MIN;
/** A phone session outlives the exam by this much, so the witness recording can finish uploading. */
export const PHONE_SESSION_AFTER_END_MS = 24 * 60 * MIN;
export const PHONE_SESSION_COOKIE = 'phone_session';
/** Long enough that guessing a live code is hopeless (see phone-throttle.ts); still digits only, for the phone keypad. */
export const BIND_CODE_LENGTH = 10;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

type Ref = { db: DbOrTx; candidateId: number; examId: number };

/** The candidate's registration, refused when a phone cannot (or no longer) serve as its witness. */
function bindableRegistration(ref: Ref & { now: Date }) {
  const row = registrationRow(ref);
  if (!row) throw new AppError('NOT_FOUND', 'phone.notRegistered');
  if (row.reg.finishedAt || ref.now >= endsAt(row.exam, row.reg)) throw new AppError('PRECONDITION_FAILED', 'phone.examOver');
  if (ref.now.getTime() < row.exam.entryOpensAt.getTime() - BIND_OPENS_BEFORE_ENTRY_MS) {
    throw new AppError('PRECONDITION_FAILED', 'phone.tooEarly', { opensAt: new Date(row.exam.entryOpensAt.getTime() - BIND_OPENS_BEFORE_ENTRY_MS) });
  }
  return row;
}

/** A code nobody else can type into a live binding right now. */
function freshCode(db: DbOrTx, now: Date) {
  for (;;) {
    const code = String(randomInt(0, 10 ** BIND_CODE_LENGTH)).padStart(BIND_CODE_LENGTH, '0');
    const taken = db
      .select({ id: phoneBindings.id })
      .from(phoneBindings)
      .where(and(eq(phoneBindings.code, code), isNull(phoneBindings.usedAt), gt(phoneBindings.expiresAt, now)))
      .get();
    if (!taken) return code;
  }
}

/**
 * A new QR link token and bind code for the candidate's phone. Showing a new one ends the
 * previous unused one: only what is on the screen now can bind.
 */
export function createBinding({ db, candidateId, examId, now = new Date() }: Ref & { now?: Date }) {
  bindableRegistration({ db, candidateId, examId, now });
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(now.getTime() + BIND_TTL_MS);
  const code = db.transaction((tx) => {
    tx.update(phoneBindings)
      .set({ expiresAt: now })
      .where(and(eq(phoneBindings.candidateId, candidateId), eq(phoneBindings.examId, examId), isNull(phoneBindings.usedAt), gt(phoneBindings.expiresAt, now)))
      .run();
    const code = freshCode(tx, now);
    tx.insert(phoneBindings)
      .values({ candidateId, examId, tokenHash: sha256(token), code, expiresAt })
      .run();
    return code;
  });
  return { token, code, expiresAt, path: `/phone/bind?t=${encodeURIComponent(token)}` };
}

export type BindProof = { token: string } | { code: string };

/**
 * Binds the phone presenting a QR token or a bind code: the binding is used up, the candidate's
 * previous phone for this exam (if any) is revoked as 'rebound' and taken out of the LiveKit room,
 * and the new phone gets a device session (only its hash is stored). Codes are throttled per
 * client and per code prefix; wrong, expired and used codes are refused each with its own reason.
 */
export async function bindPhone({
  db,
  proof,
  client,
  userAgent,
  now = new Date(),
  removeParticipant = removeFromRoom,
}: {
  db: Db;
  proof: BindProof;
  /** The client's address, for the per-client cap on code guesses. */
  client: string;
  userAgent?: string;
  now?: Date;
  removeParticipant?: RemoveParticipant;
}) {
  const byCode = 'code' in proof;
  const attempts = byCode ? countBindAttempt({ db, client, code: proof.code, now }) : [];
  const binding = byCode
    ? db.select().from(phoneBindings).where(eq(phoneBindings.code, proof.code)).orderBy(desc(phoneBindings.id)).limit(1).get()
    : db
        .select()
        .from(phoneBindings)
        .where(eq(phoneBindings.tokenHash, sha256(proof.token)))
        .get();
  const kind = byCode ? 'code' : 'link';
  if (!binding) throw new AppError('NOT_FOUND', `phone.${kind}Unknown`);
  if (binding.usedAt) throw new AppError('CONFLICT', `phone.${kind}Used`);
  if (binding.expiresAt <= now) throw new AppError('PRECONDITION_FAILED', `phone.${kind}Expired`);
  const { room } = bindableRegistration({ db, candidateId: binding.candidateId, examId: binding.examId, now });

  const session = randomBytes(32).toString('base64url');
  const { device, revoked } = db.transaction((tx) => {
    // Only the first of two phones presenting the same binding at once gets it.
    const claimed = tx
      .update(phoneBindings)
      .set({ usedAt: now })
      .where(and(eq(phoneBindings.id, binding.id), isNull(phoneBindings.usedAt)))
      .returning({ id: phoneBindings.id })
      .get();
    if (!claimed) throw new AppError('CONFLICT', `phone.${kind}Used`);
    const revoked = tx
      .update(phoneDevices)
      .set({ revokedAt: now, revokeReason: 'rebound' })
      .where(and(eq(phoneDevices.candidateId, binding.candidateId), eq(phoneDevices.examId, binding.examId), isNull(phoneDevices.revokedAt)))
      .returning({ id: phoneDevices.id })
      .all();
    const device = tx
      .insert(phoneDevices)
      .values({
        candidateId: binding.candidateId,
        examId: binding.examId,
        bindingId: binding.id,
        sessionHash: sha256(session),
        userAgent: userAgent?.slice(0, 300) ?? null,
        boundAt: now,
        lastSeenAt: now,
      })
      .returning()
      .get();
    for (const r of revoked) {
      recordEvent({
        db: tx,
        roomId: room.id,
        candidateId: binding.candidateId,
        type: 'phone_revoked',
        device: 'phone',
        occurredAt: now,
        payload: { deviceId: r.id, reason: 'rebound' },
      });
    }
    recordEvent({
      db: tx,
      roomId: room.id,
      candidateId: binding.candidateId,
      type: 'phone_bound',
      device: 'phone',
      occurredAt: now,
      payload: { deviceId: device.id, via: kind },
    });
    return { device, revoked };
  });
  markBindAttemptSucceeded({ db, ids: attempts });
  // After the commit: the old phone shares the new one's identity, so it is removed before the
  // new phone can have joined (the new one still has to ask for its token).
  if (revoked.length) await removeParticipant(room.livekitRoom, candidateIdentity(binding.candidateId, 'phone'));
  return { session, deviceId: device.id, candidateId: device.candidateId, examId: device.examId, expiresAt: sessionExpiry(db, device) };
}

function sessionExpiry(db: DbOrTx, device: Pick<PhoneDevice, 'candidateId' | 'examId'>) {
  const row = registrationRow({ db, candidateId: device.candidateId, examId: device.examId });
  return row ? new Date(endsAt(row.exam, row.reg).getTime() + PHONE_SESSION_AFTER_END_MS) : new Date(0);
}

export type PhoneSession = { kind: 'none' } | { kind: 'revoked'; reason: string } | { kind: 'active'; device: PhoneDevice };

/** What a phone_session cookie stands for now. */
export function phoneSession(db: DbOrTx, cookieValue: string | undefined, now = new Date()): PhoneSession {
  if (!cookieValue) return { kind: 'none' };
  const device = db
    .select()
    .from(phoneDevices)
    .where(eq(phoneDevices.sessionHash, sha256(cookieValue)))
    .get();
  if (!device) return { kind: 'none' };
  if (device.revokedAt) return { kind: 'revoked', reason: device.revokeReason ?? 'revoked' };
  if (sessionExpiry(db, device) <= now) return { kind: 'none' };
  return { kind: 'active', device };
}

/**
 * The phone's identity for other endpoints (the witness recording upload): null when the cookie
 * is missing, unknown, revoked or past its exam.
 */
export function phoneDeviceFromCookie(db: DbOrTx, cookieValue: string | undefined, now = new Date()) {
  const s = phoneSession(db, cookieValue, now);
  return s.kind === 'active' ? { deviceId: s.device.id, candidateId: s.device.candidateId, examId: s.device.examId } : null;
}

type DeviceRef = { db: Db; device: PhoneDevice; now?: Date };

/** What the phone shows at the top: the exam and the candidate (ID number masked). */
export function phoneOverview({ db, device, now = new Date() }: DeviceRef) {
  const row = registrationRow({ db, candidateId: device.candidateId, examId: device.examId });
  if (!row) throw new AppError('NOT_FOUND', 'phone.notRegistered');
  return {
    deviceId: device.id,
    exam: { id: row.exam.id, title: row.exam.title, kind: row.exam.kind, startsAt: row.exam.startsAt, endsAt: endsAt(row.exam, row.reg) },
    room: { name: row.room.name, seat: row.reg.seat },
    candidate: { name: row.candidate.name, idNumber: maskIdNumber(row.candidate.idNumber ?? '') },
    finished: !!row.reg.finishedAt || now >= endsAt(row.exam, row.reg),
    boundAt: device.boundAt,
  };
}

/** A publish-only LiveKit token for the phone, while its exam is not over. */
export async function phoneLivekitToken({ db, device, now = new Date() }: DeviceRef) {
  const { room } = bindableRegistration({ db, candidateId: device.candidateId, examId: device.examId, now });
  return mintCandidatePhoneToken({ room: room.livekitRoom, candidateId: device.candidateId });
}

export type Battery = { level: number; charging: boolean };

/** Battery level as the timeline records it: tenths, plus "low" below 20 %. */
const batteryBucket = (b: Battery | null) => (b ? `${Math.floor(b.level * 10)}:${b.charging}:${b.level < 0.2}` : 'none');

/**
 * The phone's periodic report: it is alive, and its battery (where the browser tells). A change
 * worth showing (another tenth, plugged in or out) becomes a timeline event, which also updates
 * the invigilator's tile; the rest only updates the device row.
 */
export function phoneHeartbeat({ db, device, battery, now = new Date() }: DeviceRef & { battery: Battery | null }) {
  const before = device.batteryLevel == null ? null : { level: device.batteryLevel, charging: !!device.batteryCharging };
  db.transaction((tx) => {
    tx.update(phoneDevices)
      .set({ lastSeenAt: now, ...(battery ? { batteryLevel: battery.level, batteryCharging: battery.charging } : {}) })
      .where(eq(phoneDevices.id, device.id))
      .run();
    if (battery && batteryBucket(battery) !== batteryBucket(before)) {
      const room = registrationRow({ db: tx, candidateId: device.candidateId, examId: device.examId })?.room;
      if (room) {
        recordEvent({
          db: tx,
          roomId: room.id,
          candidateId: device.candidateId,
          type: 'phone_battery',
          device: 'phone',
          occurredAt: now,
          payload: { level: Math.round(battery.level * 100) / 100, charging: battery.charging },
        });
      }
    }
  });
  return { ok: true as const };
}

export type WitnessState = 'unbound' | 'bound' | 'live' | 'lost';

export type WitnessStatus = {
  state: WitnessState;
  batteryLevel: number | null;
  charging: boolean | null;
  boundAt: Date | null;
  lastSeenAt: Date | null;
};

const witnessBase = (d: PhoneDevice) => ({ batteryLevel: d.batteryLevel, charging: d.batteryCharging, boundAt: d.boundAt, lastSeenAt: d.lastSeenAt });

const UNBOUND: WitnessStatus = { state: 'unbound', batteryLevel: null, charging: null, boundAt: null, lastSeenAt: null };

const PHONE_STATUS_TYPES = ['participant_joined', 'participant_left', 'participant_connection_aborted', 'track_published', 'track_unpublished'];

/**
 * Witness status per candidate of one exam room: the active phone (bound, battery) and what
 * LiveKit said of the phone participant since that phone was bound (live with its camera, or
 * lost). One query each, so the invigilator's grid can ask for a whole room.
 */
export function witnessStatuses({ db, roomId, candidateIds }: { db: DbOrTx; roomId: number; candidateIds: number[] }) {
  const out = new Map<number, WitnessStatus>();
  if (!candidateIds.length) return out;
  const examId = db.select({ examId: examRooms.examId }).from(examRooms).where(eq(examRooms.id, roomId)).get()?.examId;
  if (examId == null) return out;
  const devices = db
    .select()
    .from(phoneDevices)
    .where(and(eq(phoneDevices.examId, examId), inArray(phoneDevices.candidateId, candidateIds), isNull(phoneDevices.revokedAt)))
    .all();
  if (!devices.length) return out;
  const phoneEvents = db
    .select()
    .from(events)
    .where(
      and(
        eq(events.roomId, roomId),
        inArray(
          events.candidateId,
          devices.map((d) => d.candidateId),
        ),
        eq(events.device, 'phone'),
        inArray(events.type, [...PHONE_STATUS_TYPES, 'phone_bound']),
      ),
    )
    .orderBy(asc(events.id))
    .all();
  for (const d of devices) {
    const mine = phoneEvents.filter((e) => e.candidateId === d.candidateId);
    // Only what happened since this phone was bound counts: the old phone leaving is not the new one lost.
    const boundAt = mine.findLastIndex((e) => e.type === 'phone_bound');
    out.set(d.candidateId, { ...witnessBase(d), state: witnessState(mine.slice(boundAt + 1)) });
  }
  return out;
}

/**
 * Bound: the phone has not (yet) published its camera; live: its camera is published; lost: it
 * had been live and is not now (left, reconnecting, camera stopped).
 */
function witnessState(afterBind: TimelineEvent[]): WitnessState {
  // The old phone has the same identity, and its leaving may be reported after the bind: count
  // only participants (by LiveKit's sid) that joined after it.
  const joined = new Set<unknown>();
  const since = afterBind.filter((e) => {
    const sid = e.payload?.participantSid;
    if (e.type === 'participant_joined') joined.add(sid);
    return joined.has(sid);
  });
  const fold = foldEvents(since);
  if (fold.status === 'live' && fold.tracks.includes('camera')) return 'live';
  const everLive = since.some((e) => e.type === 'track_published' && e.trackSource === 'camera');
  return everLive || fold.status === 'left' || fold.status === 'reconnecting' ? 'lost' : 'bound';
}

/** The candidate's own view of their witness phone for one exam (the PC panel). */
export function witnessStatusFor({ db, candidateId, examId }: Ref): WitnessStatus {
  const row = registrationRow({ db, candidateId, examId });
  if (!row) throw new AppError('NOT_FOUND', 'phone.notRegistered');
  return witnessStatuses({ db, roomId: row.room.id, candidateIds: [candidateId] }).get(candidateId) ?? UNBOUND;
}
