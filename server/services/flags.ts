import { and, eq, isNotNull, isNull } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { flags, registrations, type Flag, type FlagType, type TimelineEvent } from '@/db/schema';
import { recordEvent } from './timeline';

const INTEGRITY_FLAGS = new Map<string, FlagType>([
  ['integrity.screen_share_stopped', 'screen_share_stopped'],
  ['integrity.camera_lost', 'camera_lost'],
  ['integrity.microphone_lost', 'microphone_lost'],
  ['integrity.page_hidden', 'tab_hidden'],
  ['integrity.window_blurred', 'tab_hidden'],
  ['integrity.fullscreen_left', 'fullscreen_left'],
  ['integrity.extended_display', 'extended_display'],
]);

const LOST_TRACK_FLAGS = new Map<string, FlagType>([
  ['screen_share', 'screen_share_stopped'],
  ['camera', 'camera_lost'],
  ['microphone', 'microphone_lost'],
]);

/** The flag an event suggests, if any: integrity signals from the page and LiveKit's own view. */
export function autoFlagTypeOf(event: Pick<TimelineEvent, 'type' | 'device' | 'trackSource'>): FlagType | null {
  const integrity = INTEGRITY_FLAGS.get(event.type);
  if (integrity) return integrity;
  const phone = event.device === 'phone';
  if (event.type === 'track_unpublished') {
    if (phone) return event.trackSource === 'camera' ? 'witness_missing' : null;
    return LOST_TRACK_FLAGS.get(event.trackSource ?? '') ?? null;
  }
  if (event.type === 'participant_left') return phone ? 'witness_missing' : 'left_room';
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
  const candidateId = event.candidateId;
  if (!type || candidateId == null) return null;
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
    recordEvent({ db: tx, roomId: event.roomId, candidateId, type: 'flag_raised', device: null, payload: { flagId: flag.id, type } });
    return flag;
  });
}
