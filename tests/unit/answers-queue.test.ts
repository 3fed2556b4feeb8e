import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { answers, registrations } from '@/db/schema';
import { AnswersQueue, type AnswerItem, type KeyValueStorage } from '@/components/exam/answers-queue';
import { createInProcessBus } from '@/server/events/bus';
import { claimExamPage, savePageAnswers } from '@/server/services/exam-page';
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
  return { net, stored, storage, queue, exam, candidates };
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

/**
 * Two pages of one candidate's exam (two tabs of one browser share local storage; two devices
 * do not), saving through the real services with their claims (server/services/exam-page.ts).
 */
async function twoPages() {
  const base = await setup();
  const { exam, candidates } = base;
  const bus = createInProcessBus();
  const candidateId = candidates[0]!.id;
  const server = () => Object.entries(base.stored()).map(([questionId, a]) => ({ questionId, value: a.value, revision: a.revision }));
  /** A page: its queue saving with its claim's epoch; `claim()` claims the exam for it. */
  const page = (storage: KeyValueStorage, instanceId: string) => {
    const queue = new AnswersQueue({
      key: 'exam',
      storage,
      save: async (items, epoch) => savePageAnswers({ db: fx.db, bus, candidateId, examId: exam.id, epoch, items }),
      classify,
      debounceMs: 10_000,
    });
    const claim = () => queue.claimed(claimExamPage({ db: fx.db, bus, candidateId, examId: exam.id, instanceId }));
    return { queue, claim };
  };
  return { ...base, server, page };
}

const TAB_A = '0b8f6a8e-6f0e-4a51-8c49-3f1a2b9d7c01';
const TAB_B = '5d2e9c47-1a3b-4c8d-9e0f-7a6b5c4d3e02';

describe('two pages of one exam: the older hands over, the newer carries on', () => {
  it('two tabs of one browser: the older tab’s unsaved edit is flushed, the newer tab’s edits win, and the older tab takes no more', async () => {
    const { stored, storage, server, page } = await twoPages();
    const a = page(storage, TAB_A);
    a.claim();
    a.queue.init([]);
    a.queue.edit('q3', '甲标签页写的');
    a.queue.edit('q1', 'A');
    // Not sent yet (the debounce is long): tab B opens now and finds the edits in local storage.
    const b = page(storage, TAB_B);
    b.claim();
    a.queue.handOver();
    b.queue.init(server());
    expect(b.queue.getState().values).toMatchObject({ q3: '甲标签页写的', q1: 'A' });
    await a.queue.drain();
    expect(stored().q3?.value).toBe('甲标签页写的');

    b.queue.edit('q3', '乙标签页改写');
    b.queue.edit('q2', ['A', 'C']);
    await b.queue.drain();
    expect(stored()).toMatchObject({ q3: { value: '乙标签页改写' }, q2: { value: ['A', 'C'] }, q1: { value: 'A' } });

    a.queue.edit('q3', '甲标签页又写了');
    expect(a.queue.getState()).toMatchObject({ handedOver: true, pendingCount: 0 });
    expect(a.queue.getState().values.q3).toBe('甲标签页写的');
    await a.queue.drain();
    expect(stored().q3?.value).toBe('乙标签页改写');
    // The older tab no longer writes the shared local copy: the newer tab's stays as it left it.
    expect(storage.getItem('exam')).not.toContain('甲标签页又写了');
    a.queue.dispose();
    b.queue.dispose();
  });

  it('two devices: the newer device’s edit of a question beats the older device’s late flush, which still stores its other edits', async () => {
    const { stored, server, page } = await twoPages();
    const a = page(new MemoryStorage(), TAB_A);
    a.claim();
    a.queue.init([]);
    a.queue.edit('q3', '旧设备：第一稿');
    a.queue.edit('q1', 'D');

    const b = page(new MemoryStorage(), TAB_B);
    b.claim();
    b.queue.init(server());
    b.queue.edit('q3', '新设备：重写');
    await b.queue.drain();

    // The older device hears of the newer one only now; its flush reaches the server after B's save.
    a.queue.handOver();
    await a.queue.drain();
    expect(stored()).toMatchObject({ q3: { value: '新设备：重写' }, q1: { value: 'D' } });

    // The holder re-reads what the flush stored: the other question appears, its own answer stays.
    b.queue.refresh(server());
    expect(b.queue.getState().values).toMatchObject({ q3: '新设备：重写', q1: 'D' });
    a.queue.dispose();
    b.queue.dispose();
  });

  it('an older page that missed the newer claim learns it from its next save and turns read-only', async () => {
    const { stored, page } = await twoPages();
    const a = page(new MemoryStorage(), TAB_A);
    a.claim();
    a.queue.init([]);
    page(new MemoryStorage(), TAB_B).claim();
    a.queue.edit('q3', '没收到通知时写的');
    await a.queue.drain();
    expect(stored().q3?.value).toBe('没收到通知时写的');
    expect(a.queue.getState().handedOver).toBe(true);
    a.queue.edit('q3', '再写');
    expect(a.queue.getState().pendingCount).toBe(0);
    a.queue.dispose();
  });

  it('a re-read that started before the page’s own last save landed changes nothing', async () => {
    const { server, page } = await twoPages();
    const b = page(new MemoryStorage(), TAB_B);
    b.claim();
    b.queue.init([]);
    b.queue.edit('q3', '第一版');
    await b.queue.drain();
    const early = server();
    b.queue.edit('q3', '第二版');
    await b.queue.drain();
    b.queue.refresh(early);
    expect(b.queue.getState().values.q3).toBe('第二版');
    b.queue.dispose();
  });
});
