import { eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { events } from '@/db/schema';
import { getBus } from '../events/bus';

/**
 * Appends an event to a candidate's timeline, then emits it to the room's listeners. The emit
 * waits for the current synchronous transaction to end and only happens if the row was
 * committed: a rolled-back event is never announced.
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
  const row = db.insert(events).values({ roomId, candidateId, type, device, occurredAt, payload }).returning().get();
  queueMicrotask(() => {
    const committed = db.select({ id: events.id }).from(events).where(eq(events.id, row.id)).get();
    if (committed) getBus().emit(`room:${roomId}`, row);
  });
  return row;
}
