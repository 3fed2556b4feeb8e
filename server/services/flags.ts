import { and, desc, eq, isNotNull, isNull, lt } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { events, flags, registrations, type Flag, type FlagType, type TimelineEvent } from '@/db/schema';
import { FACE_START_SIGNALS } from '../face/signals';
import { recordEvent } from './timeline';

const INTEGRITY_FLAGS = new Map<string, FlagType>([
  ['integrity.screen_share_stopped', 'screen_share_stopped'],
  ['integrity.camera_lost', 'camera_lost'],
  ['integrity.microphone_lost', 'microphone_lost'],
  ['integrity.page_hidden', 'tab_hidden'],
  ['integrity.window_blurred', 'tab_hidden'],
  ['integrity.fullscreen_left', 'fullscreen_left'],
  ['integrity.extended_display', 'extended_display'],
  // A face condition's start raises the flag of its own name; its end raises nothing, like a camera restored.
  ...FACE_START_SIGNALS.map((s): [string, FlagType] => [`integrity.${s}`, s]),
]);

const LOST_TRACK_FLAGS = new Map<string, FlagType>([
  ['screen_share', 'screen_share_stopped'],
  ['camera', 'camera_lost'],
  ['microphone', 'microphone_lost'],
]);

/** The flag an event suggests, if any: integrity signals from the page and LiveKit's own view. */
export function autoFlagTypeOf(event: Pick<TimelineEvent, 'type' | 'device' | 'trackSource'> & { payload?: TimelineEvent['payload'] }): FlagType | null {
  const integrity = INTEGRITY_FLAGS.get(event.type);
  if (integrity) return integrity;
  const phone = event.device === 'phone';
  if (event.type === 'track_unpublished') {
    if (phone) return event.trackSource === 'camera' ? 'witness_missing' : null;
    return LOST_TRACK_FLAGS.get(event.trackSource ?? '') ?? null;
  }
  if (event.type === 'participant_left') {
    // Pushed out by a newer session of the same identity: nothing is missing, the feed changed
    // hands; `checkClient` flags that instead.
    if (event.payload?.disconnectReason === 'DUPLICATE_IDENTITY') return null;
    return phone ? 'witness_missing' : 'left_room';
  }
  return null;
}

/**
 * Raises the automatic flag a stored event suggests. Only while the candidate is sitting the
 * exam (entered, not finished): tracks stopping before entry or as the page closes after a
 * submit are not incidents. No second flag of a type while one is open (the partial unique
 * index holds that even across processes). The flag is announced as a `flag_raised` event.
 */
export function raiseAutoFlags({ db, event }: { db: DbOrTx; event: TimelineEvent }): Flag | null {
  const type = autoFlagTypeOf(event);
  return type ? raiseWhileSitting({ db, event, type }) : null;
}

function raiseWhileSitting({ db, event, type, detail }: { db: DbOrTx; event: TimelineEvent; type: FlagType; detail?: Record<string, unknown> }): Flag | null {
  const candidateId = event.candidateId;
  if (candidateId == null) return null;
  return db.transaction((tx) => {
    const sitting = tx
      .select({ id: registrations.id })
      .from(registrations)
      .where(
        and(
          eq(registrations.roomId, event.roomId),
          eq(registrations.candidateId, candidateId),
          isNotNull(registrations.enteredAt),
          isNull(registrations.finishedAt),
        ),
      )
      .get();
    if (!sitting) return null;
    const flag = tx
      .insert(flags)
      .values({ roomId: event.roomId, candidateId, type, source: 'auto', eventId: event.id })
      .onConflictDoNothing()
      .returning()
      .get();
    if (!flag) return null;
    recordEvent({ db: tx, roomId: event.roomId, candidateId, type: 'flag_raised', device: null, payload: { flagId: flag.id, type, ...detail } });
    return flag;
  });
}

/* ------------------------------------------------------------------ which client holds a candidate's feed */

