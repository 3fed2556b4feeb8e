import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { examRooms } from '@/db/schema';
import { setPasswordLogin } from '@/server/services/admin/candidates';
import { setChief, unassignInvigilator } from '@/server/services/admin/rooms';
import { setStaffArchived } from '@/server/services/admin/staff';
import { login } from '@/server/services/auth';
import { openThread } from '@/server/services/help';
import { assignInvigilator, createRoom } from '@/server/services/setup';
import { STREAM_RECHECK } from '@/server/trpc/stream-guard';
import { makeChief, makeRoomScenario, makeStaff, makeSupportAgent, PASSWORD } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, makeContext } from '../helpers/unit-support';

const fx = useTestDb();

// Streams re-check access every 30 s in production; here every 50 ms, so a test sees it at once.
let saved = STREAM_RECHECK.everyMs;
beforeEach(() => {
  saved = STREAM_RECHECK.everyMs;
  STREAM_RECHECK.everyMs = 50;
});
afterEach(() => {
  STREAM_RECHECK.everyMs = saved;
});

/** A tRPC caller whose context carries a real session token, as the HTTP handler builds it. */
async function signedIn(user: Awaited<ReturnType<typeof makeStaff>>, kind: 'staff' | 'candidate' = 'staff') {
  const identifier = kind === 'staff' ? user.username! : user.idNumber!;
  const { token } = await login({ db: fx.db, kind, identifier, password: PASSWORD });
  return callerFor(makeContext(fx.db, user, { sessionToken: token }), { signal: fx.stop.signal });
}

/** Reads a stream until it ends with an error (or gives up after `ms`, returning null). */
async function refusalOf(stream: unknown, ms = 10_000) {
  const it = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const outcome = await Promise.race([
      it.next().then(
        (r) => ({ r }),
        (e: unknown) => ({ e }),
      ),
      new Promise<{ wait: true }>((resolve) => setTimeout(() => resolve({ wait: true }), deadline - Date.now())),
    ]);
    if ('e' in outcome) return outcome.e as { code?: string; message?: string };
    if ('wait' in outcome) return null;
    if (outcome.r.done) return { code: 'ENDED' };
  }
  return null;
}

describe('revocation: open streams stop when access goes', () => {
  it('an invigilator unassigned from the room stops receiving the grid’s stream (FORBIDDEN)', async () => {
    const s = await makeRoomScenario(fx.db);
    const admin = await makeStaff(fx.db, 'admin');
    const stream = await (await signedIn(s.invigilator)).room.onEvents({ roomId: s.room.id });

    unassignInvigilator({ db: fx.db, actorId: admin.id, roomId: s.room.id, userId: s.invigilator.id, removeStaff: async () => {} });

    expect(await refusalOf(stream)).toMatchObject({ code: 'FORBIDDEN', message: 'room.notAssigned' });
  });

  it('an archived support agent’s desk stream ends (UNAUTHORIZED), and a live one of a colleague does not', async () => {
    const s = await makeRoomScenario(fx.db, { candidates: 1 });
    openThread({ db: fx.db, candidateId: s.candidates[0]!.id, category: 'technical', body: '摄像头打不开' });
    const admin = await makeStaff(fx.db, 'admin');
    const agent = await makeSupportAgent(fx.db);
    const colleague = await makeSupportAgent(fx.db);
    const archivedDesk = await (await signedIn(agent)).help.onDesk({});
    const liveDesk = await (await signedIn(colleague)).help.onDesk({});

    setStaffArchived({ db: fx.db, actorId: admin.id, userId: agent.id, archived: true, removeStaff: async () => {} });

    expect(await refusalOf(archivedDesk)).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(await refusalOf(liveDesk, 300)).toBeNull();
  });

  it('a candidate whose password login is switched off loses the session and their message stream ends', async () => {
    const s = await makeRoomScenario(fx.db, { candidates: 1 });
    const admin = await makeStaff(fx.db, 'admin');
    const cand = s.candidates[0]!;
    const stream = await (await signedIn(cand, 'candidate')).messages.onMine();

    setPasswordLogin({ db: fx.db, actorId: admin.id, candidateId: cand.id, enabled: false });

    expect(await refusalOf(stream)).toMatchObject({ code: 'UNAUTHORIZED' });
  });
});

describe('revocation: staff who lose a room are taken out of its LiveKit room', () => {
  it('unassigning takes the invigilator out of that room only; a room they keep as chief stays', async () => {
    const s = await makeRoomScenario(fx.db);
    const admin = await makeStaff(fx.db, 'admin');
    const other = createRoom({ db: fx.db, examId: s.exam.id, name: '另一考场' });
    assignInvigilator({ db: fx.db, roomId: other.id, userId: s.invigilator.id });
    const removed: [string[], number][] = [];
    const removeStaff = async (rooms: string[], userId: number) => void removed.push([rooms, userId]);

    unassignInvigilator({ db: fx.db, actorId: admin.id, roomId: s.room.id, userId: s.invigilator.id, removeStaff });
    expect(removed).toEqual([[[s.room.livekitRoom], s.invigilator.id]]);

    // As chief of the exam they keep every room of it: unassigning takes nothing away.
    const chief = await makeChief(fx.db, s.exam.id);
    assignInvigilator({ db: fx.db, roomId: other.id, userId: chief.id });
    unassignInvigilator({ db: fx.db, actorId: admin.id, roomId: other.id, userId: chief.id, removeStaff });
    expect(removed).toHaveLength(1);
  });

  it('a replaced chief is taken out of the exam’s rooms they are not assigned to; an archived invigilator out of all', async () => {
    const s = await makeRoomScenario(fx.db);
    const admin = await makeStaff(fx.db, 'admin');
    const second = createRoom({ db: fx.db, examId: s.exam.id, name: '二号考场' });
    const chief = await makeChief(fx.db, s.exam.id);
    assignInvigilator({ db: fx.db, roomId: second.id, userId: chief.id });
    const successor = await makeStaff(fx.db, 'invigilator');
    const removed: [string[], number][] = [];
    const removeStaff = async (rooms: string[], userId: number) => void removed.push([rooms, userId]);

    setChief({ db: fx.db, actorId: admin.id, examId: s.exam.id, userId: successor.id, removeStaff });
    expect(removed).toEqual([[[s.room.livekitRoom], chief.id]]);

    setStaffArchived({ db: fx.db, actorId: admin.id, userId: chief.id, archived: true, removeStaff });
    expect(removed[1]).toEqual([[second.livekitRoom], chief.id]);
    expect(fx.db.select().from(examRooms).all()).toHaveLength(2);
  });
});
