import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { answers, registrations } from '@/db/schema';
import { AnswersQueue, type AnswerItem, type KeyValueStorage } from '@/components/exam/answers-queue';
import { saveAnswers } from '@/server/services/exams';
import { makeQuestionSheet, makeRoomScenario } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';

/** The browser's localStorage, as far as the queue uses it. */
class MemoryStorage implements KeyValueStorage {
  private m = new Map<string, string>();
  getItem = (k: string) => this.m.get(k) ?? null;
  setItem = (k: string, v: string) => void this.m.set(k, v);
  removeItem = (k: string) => void this.m.delete(k);
}

const classify = (e: unknown) => (e instanceof TypeError ? 'offline' : 'fatal') as 'offline' | 'fatal';

const fx = useTestDb();

/**
 * A queue saving through the real service into a real SQLite file; `offline` makes the
 * transport fail the way fetch does when the network is gone.
 */
async function setup() {
  const { exam, candidates } = await makeRoomScenario(fx.db, { candidates: 1, exam: { startsIn: -1, durationMinutes: 60 } });
  makeQuestionSheet(fx.db, exam.id);
  const candidateId = candidates[0]!.id;
  fx.db.update(registrations).set({ enteredAt: new Date() }).where(eq(registrations.candidateId, candidateId)).run();
  const net = { offline: false };
  const save = async (items: AnswerItem[]) => {
    if (net.offline) throw new TypeError('Failed to fetch');
    return saveAnswers({ db: fx.db, candidateId, examId: exam.id, items });
  };
  const stored = () => {
    const reg = fx.db
      .select()
      .from(registrations)
      .where(and(eq(registrations.examId, exam.id), eq(registrations.candidateId, candidateId)))
      .get()!;
    return Object.fromEntries(
      fx.db
        .select()
        .from(answers)
        .where(eq(answers.registrationId, reg.id))
        .all()
        .map((a) => [a.questionId, { value: a.value, revision: a.revision }]),
    );
  };
  const storage = new MemoryStorage();
  const queue = (key = 'exam') => new AnswersQueue({ key, storage, save, classify, debounceMs: 10 });
  return { net, stored, storage, queue };
}

describe('a candidate’s answer queue, saving to the real service', () => {
  it('sends the latest value of each question once, with rising revisions', async () => {
    const { stored, queue } = await setup();
    const q = queue();
    q.init([]);
    q.edit('q1', 'A');
    q.edit('q1', 'B');
    q.edit('q3', '初稿');
    expect(q.getState().pendingCount).toBe(2);
    await q.drain();
    expect(stored()).toEqual({ q1: { value: 'B', revision: 2 }, q3: { value: '初稿', revision: 1 } });
    expect(q.getState().status).toBe('saved');
    q.dispose();
  });

  it('keeps edits made offline, shows them queued, and sends them when the network is back', async () => {
    const { net, stored, queue } = await setup();
    const q = queue();
    q.init([]);
    net.offline = true;
    q.edit('q3', '离线时写的答案');
    await expect(q.drain()).rejects.toThrow();
    expect(q.getState().status).toBe('queued');
    expect(q.getState().pendingCount).toBe(1);
    expect(stored()).toEqual({});
    net.offline = false;
    q.online();
    await q.drain();
    expect(stored().q3).toEqual({ value: '离线时写的答案', revision: 1 });
    q.dispose();
  });

  it('survives a reload while offline: the new page resumes the pending edits above the server’s revisions', async () => {
    const { net, stored, storage, queue } = await setup();
    const first = queue();
    first.init([]);
    first.edit('q1', 'A');
    await first.drain();
    net.offline = true;
    first.edit('q1', 'C');
    await expect(first.drain()).rejects.toThrow();
    first.dispose();

    // The reloaded page gets the server's answers (q1 = A, revision 1) and the local queue.
    net.offline = false;
    const server = Object.entries(stored()).map(([questionId, a]) => ({ questionId, value: a.value, revision: a.revision }));
    const second = queue();
    second.init(server);
    expect(second.getState().values.q1).toBe('C');
    await second.drain();
    expect(stored().q1).toEqual({ value: 'C', revision: 2 });
    second.edit('q1', 'D');
    await second.drain();
    expect(stored().q1).toEqual({ value: 'D', revision: 3 });
    expect(storage.getItem('exam')).not.toContain('"C"');
    second.dispose();
  });

  it('never lets an older local edit overwrite a newer answer saved from elsewhere', async () => {
    const { stored, storage, queue } = await setup();
    // Another tab already saved revision 4; this tab's leftover pending edit has revision 2.
    const other = queue('other-tab');
    other.init([]);
    for (const v of ['A', 'B', 'C', 'D']) other.edit('q1', v);
    await other.drain();
    storage.setItem('exam', JSON.stringify({ v: 1, revisions: { q1: 2 }, pending: { q1: { value: 'old', revision: 2 } } }));
    const q = queue();
    q.init([{ questionId: 'q1', value: 'D', revision: 4 }]);
    expect(q.getState().values.q1).toBe('D');
    await q.drain();
    expect(stored().q1).toEqual({ value: 'D', revision: 4 });
    q.edit('q1', 'E');
    await q.drain();
    expect(stored().q1).toEqual({ value: 'E', revision: 5 });
    q.dispose();
    other.dispose();
  });
});
