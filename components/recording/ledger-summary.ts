import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@/server/routers/_app';

type LedgerEntry = inferRouterOutputs<AppRouter>['recordings']['mine'][number];
export type TrackSummary = { track: LedgerEntry['track']; runs: number; received: number; expected: number | null; bytes: number; complete: boolean };

/** One line per track: a track recorded in several runs (a camera switched mid-exam) sums them. */
export function summariseTracks(entries: LedgerEntry[]): TrackSummary[] {
  const byTrack = new Map<LedgerEntry['track'], TrackSummary>();
  for (const e of entries) {
    const s = byTrack.get(e.track) ?? { track: e.track, runs: 0, received: 0, expected: 0, bytes: 0, complete: true };
    s.runs++;
    s.received += e.received;
    s.expected = s.expected == null || e.expected == null ? null : s.expected + e.expected;
    s.bytes += e.bytes;
    s.complete &&= e.complete;
    byTrack.set(e.track, s);
  }
  const order = ['screen', 'camera', 'witness'];
  return [...byTrack.values()].sort((a, b) => order.indexOf(a.track) - order.indexOf(b.track));
}

/** Bytes as megabytes with one decimal, as the upload and ledger texts show them. */
export const formatMb = (bytes: number) => (bytes / (1024 * 1024)).toFixed(1);
