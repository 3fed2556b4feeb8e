import { and, eq } from 'drizzle-orm';
import { TrackSource, WebhookReceiver, type WebhookEvent } from 'livekit-server-sdk';
import type { Db, DbOrTx } from '@/db/client';
import { events, examRooms, registrations, type TimelineEvent } from '@/db/schema';
import type { EventBus } from '../events/bus';
import { env } from '../env';
import { checkClient, clientSummaryOf, raiseAutoFlags } from '../services/flags';
import { parseCandidateIdentity } from './tokens';
import { roomTiles } from '../services/rooms';

const SOURCE_NAMES: Partial<Record<TrackSource, string>> = {
  [TrackSource.CAMERA]: 'camera',
  [TrackSource.MICROPHONE]: 'microphone',
  [TrackSource.SCREEN_SHARE]: 'screen_share',
  [TrackSource.SCREEN_SHARE_AUDIO]: 'screen_share_audio',
};

const PARTICIPANT_EVENTS = new Set(['participant_joined', 'participant_left', 'participant_connection_aborted', 'track_published', 'track_unpublished']);

/**
 * Events whose participant info says which client holds the feed (see `checkClient`). Only the
 * join: livekit-server (1.13) sends track events with the client's protocol and capabilities
 * unset, which would read as a foreign client on every page that publishes.
 */
const CLIENT_EVENTS = new Set(['participant_joined']);
/** LiveKit's `DisconnectReason.DUPLICATE_IDENTITY`: a newer session of the same identity pushed this one out. */
const DUPLICATE_IDENTITY = 2;

export type WebhookResult = { status: 200 | 401; stored?: TimelineEvent };

/**
 * LiveKit's view of a lost feed (a track unpublished, a participant gone) is also what a page
 * reload or a short network drop looks like. Those flags wait out a grace period and are raised
 * only if the feed is still missing then; the page's own integrity signals are not delayed.
 */
const SEEN_BY_LIVEKIT = new Set(['track_unpublished', 'participant_left']);

function raiseIfStillLost({ db, event }: { db: Db; event: TimelineEvent }) {
  if (event.candidateId == null) return;
  const tile = roomTiles({ db, roomId: event.roomId, candidateIds: [event.candidateId] })[0];
  if (!tile) return;
  const now = event.device === 'phone' ? tile.phone : tile.pc;
  const stillLost =
    event.type === 'participant_left'
      ? now.status === 'left'
      : // A participant who left altogether is flagged once, for leaving, not once per track.
        now.status !== 'left' && !now.tracks.includes(event.trackSource as (typeof now.tracks)[number]);
  if (stillLost) raiseAutoFlags({ db, event });
}

/**
 * Verifies a LiveKit webhook on its raw body (the signature covers the exact bytes), stores
 * participant/track events of registered candidates as timeline events together with the
 * automatic flag they raise, then emits them (the flag's event follows the cause).
 * Anything unsigned or tampered with is refused with 401 and changes nothing.
 */
export async function handleLivekitWebhook(opts: {
  db: Db;
  bus: EventBus;
  rawBody: string;
  authorization: string | null;
  receiver?: WebhookReceiver;
  /** How long a LiveKit-seen loss must last before it is flagged (default from env). */
  autoFlagGraceMs?: number;
}): Promise<WebhookResult> {
  const receiver = opts.receiver ?? new WebhookReceiver(env.LIVEKIT_API_KEY, env.LIVEKIT_API_SECRET);
  let event: WebhookEvent;
  try {
    if (!opts.authorization) return { status: 401 };
    event = await receiver.receive(opts.rawBody, opts.authorization);
  } catch {
    return { status: 401 };
  }
  const db = opts.db;
  const grace = opts.autoFlagGraceMs ?? env.AUTO_FLAG_GRACE_SECONDS * 1000;
  const deferred = (row: TimelineEvent) => grace > 0 && SEEN_BY_LIVEKIT.has(row.type);
  const stored = db.transaction((tx) => {
    const row = storeWebhookEvent({ db: tx, event });
    if (row && !deferred(row)) raiseAutoFlags({ db: tx, event: row });
    if (row) checkClient({ db: tx, event: row });
    return row;
  });
  if (stored) opts.bus.emit(`room:${stored.roomId}`, stored);
  if (stored && deferred(stored)) {
    setTimeout(() => {
      try {
        raiseIfStillLost({ db, event: stored });
      } catch (err) {
        console.error('deferred auto flag failed', err);
      }
    }, grace).unref();
  }
  return { status: 200, stored };
}

function storeWebhookEvent({ db, event }: { db: DbOrTx; event: WebhookEvent }) {
  if (!PARTICIPANT_EVENTS.has(event.event) || !event.room || !event.participant) return undefined;
  const who = parseCandidateIdentity(event.participant.identity);
  if (!who) return undefined; // staff and unknown participants are not on any candidate's timeline
  const room = db.select().from(examRooms).where(eq(examRooms.livekitRoom, event.room.name)).get();
  if (!room) return undefined;
  const registered = db
    .select({ id: registrations.id })
    .from(registrations)
    .where(and(eq(registrations.roomId, room.id), eq(registrations.candidateId, who.candidateId)))
    .get();
  if (!registered) return undefined;

  const createdAtSec = Number(event.createdAt ?? 0n);
  return (
    db
      .insert(events)
      .values({
        roomId: room.id,
        candidateId: who.candidateId,
        type: event.event,
        device: who.device,
        trackSource: event.track ? (SOURCE_NAMES[event.track.source] ?? null) : null,
        externalId: event.id || null,
        payload: {
          participantSid: event.participant.sid,
          ...(event.track ? { trackSid: event.track.sid, trackName: event.track.name } : {}),
          ...(CLIENT_EVENTS.has(event.event) ? { client: clientSummaryOf(event.participant) } : {}),
          ...(event.participant.disconnectReason === DUPLICATE_IDENTITY ? { disconnectReason: 'DUPLICATE_IDENTITY' } : {}),
        },
        occurredAt: createdAtSec > 0 ? new Date(createdAtSec * 1000) : new Date(),
      })
      // LiveKit retries deliveries; the event id makes the retry a no-op.
      .onConflictDoNothing({ target: events.externalId })
      .returning()
      .get()
  );
}