/**
 * `clientProtocol` that the exam and phone pages send: livekit-client's `clientProtocol`
 * (2, data streams v2, in the ~2.23 we ship; a unit test holds the two equal). The page is ours,
 * so a participant under a candidate identity that reports anything else is not our page.
 */
export const EXAM_PAGE_CLIENT_PROTOCOL = 2;

/** LiveKit's `ParticipantInfo.Kind.STANDARD`: a participant joined with an access token (not ingress, egress, SIP or an agent). */
const STANDARD_KIND = 0;

/**
 * The client of a participant, as far as a self-hosted LiveKit tells: its webhooks carry the
 * participant's `clientProtocol` and `capabilities` (copied from the client's ClientInfo) but not
 * the SDK name, browser, OS or address, which only go to LiveKit Cloud's analytics.
 */
export type ClientSummary = { protocol: number; capabilities: number[]; kind: number; examPage: boolean };

export function clientSummaryOf(participant: { clientProtocol?: number; capabilities?: readonly number[]; kind?: number }): ClientSummary {
  const protocol = participant.clientProtocol ?? 0;
  const kind = participant.kind ?? STANDARD_KIND;
  return {
    protocol,
    capabilities: [...(participant.capabilities ?? [])].sort((a, b) => a - b),
    kind,
    examPage: kind === STANDARD_KIND && protocol === EXAM_PAGE_CLIENT_PROTOCOL,
  };
}

const sameClient = (a: ClientSummary, b: ClientSummary) => a.protocol === b.protocol && a.kind === b.kind && a.capabilities.join() === b.capabilities.join();

function asSummary(v: unknown): ClientSummary | null {
  if (!v || typeof v !== 'object') return null;
  const c = v as Partial<ClientSummary>;
  return typeof c.protocol === 'number' && Array.isArray(c.capabilities) && typeof c.kind === 'number'
    ? clientSummaryOf({ clientProtocol: c.protocol, capabilities: c.capabilities, kind: c.kind })
    : null;
}

/**
 * A candidate's token used outside our pages (a script with a native LiveKit SDK) pushes the
 * page out under the same identity and publishes whatever it likes. Stored webhook events show
 * it three ways, each raising `client_mismatch` while the candidate sits the exam:
 * - a session joins with a client that is not our page's (`examPage` false): every session
 *   joins before it publishes, and only the join carries the client (see CLIENT_EVENTS);
 * - a session joins with a different client from the one before it for the same device;
 * - a session is pushed out by a newer one of the same identity (`DUPLICATE_IDENTITY`).
 * The last also happens when a candidate opens the exam twice or a lost connection is replaced
 * before LiveKit noticed the loss; the invigilator judges from the timeline.
 */
export function checkClient({ db, event }: { db: DbOrTx; event: TimelineEvent }): Flag | null {
  if (event.candidateId == null) return null;
  if (event.type === 'participant_left' && event.payload?.disconnectReason === 'DUPLICATE_IDENTITY') {
    return raiseWhileSitting({ db, event, type: 'client_mismatch', detail: { reason: 'replaced' } });
  }
  if (event.type !== 'participant_joined') return null;
  const client = asSummary(event.payload?.client);
  if (!client) return null;
  if (!client.examPage) return raiseWhileSitting({ db, event, type: 'client_mismatch', detail: { reason: 'not_exam_page', client } });
  const before = db
    .select({ payload: events.payload })
    .from(events)
    .where(
      and(
        eq(events.roomId, event.roomId),
        eq(events.candidateId, event.candidateId),
        eq(events.type, 'participant_joined'),
        event.device ? eq(events.device, event.device) : isNull(events.device),
        lt(events.id, event.id),
      ),
    )
    .orderBy(desc(events.id))
    .limit(1)
    .get();
  const previous = asSummary(before?.payload?.client);
  if (previous && !sameClient(previous, client)) {
    return raiseWhileSitting({ db, event, type: 'client_mismatch', detail: { reason: 'switched', client, previous } });
  }
  return null;
}
