import { describe, expect, it } from 'vitest';
import { putNewest, type DeskEntry } from '@/components/help/desk/desk-entries';
import { toCaller } from '@/server/services/auth';
import { claim, openThread, queue, resolve, send, type StaffThreadSummary } from '@/server/services/help';
import { makeRoomScenario, makeSupportAgent } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';

const fx = useTestDb();

describe('the desk keeps the newest summary of a thread, whichever arrives last', () => {
  it('an agent’s late "resolved" answer does not hide a thread the candidate has already reopened', async () => {
    const s = await makeRoomScenario(fx.db, { candidates: 1 });
    const agent = toCaller(await makeSupportAgent(fx.db, { accepting: false }));
    const candidate = toCaller(s.candidates[0]!);
    const thread = openThread({ db: fx.db, candidateId: candidate.id, category: 'technical', body: '黑屏了' });
    const claimed = claim({ db: fx.db, caller: agent, threadId: thread.id });

    // The resolve mutation's answer, then the candidate writes again before that answer reaches the desk.
    const resolvedAnswer = resolve({ db: fx.db, caller: agent, threadId: thread.id });
    send({ db: fx.db, caller: candidate, threadId: thread.id, body: '还是不行' });
    const reopened = queue({ db: fx.db, caller: agent, scope: 'open' }).find((t) => t.id === thread.id)!;
    expect([resolvedAnswer.status, reopened.status]).toEqual(['resolved', 'queued']);
    expect(reopened.lastEventId).toBeGreaterThan(resolvedAnswer.lastEventId);

    // The stream delivered the reopen first; the resolve answer lands afterwards.
    let rows: ReadonlyMap<number, DeskEntry<StaffThreadSummary>> = new Map();
    rows = putNewest(rows, claimed, claimed.lastEventId);
    rows = putNewest(rows, reopened, reopened.lastEventId);
    rows = putNewest(rows, resolvedAnswer);
    expect(rows.get(thread.id)!.thread.status).toBe('queued');

    // In the usual order the answer applies, and so does the later reopen.
    let inOrder: ReadonlyMap<number, DeskEntry<StaffThreadSummary>> = new Map();
    inOrder = putNewest(inOrder, resolvedAnswer);
    expect(inOrder.get(thread.id)!.thread.status).toBe('resolved');
    inOrder = putNewest(inOrder, reopened, reopened.lastEventId);
    expect(inOrder.get(thread.id)!.thread.status).toBe('queued');
  });
});
