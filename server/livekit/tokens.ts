import { randomBytes } from 'node:crypto';
import { AccessToken, TrackSource, type VideoGrant } from 'livekit-server-sdk';
import { env, livekitUrl } from '../env';

export type Device = 'pc' | 'phone';

/**
 * One identity per device: the PC and the phone of a candidate are separate participants.
 * Every participant of a room (candidates included, though they subscribe to nobody) is told
 * the identity, name and attributes of the others, so candidate tokens carry no name and
 * nothing but the database id: no name, no ID number.
 */
export const candidateIdentity = (candidateId: number, device: Device) => `cand-${candidateId}-${device}`;

/** Parses what candidateIdentity produced; anything else (staff, strangers) gives null. */
export function parseCandidateIdentity(identity: string): { candidateId: number; device: Device } | null {
  const m = /^cand-(\d+)-(pc|phone)$/.exec(identity);
  return m ? { candidateId: Number(m[1]), device: m[2] as Device } : null;
}

export const livekitRoomName = (examId: number, roomId: number) => `exam-${examId}-room-${roomId}`;

export type MintedToken = { token: string; url: string; room: string; identity: string; expiresAt: number };

async function mint(opts: {
  room: string;
  identity: string;
  name?: string;
  grant: VideoGrant;
  attributes: Record<string, string>;
}): Promise<MintedToken> {
  const ttl = env.LIVEKIT_TOKEN_TTL_SECONDS;
  const at = new AccessToken(env.LIVEKIT_API_KEY, env.LIVEKIT_API_SECRET, {
    identity: opts.identity,
    name: opts.name,
    ttl,
    attributes: opts.attributes,
  });
  at.addGrant({ roomJoin: true, room: opts.room, ...opts.grant });
  return {
    token: await at.toJwt(),
    url: livekitUrl(),
    room: opts.room,
    identity: opts.identity,
    expiresAt: Date.now() + ttl * 1000,
  };
}

/** Candidate PC: publishes screen, camera and microphone; subscribes to nobody; sends no data. */
export function mintCandidatePcToken(opts: { room: string; candidateId: number }) {
  return mint({
    room: opts.room,
    identity: candidateIdentity(opts.candidateId, 'pc'),
    grant: {
      canPublish: true,
      canPublishSources: [TrackSource.CAMERA, TrackSource.MICROPHONE, TrackSource.SCREEN_SHARE],
      canSubscribe: false,
      canPublishData: false,
      canUpdateOwnMetadata: false,
    },
    attributes: { role: 'candidate', candidateId: String(opts.candidateId), device: 'pc' },
  });
}

/** Every watching connection of one staff member starts with this. */
export const staffIdentityPrefix = (userId: number) => `staff-${userId}-`;

/** Invigilator: hidden, watches only; commands to candidates go through the server instead. */
export function mintInvigilatorToken(opts: { room: string; userId: number; name: string }) {
  return mint({
    room: opts.room,
    // A suffix per page load, so two tabs of the same invigilator do not evict each other.
    identity: `${staffIdentityPrefix(opts.userId)}${randomBytes(3).toString('hex')}`,
    name: opts.name,
    grant: {
      canPublish: false,
      canSubscribe: true,
      canPublishData: false,
      canUpdateOwnMetadata: false,
      hidden: true,
    },
    attributes: { role: 'invigilator', userId: String(opts.userId) },
  });
}

/**
 * Candidate phone (the witness): publishes its camera only, subscribes to nobody, sends no data.
 * No microphone: the PC already records the room's sound, and a second open mic next to it
 * would only echo.
 */
export function mintCandidatePhoneToken(opts: { room: string; candidateId: number }) {
  return mint({
    room: opts.room,
    identity: candidateIdentity(opts.candidateId, 'phone'),
    grant: {
      canPublish: true,
      canPublishSources: [TrackSource.CAMERA],
      canSubscribe: false,
      canPublishData: false,
      canUpdateOwnMetadata: false,
    },
    attributes: { role: 'candidate', candidateId: String(opts.candidateId), device: 'phone' },
  });
}
