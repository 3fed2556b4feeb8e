import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { examRooms } from '@/db/schema';
import { STREAM_RECHECK } from '@/server/live/connection';
import { setPasswordLogin } from '@/server/services/admin/candidates';
import { setChief, unassignInvigilator } from '@/server/services/admin/rooms';
import { setStaffArchived } from '@/server/services/admin/staff';
import { openThread } from '@/server/services/help';
import { assignInvigilator, createRoom } from '@/server/services/setup';
import { makeChief, makeRoomScenario, makeStaff, makeSupportAgent } from '../fixtures/factories';
import { follow } from '../helpers/live';
import { useTestDb } from '../helpers/unit-db';

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

describe('revocation: open streams stop when access goes', () => {
  it('an invigilator unassigned from the room stops receiving the grid’s topic (refused: FORBIDDEN room.notAssigned)', async () => {
    const s = await makeRoomScenario(fx.db);
    const admin = await makeStaff(fx.db, 'admin');
    const topic = `room:${s.room.id}` as const;
    const live = await follow(fx.db, s.invigilator, [topic], { signal: fx.stop.signal });
    expect(live.opened).toEqual([topic]);

    unassignInvigilator({ db: fx.db, actorId: admin.id, roomId: s.room.id, userId: s.invigilator.id, removeStaff: async () => {} });

    expect((await live.next('refused')).data).toMatchObject({ topic, code: 'FORBIDDEN', key: 'room.notAssigned', message: '您未被分配到该考场，无法监考。' });
  });

  it('an archived support agent’s live connection ends, and a colleague’s does not', async () => {
    const s = await makeRoomScenario(fx.db, { candidates: 1 });
    openThread({ db: fx.db, candidateId: s.candidates[0]!.id, category: 'technical', body: '摄像头打不开' });
    const admin = await makeStaff(fx.db, 'admin');
    const agent = await makeSupportAgent(fx.db);
    const colleague = await makeSupportAgent(fx.db);
    const archivedDesk = await follow(fx.db, agent, ['desk'], { signal: fx.stop.signal });
    const liveDesk = await follow(fx.db, colleague, ['desk'], { signal: fx.stop.signal });

    setStaffArchived({ db: fx.db, actorId: admin.id, userId: agent.id, archived: true, removeStaff: async () => {} });

    // The session is gone: the connection ends (the page's reconnect then meets a 401).
    expect(await archivedDesk.ended()).toBe(true);
    expect(await liveDesk.ended(300)).toBe(false);
  });

  it('a candidate whose password login is switched off loses the session and their live connection ends', async () => {
    const s = await makeRoomScenario(fx.db, { candidates: 1 });
    const admin = await makeStaff(fx.db, 'admin');
    const cand = s.candidates[0]!;
    const live = await follow(fx.db, cand, ['messages'], { signal: fx.stop.signal });

    setPasswordLogin({ db: fx.db, actorId: admin.id, candidateId: cand.id, enabled: false });

    expect(await live.ended()).toBe(true);
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
