import { ConnectionQuality } from 'livekit-client';
import type { CandidateMedia } from './room-media';
import type { GridTile } from './use-room-tiles';

/**
 * How much a tile needs the invigilator: `urgent` (a feed is gone, the candidate left), `warn`
 * (a suggestion: open flags, poor network, not looked at for a while), `ok`, `idle` (never
 * joined) and `done` (finished: leaving is expected then).
 */
export type HealthLevel = 'urgent' | 'warn' | 'ok' | 'idle' | 'done';

export type HealthReason =
  | 'left'
  | 'reconnecting'
  | 'connection_lost'
  | 'screen_missing'
  | 'camera_missing'
  | 'mic_missing'
  | 'camera_stalled'
  | 'witness_missing'
  | 'poor_connection'
  | 'open_flags'
  | 'not_seen';

/** Reasons that make a tile urgent; the others only ask for a look. */
export const URGENT_REASONS: ReadonlySet<HealthReason> = new Set<HealthReason>([
  'left',
  'reconnecting',
  'connection_lost',
  'screen_missing',
  'camera_missing',
  'mic_missing',
  'camera_stalled',
]);

export const LEVEL_RANK: Record<HealthLevel, number> = { urgent: 0, warn: 1, ok: 2, idle: 3, done: 4 };

/** Publishing takes a few seconds after a join; a missing track is only a problem after that. */
const PUBLISH_GRACE_MS = 15_000;

export type Health = { level: HealthLevel; reasons: HealthReason[] };

export function tileHealth(tile: GridTile, media: CandidateMedia | null, { now, stalled, unseen }: { now: number; stalled: boolean; unseen: boolean }): Health {
  if (tile.phase === 'finished') return { level: 'done', reasons: [] };
  const reasons: HealthReason[] = [];
  const status = tile.pc.status;
  if (status === 'not_joined') return { level: 'idle', reasons };
  if (status === 'left') reasons.push('left');
  else if (status === 'reconnecting') reasons.push('reconnecting');
  else {
    if (media?.pc?.quality === ConnectionQuality.Lost) reasons.push('connection_lost');
    const settled = tile.pc.since == null || now - tile.pc.since > PUBLISH_GRACE_MS;
    const has = (s: 'screen_share' | 'camera' | 'microphone') => tile.pc.tracks.includes(s);
    if (settled) {
      if (!has('screen_share') || media?.screen?.muted) reasons.push('screen_missing');
      if (!has('camera') || media?.camera?.muted) reasons.push('camera_missing');
      if (!has('microphone') || media?.mic?.muted) reasons.push('mic_missing');
    }
    if (stalled && !reasons.includes('camera_missing')) reasons.push('camera_stalled');
  }
  const urgent = reasons.length > 0;
  // The phone is a second witness: its loss is worth a look, not an alarm.
  if (tile.phone.status === 'left' || tile.phone.status === 'reconnecting') reasons.push('witness_missing');
  if (media?.pc?.quality === ConnectionQuality.Poor) reasons.push('poor_connection');
  if ((tile.openFlags?.length ?? 0) > 0) reasons.push('open_flags');
  if (unseen) reasons.push('not_seen');
  return { level: urgent ? 'urgent' : reasons.length > 0 ? 'warn' : 'ok', reasons };
}
