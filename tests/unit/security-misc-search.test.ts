import { describe, expect, it } from 'vitest';
import type { User } from '@/db/schema';
import { maskIdNumber } from '@/server/services/exams';
import { makeRoomScenario, makeStaff } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, makeContext } from '../helpers/unit-support';

const fx = useTestDb();
const as = (user: User) => callerFor(makeContext(fx.db, user), { signal: fx.stop.signal }).messages;

/**
 * What a caller who only sees masked numbers learns by walking the digits: from the visible
 * start, try each next digit and keep the one that finds the candidate.
 */
async function walkDigits(search: (q: string) => Promise<{ id: number; idNumberMasked: string }[]>, candidateId: number, idNumber: string) {
  let known = idNumber.slice(0, 4);
  for (let i = known.length; i < idNumber.length - 1; i++) {
    let next: string | null = null;
    for (const d of '0123456789X') if ((await search(known + d)).some((c) => c.id === candidateId)) next = d;
    if (next == null) break;
    known += next;
  }
  return known;
}

describe('candidate search by ID number (messages.findCandidates)', () => {
  it('support: prefixes of an ID number find nobody, so the hidden digits cannot be walked', async () => {
    const s = await makeRoomScenario(fx.db, { candidates: 1 });
    const candidate = s.candidates[0]!;
    const support = as(await makeStaff(fx.db, 'support'));
    const id = candidate.idNumber!;
    const learnt = await walkDigits((q) => support.findCandidates({ search: q }), candidate.id, id);
    expect(learnt).toBe(id.slice(0, 4));
    for (let n = 5; n < id.length; n++) expect(await support.findCandidates({ search: id.slice(0, n) })).toEqual([]);
  });

  it('support: the whole ID number (any case, full-width, spaced) or the name finds the candidate, masked', async () => {
    const s = await makeRoomScenario(fx.db, { candidates: 1 });
    const candidate = s.candidates[0]!;
    const support = as(await makeStaff(fx.db, 'support'));
    const id = candidate.idNumber!;
    const expected = [
      {
        id: candidate.id,
        name: candidate.name,
        roomId: null,
        seat: null,
        idNumberMasked: maskIdNumber(id),
      },
    ];
    expect(await support.findCandidates({ search: id })).toEqual(expected);
    expect(
      await support.findCandidates({
        search: ` ${id.slice(0, 6)} ${id.slice(6).toLowerCase()} `,
      }),
    ).toEqual(expected);
    const fullWidth = [...id].map((c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).join('');
    expect(await support.findCandidates({ search: fullWidth })).toEqual(expected);
    expect(await support.findCandidates({ search: candidate.name })).toEqual(expected);
    expect(JSON.stringify(await support.findCandidates({ search: id }))).not.toContain(id.slice(4, -4));
  });

  it('invigilator: within their room, too, a prefix finds nobody and the whole number finds the candidate', async () => {
    const s = await makeRoomScenario(fx.db, { candidates: 2 });
    const candidate = s.candidates[0]!;
    const invigilator = as(s.invigilator);
    const id = candidate.idNumber!;
    const learnt = await walkDigits((q) => invigilator.findCandidates({ roomId: s.room.id, search: q }), candidate.id, id);
    expect(learnt).toBe(id.slice(0, 4));
    expect((await invigilator.findCandidates({ roomId: s.room.id, search: id })).map((c) => [c.id, c.idNumberMasked])).toEqual([
      [candidate.id, maskIdNumber(id)],
    ]);
  });
});
