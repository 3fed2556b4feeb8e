import { candidateIdentity } from '@/server/livekit/tokens';
import { TRPCError } from '@trpc/server';
import { describe, expect, it, vi } from 'vitest';
import { env } from '@/server/env';
import { userFromSession } from '@/server/services/auth';
import { createRoom, registerCandidate } from '@/server/services/setup';
import { makeCandidate, makeExam, makeRoomScenario, makeStaff, PASSWORD } from '../fixtures/factories';
import { createTestDb } from '../helpers/db';
import { useTestDb } from '../helpers/unit-db';
import { callerFor, claimsOf, httpCall, makeContext } from '../helpers/unit-support';

// Logins read the client's address from the request (Next's request scope).
vi.mock('next/headers', () => ({ headers: async () => new Headers({ 'x-forwarded-for': '192.0.2.30' }) }));

const fx = useTestDb();

async function trpcError(p: Promise<unknown>) {
  const err = await p.then(
    () => {
      throw new Error('expected the call to be refused');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(TRPCError);
  return err as TRPCError;
}

describe('who may call what', () => {
  it('a candidate calling room.listMine is refused with FORBIDDEN', async () => {
    const { candidates } = await makeRoomScenario(fx.db);
    const err = await trpcError(callerFor(makeContext(fx.db, candidates[0]!)).room.listMine());
    expect(err.code).toBe('FORBIDDEN');
  });

  it('an anonymous visitor calling exam.listMine is refused with UNAUTHORIZED', async () => {
    await makeRoomScenario(fx.db);
    const err = await trpcError(callerFor(makeContext(fx.db, null)).exam.listMine());
    expect(err.code).toBe('UNAUTHORIZED');
  });

  it('an anonymous visitor calling room.byId is refused with UNAUTHORIZED', async () => {
    const { room } = await makeRoomScenario(fx.db);
    const err = await trpcError(callerFor(makeContext(fx.db, null)).room.byId({ roomId: room.id }));
    expect(err.code).toBe('UNAUTHORIZED');
  });

  it('an invigilator cannot enter an exam', async () => {
    const { exam, invigilator } = await makeRoomScenario(fx.db);
    const err = await trpcError(callerFor(makeContext(fx.db, invigilator)).exam.enter({ examId: exam.id }));
    expect(err.code).toBe('FORBIDDEN');
  });

  it('an invigilator cannot list a candidate’s exams', async () => {
    const { invigilator } = await makeRoomScenario(fx.db);
    const err = await trpcError(callerFor(makeContext(fx.db, invigilator)).exam.listMine());
    expect(err.code).toBe('FORBIDDEN');
  });

  it('a support staff member cannot use the invigilator room procedures', async () => {
    const { room } = await makeRoomScenario(fx.db);
    const support = await makeStaff(fx.db, 'support');
    const caller = callerFor(makeContext(fx.db, support));

    expect((await trpcError(caller.room.listMine())).code).toBe('FORBIDDEN');
    expect((await trpcError(caller.room.byId({ roomId: room.id }))).code).toBe('FORBIDDEN');
  });

  it('a candidate cannot get a watch token for a room', async () => {
    const { room, candidates } = await makeRoomScenario(fx.db);
    const err = await trpcError(callerFor(makeContext(fx.db, candidates[0]!)).room.watchToken({ roomId: room.id }));
    expect(err.code).toBe('FORBIDDEN');
  });
});

describe('invigilator rooms', () => {
  it('an invigilator lists only the rooms assigned to them, with the candidate count', async () => {
    const mine = await makeRoomScenario(fx.db, { candidates: 3 });
    await makeRoomScenario(fx.db, { candidates: 1 });

    const rooms = await callerFor(makeContext(fx.db, mine.invigilator)).room.listMine();

    expect(rooms).toEqual([expect.objectContaining({ id: mine.room.id, examId: mine.exam.id, candidates: 3 })]);
  });

  it('an invigilator calling room.byId for an unassigned room is refused with FORBIDDEN', async () => {
    const mine = await makeRoomScenario(fx.db);
    const theirs = await makeRoomScenario(fx.db);

    const err = await trpcError(callerFor(makeContext(fx.db, mine.invigilator)).room.byId({ roomId: theirs.room.id }));

    expect(err.code).toBe('FORBIDDEN');
    expect(err.cause).toMatchObject({ key: 'room.notAssigned' });
  });

  it('an invigilator opening their assigned room sees one tile per candidate in seat order', async () => {
    const { exam, room, invigilator, candidates } = await makeRoomScenario(fx.db, { candidates: 3 });

    const view = await callerFor(makeContext(fx.db, invigilator)).room.byId({ roomId: room.id });

    expect(view.room).toEqual({ id: room.id, name: room.name });
    expect(view.exam).toMatchObject({ id: exam.id, title: exam.title });
    expect(view.lastEventId).toBe(0);
    expect(view.tiles).toHaveLength(3);
    expect(view.tiles.map((t) => [t.seat, t.candidateId, t.name])).toEqual(candidates.map((c, i) => [i + 1, c.id, c.name]));
    for (const t of view.tiles) {
      expect(t.pc).toEqual({ status: 'not_joined', tracks: [], since: null });
      expect(t.phone).toEqual({ status: 'not_joined', tracks: [], since: null });
    }
  });

  it('an invigilator asking for a room that does not exist gets NOT_FOUND', async () => {
    const { room, invigilator } = await makeRoomScenario(fx.db);
    const err = await trpcError(callerFor(makeContext(fx.db, invigilator)).room.byId({ roomId: room.id + 1000 }));
    expect(err.code).toBe('NOT_FOUND');
  });

  it('an admin may open any room without an assignment', async () => {
    const { room } = await makeRoomScenario(fx.db, { candidates: 2 });
    const admin = await makeStaff(fx.db, 'admin');

    const view = await callerFor(makeContext(fx.db, admin)).room.byId({ roomId: room.id });

    expect(view.tiles).toHaveLength(2);
  });

  it('an invigilator gets a watch token for their assigned room only', async () => {
    const mine = await makeRoomScenario(fx.db);
    const theirs = await makeRoomScenario(fx.db);
    const caller = callerFor(makeContext(fx.db, mine.invigilator));

    const token = await caller.room.watchToken({ roomId: mine.room.id });
    const err = await trpcError(caller.room.watchToken({ roomId: theirs.room.id }));

    expect(claimsOf(token.token).video).toMatchObject({ room: mine.room.livekitRoom, canSubscribe: true, canPublish: false });
    expect(err.code).toBe('FORBIDDEN');
  });
});

describe('candidate exams through the router', () => {
  it('a candidate lists their own exams and enters one open for entry', async () => {
    const { exam, room, candidates } = await makeRoomScenario(fx.db);
    await makeRoomScenario(fx.db);
    const caller = callerFor(makeContext(fx.db, candidates[0]!));

    const list = await caller.exam.listMine();
    const entered = await caller.exam.enter({ examId: exam.id });

    expect(list.map((e) => e.id)).toEqual([exam.id]);
    expect(entered.livekit.room).toBe(room.livekitRoom);
    expect(claimsOf(entered.livekit.token).sub).toBe(candidateIdentity(candidates[0]!.id, 'pc'));
  });

  it('a candidate entering another candidate’s exam gets NOT_FOUND', async () => {
    const mine = await makeRoomScenario(fx.db);
    const theirs = await makeRoomScenario(fx.db);

    const err = await trpcError(callerFor(makeContext(fx.db, mine.candidates[0]!)).exam.enter({ examId: theirs.exam.id }));

    expect(err.code).toBe('NOT_FOUND');
  });

  it('a candidate entering before the window opens gets PRECONDITION_FAILED', async () => {
    const { exam, candidates } = await makeRoomScenario(fx.db, { exam: { opensIn: 5, closesIn: 60 } });

    const err = await trpcError(callerFor(makeContext(fx.db, candidates[0]!)).exam.enter({ examId: exam.id }));

    expect(err.code).toBe('PRECONDITION_FAILED');
    expect(err.cause).toMatchObject({ key: 'exam.entryNotOpen' });
  });

  it('a candidate sending a malformed exam id gets BAD_REQUEST', async () => {
    const { candidates } = await makeRoomScenario(fx.db);
    const err = await trpcError(callerFor(makeContext(fx.db, candidates[0]!)).exam.enter({ examId: -1 }));
    expect(err.code).toBe('BAD_REQUEST');
  });
});

describe('auth procedures', () => {
  it('a candidate logging in gets an HttpOnly session cookie that identifies them', async () => {
    const cand = await makeCandidate(fx.db);
    const ctx = makeContext(fx.db, null);

    const res = await callerFor(ctx).auth.loginCandidate({ idNumber: cand.idNumber!, password: PASSWORD });

    expect(res).toEqual({ user: expect.objectContaining({ id: cand.id, role: 'candidate' }), home: '/exams' });
    const cookie = ctx.resHeaders.get('set-cookie')!;
    expect(cookie).toMatch(/^sid=[^;]+;/);
    expect(cookie.split('; ')).toEqual(expect.arrayContaining(['HttpOnly', 'SameSite=Lax', 'Path=/']));
    expect(cookie).not.toMatch(/Secure/);
    const token = decodeURIComponent(/^sid=([^;]+)/.exec(cookie)![1]!);
    expect(userFromSession({ db: fx.db, token })).toMatchObject({ id: cand.id });
  });

  it('a candidate logging in over HTTPS gets a Secure cookie', async () => {
    const cand = await makeCandidate(fx.db);
    const ctx = makeContext(fx.db, null, { secureCookies: true });

    await callerFor(ctx).auth.loginCandidate({ idNumber: cand.idNumber!, password: PASSWORD });

    expect(ctx.resHeaders.get('set-cookie')!.split('; ')).toEqual(expect.arrayContaining(['HttpOnly', 'Secure']));
  });

  it('an invigilator logging in through the staff procedure is sent to the rooms page', async () => {
    const staff = await makeStaff(fx.db, 'invigilator');
    const ctx = makeContext(fx.db, null);

    const res = await callerFor(ctx).auth.loginStaff({ username: staff.username!, password: PASSWORD });

    expect(res.home).toBe('/rooms');
    expect(ctx.resHeaders.get('set-cookie')).toMatch(/HttpOnly/);
  });

  it('a candidate with a wrong password gets UNAUTHORIZED and no cookie', async () => {
    const cand = await makeCandidate(fx.db);
    const ctx = makeContext(fx.db, null);

    const err = await trpcError(callerFor(ctx).auth.loginCandidate({ idNumber: cand.idNumber!, password: 'wrong' }));

    expect(err.code).toBe('UNAUTHORIZED');
    expect(ctx.resHeaders.get('set-cookie')).toBeNull();
  });

  it('a logged-in candidate logging out loses the session and gets the cookie cleared', async () => {
    const cand = await makeCandidate(fx.db);
    const loginCtx = makeContext(fx.db, null);
    await callerFor(loginCtx).auth.loginCandidate({ idNumber: cand.idNumber!, password: PASSWORD });
    const token = decodeURIComponent(/^sid=([^;]+)/.exec(loginCtx.resHeaders.get('set-cookie')!)![1]!);
    const ctx = makeContext(fx.db, cand, { sessionToken: token });

    expect(await callerFor(ctx).auth.me()).toMatchObject({ id: cand.id });
    await callerFor(ctx).auth.logout();

    expect(userFromSession({ db: fx.db, token })).toBeNull();
    expect(ctx.resHeaders.get('set-cookie')).toMatch(/^sid=;.*Max-Age=0/);
  });

  it('an anonymous visitor is nobody and cannot log out', async () => {
    const ctx = makeContext(fx.db, null);
    expect(await callerFor(ctx).auth.me()).toBeNull();
    expect((await trpcError(callerFor(ctx).auth.logout())).code).toBe('UNAUTHORIZED');
  });
});

describe('errors over HTTP', () => {
  it('a candidate typing a malformed ID number gets 400 with a message for that field', async () => {
    const { body, status } = await httpCall({
      ctx: makeContext(fx.db, null, { locale: 'en' }),
      path: 'auth.loginCandidate',
      input: { idNumber: '123', password: 'x' },
    });

    expect(status).toBe(400);
    const err = body.error.json;
    expect(err.data.httpStatus).toBe(400);
    expect(err.data.appCode).toBe('invalidInput');
    expect(err.message).toBe('Some fields are not valid; check the marked fields.');
    expect(typeof err.data.fieldErrors.idNumber).toBe('string');
    expect(err.data.fieldErrors.idNumber.length).toBeGreaterThan(0);
    expect(err.data.fieldErrors.password).toBeUndefined();
  });

  it('a candidate leaving every field empty gets a Chinese message per field, with the length limit filled in', async () => {
    const { body, status } = await httpCall({
      ctx: makeContext(fx.db, null, { locale: 'zh-CN' }),
      path: 'auth.loginCandidate',
      input: { idNumber: '', password: '' },
    });

    expect(status).toBe(400);
    const { fieldErrors } = body.error.json.data;
    expect(body.error.json.message).toBe('输入有误，请检查标出的字段。');
    expect(fieldErrors.idNumber).toBe('格式不正确');
    expect(fieldErrors.password).toBe('不能为空');
  });

  it('a candidate with a wrong password is told so in Chinese, with the attempts left', async () => {
    const cand = await makeCandidate(fx.db);

    const { body, status } = await httpCall({
      ctx: makeContext(fx.db, null, { locale: 'zh-CN' }),
      path: 'auth.loginCandidate',
      input: { idNumber: cand.idNumber, password: 'wrong' },
    });

    expect(status).toBe(401);
    const err = body.error.json;
    expect(err.message).toContain('账号或密码错误');
    expect(err.message).toContain(String(env.LOGIN_MAX_FAILURES - 1));
    expect(err.data).toMatchObject({ httpStatus: 401, appCode: 'auth.badCredentials', fieldErrors: null, code: 'UNAUTHORIZED' });
  });

  it('a candidate with a wrong password is told so in English', async () => {
    const cand = await makeCandidate(fx.db);

    const { body } = await httpCall({
      ctx: makeContext(fx.db, null, { locale: 'en' }),
      path: 'auth.loginCandidate',
      input: { idNumber: cand.idNumber, password: 'wrong' },
    });

    expect(body.error.json.message).toBe(`Wrong ID or password. ${env.LOGIN_MAX_FAILURES - 1} attempts left.`);
  });

  it('a candidate past the allowed failures is told in English how many seconds to wait, with status 429', async () => {
    const cand = await makeCandidate(fx.db);
    const ctx = makeContext(fx.db, null, { locale: 'en' });
    for (let i = 0; i < env.LOGIN_MAX_FAILURES; i++) {
      await httpCall({ ctx, path: 'auth.loginCandidate', input: { idNumber: cand.idNumber, password: 'wrong' } });
    }

    const { body, status } = await httpCall({ ctx, path: 'auth.loginCandidate', input: { idNumber: cand.idNumber, password: PASSWORD } });

    expect(status).toBe(429);
    expect(body.error.json.data.appCode).toBe('auth.slowDown');
    expect(body.error.json.message).toMatch(/Wait \d+ seconds/);
  });

  it('a candidate entering before the window opens is told in English when it opens', async () => {
    const cand = await makeCandidate(fx.db);
    const exam = makeExam(fx.db, { opensIn: 5, closesIn: 60 });
    const room = createRoom({ db: fx.db, examId: exam.id, name: 'A' });
    registerCandidate({ db: fx.db, examId: exam.id, roomId: room.id, candidateId: cand.id, seat: 1 });

    const { body, status } = await httpCall({
      ctx: makeContext(fx.db, cand, { locale: 'en' }),
      path: 'exam.enter',
      input: { examId: exam.id },
    });

    expect(status).toBe(412);
    expect(body.error.json.data.appCode).toBe('exam.entryNotOpen');
    expect(body.error.json.message).toMatch(/^Entry has not opened yet; it opens at .+\.$/);
    expect(body.error.json.message).not.toContain('{');
  });

  it('an unexpected server error is reported as internal, translated, and never leaks a stack or the cause', async () => {
    const cand = await makeCandidate(fx.db);
    const broken = createTestDb();
    broken.$client.close();

    try {
      const { body, status, text } = await httpCall({
        ctx: makeContext(broken, null, { locale: 'en' }),
        path: 'auth.loginCandidate',
        input: { idNumber: cand.idNumber, password: PASSWORD },
      });

      expect(status).toBe(500);
      const err = body.error.json;
      expect(err.data.appCode).toBe('internal');
      expect(err.message).toBe('Something went wrong on the server. Try again; if it keeps happening, contact support.');
      // superjson writes an undefined value as null plus a type note; either way there is no stack.
      expect(err.data.stack ?? undefined).toBeUndefined();
      expect(text).not.toMatch(/\bat .+:\d+:\d+/);
      expect(text).not.toMatch(/database connection is not open/i);
      expect(text).not.toContain('node_modules');
    } finally {
      broken.cleanup();
    }
  });
});

describe('validation messages', () => {
  it('an invigilator asking for too much extra time is told the limit as a number, not as characters', async () => {
    const staff = await makeStaff(fx.db, 'invigilator');
    const { body, status } = await httpCall({
      ctx: makeContext(fx.db, staff),
      path: 'invigilate.addTime',
      input: { roomId: 1, candidateId: 1, minutes: 121, reason: '网络中断' },
    });
    expect(status).toBe(400);
    expect(body.error.json.data.fieldErrors.minutes).toBe('不能大于 120');
  });

  it('a list over its size limit is told the number of items', async () => {
    const staff = await makeStaff(fx.db, 'invigilator');
    const { body } = await httpCall({
      ctx: makeContext(fx.db, staff, { locale: 'en' }),
      path: 'invigilate.markViewed',
      input: { roomId: 1, candidateIds: Array.from({ length: 41 }, (_, i) => i + 1) },
    });
    expect(body.error.json.data.fieldErrors.candidateIds).toBe('At most 40 items');
  });
});
