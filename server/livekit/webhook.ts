import { and, eq } from 'drizzle-orm';
import { TrackSource, WebhookReceiver, type WebhookEvent } from 'livekit-server-sdk';
import type { Db, DbOrTx } from '@/db/client';
import { events, examRooms, registrations, type TimelineEvent } from '@/db/schema';
import type { EventBus } from '../events/bus';
import { env } from '../env';
import { onFeedEvent, rulesFromEnv, type IncidentRules } from '../services/feed-incidents';
import { clientSummaryOf } from '../services/flags';
import { parseCandidateIdentity } from './tokens';

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
 * Verifies a LiveKit webhook on its raw body (the signature covers the exact bytes), stores
 * participant/track events of registered candidates as timeline events, emits them, then hands
 * each stored event to the feed service, which decides what it means (flags, incidents).
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
  /** Incident thresholds other than the environment's (tests). */
  rules?: Partial<IncidentRules>;
  /** The time the event is handled at (tests; the event's own time comes from LiveKit). */
  now?: Date;
}): Promise<WebhookResult> {
  const receiver = opts.receiver ?? new WebhookReceiver(env.LIVEKIT_API_KEY, env.LIVEKIT_API_SECRET);
  let event: WebhookEvent;
  try {
    if (!opts.authorization) return { status: 401 };
    event = await receiver.receive(opts.rawBody, opts.authorization);
  } catch {
    return { status: 401 };
  }
  const stored = storeWebhookEvent({ db: opts.db, event });
  if (!stored) return { status: 200 };
  opts.bus.emit(`room:${stored.roomId}`, stored);
  const rules = { ...rulesFromEnv(), ...opts.rules, ...(opts.autoFlagGraceMs != null ? { graceMs: opts.autoFlagGraceMs } : {}) };
  try {
    onFeedEvent({ db: opts.db, event: stored, now: opts.now, rules });
  } catch (err) {
    // Stored and announced, so LiveKit's retry would be a duplicate and change nothing. An
    // incident takes in the candidates it missed when it clears; a lone loss goes unflagged.
    console.error('feed decision failed', err);
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
