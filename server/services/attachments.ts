import type { Db } from '@/db/client';
import type { UserCaller } from '../auth/caller';
import { readableAttachment } from './access';

/**
 * An exam file the caller may read, or null: missing and refused read the same, so the id space
 * cannot be probed. Who may read what is `access.mayReadAttachment`.
 */
export function attachmentFor({ db, caller, attachmentId, now = new Date() }: { db: Db; caller: UserCaller; attachmentId: number; now?: Date }) {
  return readableAttachment(db, caller, attachmentId, now);
}
