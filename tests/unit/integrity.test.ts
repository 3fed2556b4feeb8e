import { describe, expect, it } from 'vitest';
import type { TimelineEvent } from '@/db/schema';
import { getBus } from '@/server/events/bus';
import { enterExam, reportIntegrity } from '@/server/services/exams';
import { makeRoomScenario } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, httpCall, makeContext, timelineOf, trpcRefusal } from '../helpers/unit-support';

const fx = useTestDb();

async function entered() {
  const s = await makeRoomScenario(fx.db, { candidates: 2 });
  const cand = s.candidates[0]!;
  await enterExam({ db: fx.db, candidateId: cand.id, examId: s.exam.id });
  return { ...s, cand };
}

/** The next event on a room's bus channel that matches, listening from now on. */
function nextOnBus(roomId: number, match: (e: TimelineEvent) => boolean) {
  const it = getBus().listen(`room:${roomId}`, fx.stop.signal)[Symbol.asyncIterator]();
  return (async () => {
    for (;;) {
      const r = await it.next();
      if (r.done) throw new Error('bus closed');
      if (match(r.value)) return r.value;
    }
  })();
}

describe('integrity reports from the candidate’s page', () => {
  it('a candidate’s page_hidden report is stored on their room’s timeline at the moment the page saw it, and announced on the bus', async () => {
    const { exam, room, cand } = await entered();
    const seen = new Date(Date.now() - 90_000);
    const announced = nextOnBus(room.id, (e) => e.candidateId === cand.id && e.type === 'integrity.page_hidden');

    const res = await callerFor(makeContext(fx.db, cand)).exam.reportIntegrity({ examId: exam.id, signal: 'page_hidden', at: seen, detail: 'alt-tab' });

    const stored = timelineOf(fx.db, cand.id, 'integrity.page_hidden');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ id: res.id, roomId: room.id, candidateId: cand.id, device: 'pc', occurredAt: seen, payload: { detail: 'alt-tab' } });
    expect(await announced).toEqual(stored[0]);
  });

  it('a report queued offline and sent late keeps its own time, sent as an ISO string over HTTP', async () => {
    const { exam, room, cand } = await entered();
    const seen = new Date(Date.now() - 10 * 60_000);
    const announced = nextOnBus(room.id, (e) => e.type === 'integrity.offline');

    const { status } = await httpCall({
      ctx: makeContext(fx.db, cand),
      path: 'exam.reportIntegrity',
      input: { examId: exam.id, signal: 'offline', at: seen.toISOString() },
    });

    expect(status).toBe(200);
    expect((await announced).occurredAt).toEqual(seen);
    expect(timelineOf(fx.db, cand.id, 'integrity.offline')[0]!.payload).toEqual({});
  });

  it('each signal gets its own event type, in the order reported', async () => {
    const { exam, cand } = await entered();
    const caller = callerFor(makeContext(fx.db, cand));
    const at = new Date();

    for (const signal of ['fullscreen_left', 'fullscreen_entered', 'camera_lost', 'camera_restored'] as const) {
      await caller.exam.reportIntegrity({ examId: exam.id, signal, at });
    }

    expect(
      timelineOf(fx.db, cand.id)
        .filter((e) => e.type.startsWith('integrity.'))
        .map((e) => e.type),
    ).toEqual(['integrity.fullscreen_left', 'integrity.fullscreen_entered', 'integrity.camera_lost', 'integrity.camera_restored']);
  });

  it('a candidate who has not entered is refused with exam.notEntered and nothing is recorded', async () => {
    const { exam, candidates } = await entered();
    const outside = candidates[1]!;

    const err = await trpcRefusal(callerFor(makeContext(fx.db, outside)).exam.reportIntegrity({ examId: exam.id, signal: 'page_hidden', at: new Date() }));

    expect(err.code).toBe('PRECONDITION_FAILED');
    expect(err.cause).toMatchObject({ key: 'exam.notEntered' });
    expect(timelineOf(fx.db, outside.id)).toEqual([]);
  });

  it('a candidate reporting a signal that is not on the list gets 400 and nothing is recorded', async () => {
    const { exam, cand } = await entered();
    const before = timelineOf(fx.db, cand.id);

    const { status, body } = await httpCall({
      ctx: makeContext(fx.db, cand, { locale: 'en' }),
      path: 'exam.reportIntegrity',
      input: { examId: exam.id, signal: 'devtools_opened', at: new Date().toISOString() },
    });

    expect(status).toBe(400);
    expect(body.error.json.data.appCode).toBe('invalidInput');
    expect(body.error.json.data.fieldErrors.signal).toEqual(expect.any(String));
    expect(timelineOf(fx.db, cand.id)).toEqual(before);
  });

  it('a report through the service is refused for a candidate not in the exam, the same as the router', async () => {
    const { exam, candidates } = await entered();
    expect(() => reportIntegrity({ db: fx.db, candidateId: candidates[1]!.id, examId: exam.id, signal: 'online', at: new Date() })).toThrow('exam.notEntered');
  });
});
