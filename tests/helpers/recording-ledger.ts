import { eq, inArray } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import type { Db } from '@/db/client';
import { recordingChunks, recordings } from '@/db/schema';

/** A chunk the exam page recorded, as it reports it for tests (`window.__recordedChunks`). */
export type RecordedChunk = { clientKey: string; track: string; seq: number; size: number; sha256: string };
/** The page's upload backlog (`window.__recordingBacklog`). */
export type Backlog = {
  chunks: number;
  bytes: number;
  unfinished: number;
  ready: boolean;
  uploadedBytes: number;
  firstUploadAt: number | null;
  lastConfirmedAt: number | null;
};

export const recordedOn = (page: Page) => page.evaluate(() => (window as unknown as { __recordedChunks?: RecordedChunk[] }).__recordedChunks ?? []);
export const backlogOn = (page: Page) => page.evaluate(() => (window as unknown as { __recordingBacklog?: Backlog }).__recordingBacklog ?? null);

/** The server's ledger of a candidate: recordings and the chunk rows under them. */
export function serverLedger(db: Db, candidateId: number) {
  const recs = db.select().from(recordings).where(eq(recordings.candidateId, candidateId)).all();
  const chunks = recs.length
    ? db
        .select()
        .from(recordingChunks)
        .where(
          inArray(
            recordingChunks.recordingId,
            recs.map((r) => r.id),
          ),
        )
        .all()
    : [];
  return { recs, chunks };
}

/** Every chunk the browser recorded is on the server with the same hash and size; returns the bytes missing. */
export function compareWithLedger(db: Db, recorded: RecordedChunk[], candidateId: number) {
  const { recs, chunks } = serverLedger(db, candidateId);
  const idOf = new Map(recs.map((r) => [r.clientKey, r.id]));
  const stored = new Map(chunks.map((c) => [`${c.recordingId}:${c.seq}`, c]));
  let missingBytes = 0;
  const mismatched: string[] = [];
  for (const c of recorded) {
    const row = stored.get(`${idOf.get(c.clientKey)}:${c.seq}`);
    if (!row) missingBytes += c.size;
    else if (row.sha256 !== c.sha256 || row.size !== c.size) mismatched.push(`${c.track}#${c.seq}`);
  }
  return { recs, chunks, missingBytes, mismatched };
}
