import { describe, expect, it } from 'vitest';
import type { EventBus } from '@/server/events/bus';
import { inIdOrder } from '@/server/events/resumable';

type Row = { id: number; from: 'live' | 'db' };

async function* arriving(ids: number[]): AsyncGenerator<Row> {
  for (const id of ids) yield { id, from: 'live' };
}

/** What the table holds: rows 1..10, of which the stream may see the odd ones and 8. */
const table: Row[] = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, from: 'db' as const })).filter((r) => r.id % 2 === 1 || r.id === 8);
const between = (after: number, upTo: number) => table.filter((r) => r.id > after && r.id <= upTo);
const busThat = (reorders: boolean) => ({ reorders }) as EventBus;

async function collect(it: AsyncIterable<Row>) {
  const out: Row[] = [];
  for await (const r of it) out.push(r);
  return out;
}

describe('inIdOrder: live rows without gaps when the bus may reorder', () => {
  it('yields a row that was overtaken before the one that overtook it, each once', async () => {
    // Row 5 (another process) arrives after row 7 and 8 (this one): the stream must not lose 5.
    const rows = await collect(inIdOrder(arriving([3, 7, 5, 8, 9]), { bus: busThat(true), after: 1, between }));
    expect(rows.map((r) => r.id)).toEqual([3, 5, 7, 8, 9]);
    // Read back where a gap was possible; 8 and 9 each came right after the last one yielded, so
    // nothing can be missing before them and they pass as they came (no read per row).
    expect(rows.map((r) => r.from)).toEqual(['db', 'db', 'db', 'live', 'live']);
  });

  it('fills a gap nobody announced and never goes back behind its start', async () => {
    const rows = await collect(inIdOrder(arriving([1, 9]), { bus: busThat(true), after: 3, between }));
    expect(rows.map((r) => r.id)).toEqual([5, 7, 8, 9]);
  });

  it('passes rows through untouched where the bus keeps order', async () => {
    const rows = await collect(inIdOrder(arriving([3, 7, 5]), { bus: busThat(false), after: 1, between }));
    expect(rows).toEqual([
      { id: 3, from: 'live' },
      { id: 7, from: 'live' },
      { id: 5, from: 'live' },
    ]);
  });
});
