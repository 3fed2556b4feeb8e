import { and, eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { recordings, registrations } from '@/db/schema';
import { recordEvent } from './timeline';

/** At most one `recording_progress` timeline event per recording this often. */
export const PROGRESS_EVERY_MS = 5_000;

type Slot = { last: number; timer?: ReturnType<typeof setTimeout> };
// Keyed by database too: tests open many databases whose recording ids repeat.
const slots = new WeakMap<Db, Map<number, Slot>>();

/**
 * Tells the room's listeners (the invigilator's tile) how far a recording's upload is. Throttled
 * per recording, leading and trailing: the first change is announced at once, later ones within
 * the window fold into one announcement at its end, which reads the ledger as it is then, so the
 * last state is never swallowed.
 */
export function announceProgress(db: Db, recordingId: number, everyMs = PROGRESS_EVERY_MS) {
  let bySlot = slots.get(db);
  if (!bySlot) slots.set(db, (bySlot = new Map()));
  const slot = bySlot.get(recordingId) ?? { last: -Infinity };
  bySlot.set(recordingId, slot);
  if (slot.timer) return;
  const wait = slot.last + everyMs - Date.now();
  if (wait <= 0) {
    slot.last = Date.now();
    emitProgress(db, recordingId);
    return;
  }
  slot.timer = setTimeout(() => {
    slot.timer = undefined;
    slot.last = Date.now();
    try {
      emitProgress(db, recordingId);
    } catch {
      // The database may be gone (shutdown, a finished test); progress is advisory.
    }
  }, wait);
  slot.timer.unref?.();
}

function emitProgress(db: Db, recordingId: number) {
  const row = db
    .select({ rec: recordings, roomId: registrations.roomId })
    .from(recordings)
    .innerJoin(registrations, and(eq(registrations.candidateId, recordings.candidateId), eq(registrations.examId, recordings.examId)))
    .where(eq(recordings.id, recordingId))
    .get();
  if (!row || row.roomId == null) return;
  const { rec } = row;
  recordEvent({
    db,
    roomId: row.roomId,
    candidateId: rec.candidateId,
    type: 'recording_progress',
    device: rec.track === 'witness' ? 'phone' : 'pc',
    payload: {
      recordingId: rec.id,
      track: rec.track,
      receivedChunks: rec.receivedChunks,
      expectedChunks: rec.expectedChunks,
      receivedBytes: rec.receivedBytes,
      complete: rec.completedAt != null,
    },
  });
}
