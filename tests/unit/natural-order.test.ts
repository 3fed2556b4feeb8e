import { describe, expect, it } from 'vitest';
import { compareNatural } from '@/server/natural-order';
import { listRooms } from '@/server/services/admin/rooms';
import { composeOptions } from '@/server/services/messages';
import { listInvigilatorRooms } from '@/server/services/rooms';
import { assignInvigilator, createRoom } from '@/server/services/setup';
import { makeExam, makeStaff } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { asStaff } from '../helpers/unit-support';

const fx = useTestDb();

describe('room names sort naturally', () => {
  it('counts numbers as numbers, whatever the spacing or digit width', () => {
    const names = ['第10考场', 'Room 10', '第 2 考场', '第1考场', 'Room 2', '第１１考场', '第2考场'];
    expect([...names].sort(compareNatural)).toEqual(['第1考场', '第 2 考场', '第2考场', '第10考场', '第１１考场', 'Room 2', 'Room 10']);
  });

  it('reads Chinese numerals as numbers too: 第一 before 第二 before 第十 before 第十二', () => {
    const names = ['第十二考场', '第二考场', '第十考场', '第一考场', '第二十考场', '第三考场'];
    expect([...names].sort(compareNatural)).toEqual(['第一考场', '第二考场', '第三考场', '第十考场', '第十二考场', '第二十考场']);
  });

  it('every room list reads in that order: admin rooms, my rooms, the message audience picker', async () => {
    const exam = makeExam(fx.db);
    const invigilator = await makeStaff(fx.db, 'invigilator');
    const admin = await makeStaff(fx.db, 'admin');
    // Created out of order, so neither id nor SQL's character order would pass.
    for (const name of ['第10考场', '第2考场', '第1考场']) {
      const room = createRoom({ db: fx.db, examId: exam.id, name });
      assignInvigilator({ db: fx.db, roomId: room.id, userId: invigilator.id });
    }
    const expected = ['第1考场', '第2考场', '第10考场'];
    expect(listRooms({ db: fx.db, examId: exam.id }).rooms.map((r) => r.name)).toEqual(expected);
    expect(listInvigilatorRooms({ db: fx.db, caller: asStaff(invigilator) }).map((r) => r.name)).toEqual(expected);
    expect(composeOptions({ db: fx.db, caller: asStaff(invigilator) }).rooms.map((r) => r.name)).toEqual(expected);
    expect(composeOptions({ db: fx.db, caller: asStaff(admin) }).rooms.map((r) => r.name)).toEqual(expected);
  });
});
