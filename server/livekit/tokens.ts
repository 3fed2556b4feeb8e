import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { AccessToken, TrackSource, type VideoGrant } from 'livekit-server-sdk';
import { env } from '../env';
import { placeRoom } from './placement';

export type Device = 'pc' | 'phone';

/**
 * One identity per device: the PC and the phone of a candidate are separate participants.
 * Every participant of a room (candidates included, though they subscribe to nobody) is told
 * the identity, name and attributes of the others, so a candidate's identity is opaque: the
 * database id sealed with a key derived from the LiveKit secret (one AES block, deterministic, so
 * the same candidate is the same participant on every reconnect). Tokens carry no name and the
 * attributes no id; the invigilator's grid learns which identity is whose from the server's tiles.
 */
const identityKey = () => createHash('sha256').update(`candidate-identity:${env.LIVEKIT_API_SECRET}`).digest();
const MAGIC = 0x63616e64; // "cand"

function seal(candidateId: number) {
  const block = Buffer.alloc(16);
  block.writeUInt32BE(MAGIC, 0);
  block.writeBigUInt64BE(BigInt(candidateId), 4);
  const c = createCipheriv('aes-256-ecb', identityKey(), null).setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]).toString('base64url');
}

function unseal(token: string): number | null {
  if (!/^[A-Za-z0-9_-]{22}$/.test(token)) return null;
  const d = createDecipheriv('aes-256-ecb', identityKey(), null).setAutoPadding(false);
  const block = Buffer.concat([d.update(Buffer.from(token, 'base64url')), d.final()]);
  if (block.length !== 16 || block.readUInt32BE(0) !== MAGIC || block.readUInt32BE(12) !== 0) return null;
  const id = block.readBigUInt64BE(4);
  return id > 0n && id <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(id) : null;
}

export const candidateIdentity = (candidateId: number, device: Device) => `cand-${seal(candidateId)}-${device}`;

/** Parses what candidateIdentity produced; anything else (staff, strangers, forgeries) gives null. */
export function parseCandidateIdentity(identity: string): { candidateId: number; device: Device } | null {
  const m = /^cand-([A-Za-z0-9_-]{22})-(pc|phone)$/.exec(identity);
  const candidateId = m ? unseal(m[1]!) : null;
  return candidateId != null ? { candidateId, device: m![2] as Device } : null;
}

export const livekitRoomName = (examId: number, roomId: number) => `exam-${examId}-room-${roomId}`;

export type MintedToken = {
  token: string;
  /** The first of `urls`, for clients that take one. */
  url: string;
  /**
   * Every SFU node to try, in order: the node hosting the room first (with several nodes the room
   * is placed on a live one before the token is made), then the others, so a client whose node
   * is gone can join through another one.
   */
  urls: string[];
  room: string;
  identity: string;
  expiresAt: number;
  /** How long the token is valid from when it was made: the client's own clock may be off. */
  ttlMs: number;
};

async function mint(opts: { room: string; identity: string; name?: string; grant: VideoGrant; attributes: Record<string, string> }): Promise<MintedToken> {
  const ttl = env.LIVEKIT_TOKEN_TTL_SECONDS;
  const at = new AccessToken(env.LIVEKIT_API_KEY, env.LIVEKIT_API_SECRET, {
    identity: opts.identity,
    name: opts.name,
    ttl,
    attributes: opts.attributes,
  });
  at.addGrant({ roomJoin: true, room: opts.room, ...opts.grant });
  const [token, { urls }] = await Promise.all([at.toJwt(), placeRoom(opts.room)]);
  return {
    token,
    url: urls[0]!,
    urls,
    room: opts.room,
    identity: opts.identity,
    expiresAt: Date.now() + ttl * 1000,
    ttlMs: ttl * 1000,
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
    attributes: { role: 'candidate', device: 'pc' },
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
    attributes: { role: 'candidate', device: 'phone' },
  });
}
