import { eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { events } from '@/db/schema';
import { getBus } from '../events/bus';
import { countFlagRaised } from '../metrics';
import { raiseAutoFlags } from './flags';

/** Timeline events that are also commands to the candidate's exam page. */
export const CANDIDATE_COMMAND_TYPES = ['staff_message', 'extra_time', 'exam_ended_by_staff'] as const;
const isCommand = (type: string) => (CANDIDATE_COMMAND_TYPES as readonly string[]).includes(type);

/**
 * Appends an event to a candidate's timeline, raises the automatic flag it implies (in the same
 * transaction), then emits it to the room's listeners and, for staff commands, to the
 * candidate's. The emit waits for the current synchronous transaction to end and only happens if
 * the row was committed: a rolled-back event is never announced.
 */
export function recordEvent({
  db,
  roomId,
  candidateId,
  type,
  device = 'pc',
  occurredAt = new Date(),
  payload = {},
}: {
  db: DbOrTx;
  roomId: number;
  candidateId: number | null;
  type: string;
  device?: 'pc' | 'phone' | null;
  occurredAt?: Date;
  payload?: Record<string, unknown>;
}) {
  const row = db.transaction((tx) => {
    const stored = tx.insert(events).values({ roomId, candidateId, type, device, occurredAt, payload }).returning().get();
    // Queued before the flag's own event is, so listeners see the cause before the flag.
    queueMicrotask(() => announce(db, stored));
    raiseAutoFlags({ db: tx, event: stored });
    return stored;
  });
  return row;
}

function announce(db: DbOrTx, row: typeof events.$inferSelect) {
  const committed = db.select({ id: events.id }).from(events).where(eq(events.id, row.id)).get();
  if (!committed) return;
  // Every flag, automatic or an invigilator's, is announced by its `flag_raised` event: counted
  // here, once committed, whichever service raised it.
  if (row.type === 'flag_raised') countFlagRaised(String(row.payload?.type ?? 'unknown'));
  const bus = getBus();
  bus.emit(`room:${row.roomId}`, row);
  if (row.candidateId != null && isCommand(row.type)) bus.emit(`candidate:${row.candidateId}`, row);
}
