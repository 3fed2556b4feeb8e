import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { auditLog } from '@/db/schema';
import { serverTranslator } from '@/server/i18n/messages';
import { actionLabel, listAudit } from '@/server/services/admin/audit-log';
import { audit } from '@/server/services/audit';
import { login } from '@/server/services/auth';
import { addPreset, addTime, createFlag, endExam, resolveFlag } from '@/server/services/invigilate';
import { makeSittingScenario, makeStaff, PASSWORD } from '../fixtures/factories';
import { createTestDb } from '../helpers/db';
import { callerFor, makeContext, trpcRefusal, asStaff, cookieHeaders } from '../helpers/unit-support';

const route = vi.hoisted(() => ({ db: undefined as unknown, token: undefined as string | undefined }));
vi.mock('@/server/db', () => ({ getDb: () => route.db }));

const { GET } = await import('@/app/api/admin/audit/route');

let db: ReturnType<typeof createTestDb>;
beforeEach(() => {
  db = createTestDb();
  route.db = db;
  route.token = undefined;
});
afterEach(() => db.cleanup());

const MIN = 60_000;
const T0 = new Date('2026-06-01T02:00:00Z');
const at = (m: number) => new Date(T0.getTime() + m * MIN);

/**
 * Exam 1 (room A): the grid's actions, audited with the room only: a flag raised and decided,
 * extra time, a preset (exam in the detail), an ended exam. A back-office row with the exam
 * only. Exam 2: a flag and extra time. Times a minute apart, in that order.
 */
async function world() {
  const one = await makeSittingScenario(db, { candidates: 2 });
  const two = await makeSittingScenario(db);
  const admin = await makeStaff(db, 'admin');
  const inv = (s: typeof one) => ({ db, caller: asStaff(s.invigilator) });
  const [c1, c2] = one.candidates as [(typeof one.candidates)[0], (typeof one.candidates)[0]];
  const { flagId } = createFlag({ ...inv(one), roomId: one.room.id, candidateId: c1.id, note: '可疑', now: at(1) });
  resolveFlag({ ...inv(one), flagId, resolution: 'dismissed', note: '误报', now: at(2) });
  addTime({ ...inv(one), roomId: one.room.id, candidateId: c1.id, minutes: 10, reason: '断网', now: at(3) });
  addPreset({ ...inv(one), examId: one.exam.id, text: '请坐正', now: at(4) });
  endExam({ ...inv(one), roomId: one.room.id, candidateId: c2.id, reason: '违纪', now: at(5) });
  db.transaction((tx) => audit(tx, { actorId: admin.id, action: 'candidate.password_login_enabled', examId: one.exam.id, candidateId: c1.id, at: at(6) }));
  createFlag({ ...inv(two), roomId: two.room.id, candidateId: two.candidates[0]!.id, note: '别的考试', now: at(7) });
  addTime({ ...inv(two), roomId: two.room.id, candidateId: two.candidates[0]!.id, minutes: 5, reason: '别的考试', now: at(8) });
  return { one, two, admin, c1, c2 };
}

describe('audit log list', () => {
  it('newest first, with actor, exam, room, candidate and detail', async () => {
    const w = await world();
    const { items, nextCursor } = listAudit({ db, filter: {}, limit: 50 });
    expect(nextCursor).toBeNull();
    expect(items.map((i) => i.action)).toEqual([
      'time.added',
      'flag.created',
      'candidate.password_login_enabled',
      'exam.ended',
      'preset.added',
      'time.added',
      'flag.resolved',
      'flag.created',
    ]);
    const ended = items.find((i) => i.action === 'exam.ended')!;
    expect(ended).toMatchObject({
      actorName: w.one.invigilator.name,
      actorRole: 'invigilator',
      examId: w.one.exam.id,
      examTitle: w.one.exam.title,
      roomName: w.one.room.name,
      candidateName: w.c2.name,
      candidateIdNumber: w.c2.idNumber,
      detail: { reason: '违纪' },
    });
    expect(items.find((i) => i.action === 'preset.added')).toMatchObject({ examTitle: w.one.exam.title, roomName: null });
    expect(items.find((i) => i.action === 'candidate.password_login_enabled')).toMatchObject({
      actorRole: 'admin',
      examTitle: w.one.exam.title,
      roomName: null,
    });
  });

  it('by exam: rows naming the exam, its rooms, or it in their detail', async () => {
    const w = await world();
    const one = listAudit({ db, filter: { examId: w.one.exam.id }, limit: 50 }).items;
    expect(one.map((i) => i.action)).toEqual(['candidate.password_login_enabled', 'exam.ended', 'preset.added', 'time.added', 'flag.resolved', 'flag.created']);
    expect(listAudit({ db, filter: { examId: w.two.exam.id }, limit: 50 }).items.map((i) => i.action)).toEqual(['time.added', 'flag.created']);
  });

  it('by actor, action and time range (inclusive)', async () => {
    const w = await world();
    expect(listAudit({ db, filter: { actorId: w.admin.id }, limit: 50 }).items).toHaveLength(1);
    expect(listAudit({ db, filter: { action: 'time.added' }, limit: 50 }).items.map((i) => i.detail.minutes)).toEqual([5, 10]);
    expect(listAudit({ db, filter: { action: 'time.added', examId: w.one.exam.id }, limit: 50 }).items).toHaveLength(1);
    expect(listAudit({ db, filter: { from: at(2), to: at(4) }, limit: 50 }).items.map((i) => i.action)).toEqual([
      'preset.added',
      'time.added',
      'flag.resolved',
    ]);
    expect(listAudit({ db, filter: { from: at(9) }, limit: 50 }).items).toEqual([]);
  });

  it('pages with a cursor until the end, no row twice', async () => {
    await world();
    const seen: number[] = [];
    let cursor: number | undefined;
    let pages = 0;
    for (;;) {
      const page = listAudit({ db, filter: {}, cursor, limit: 3 });
      seen.push(...page.items.map((i) => i.id));
      pages++;
      if (page.nextCursor == null) break;
      cursor = page.nextCursor;
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(8);
    expect([...seen].sort((a, b) => b - a)).toEqual(seen);
    expect(new Set(seen).size).toBe(8);
  });

  it('the issue’s examples are audited: who ended whose exam, extra time, flags decided', async () => {
    const w = await world();
    const rows = db.select().from(auditLog).all();
    expect(rows.find((r) => r.action === 'exam.ended')).toMatchObject({ actorId: w.one.invigilator.id, candidateId: w.c2.id });
    expect(rows.find((r) => r.action === 'time.added' && r.candidateId === w.c1.id)!.detail).toMatchObject({ minutes: 10, reason: '断网' });
    expect(rows.find((r) => r.action === 'flag.resolved')!.detail).toMatchObject({ resolution: 'dismissed', note: '误报' });
  });
});

describe('action labels', () => {
  it('are looked up in the audit’s own words, then the other back-office areas’, else the raw action', () => {
    const zh = serverTranslator('zh-CN') as unknown as Parameters<typeof actionLabel>[0];
    expect(actionLabel(zh, 'exam.ended')).toBe('结束考生考试');
    expect(actionLabel(zh, 'flag.resolved')).toBe('处理异常提示');
    expect(actionLabel(zh, 'something.new')).toBe('something.new');
    const en = serverTranslator('en') as unknown as Parameters<typeof actionLabel>[0];
    expect(actionLabel(en, 'time.added')).toBe('Gave extra time');
  });
});

describe('admin.audit procedures', () => {
  it('list and filters for an admin', async () => {
    const w = await world();
    const caller = callerFor(makeContext(db, w.admin));
    const page = await caller.admin.audit.list({ examId: w.two.exam.id, limit: 1 });
    expect(page.items.map((i) => i.action)).toEqual(['time.added']);
    expect(page.nextCursor).toBe(page.items[0]!.id);
    const next = await caller.admin.audit.list({ examId: w.two.exam.id, limit: 1, cursor: page.nextCursor! });
    expect(next.items.map((i) => i.action)).toEqual(['flag.created']);
    const opts = await caller.admin.audit.filters();
    expect(opts.actions).toEqual(['candidate.password_login_enabled', 'exam.ended', 'flag.created', 'flag.resolved', 'preset.added', 'time.added']);
    expect(opts.exams.map((e) => e.id).sort()).toEqual([w.one.exam.id, w.two.exam.id].sort());
  });

  it('refuses candidates, invigilators and support with FORBIDDEN', async () => {
    const w = await world();
    for (const user of [w.c1, w.one.invigilator, await makeStaff(db, 'support')]) {
      const caller = callerFor(makeContext(db, user));
      expect((await trpcRefusal(caller.admin.audit.list({ limit: 10 }))).code).toBe('FORBIDDEN');
      expect((await trpcRefusal(caller.admin.audit.filters())).code).toBe('FORBIDDEN');
    }
  });

  it('refuses a bad limit', async () => {
    const w = await world();
    expect((await trpcRefusal(callerFor(makeContext(db, w.admin)).admin.audit.list({ limit: 1000 }))).code).toBe('BAD_REQUEST');
  });
});

describe('GET /api/admin/audit', () => {
  const signIn = async (username: string) => {
    route.token = (await login({ db, kind: 'staff', identifier: username, password: PASSWORD })).token;
  };
  const get = async (query = '') => {
    const res = await GET(new Request(`http://localhost/api/admin/audit${query}`, { headers: cookieHeaders(route) }));
    return { res, text: res.status === 200 ? new TextDecoder('utf-8', { ignoreBOM: true }).decode(await res.arrayBuffer()) : '' };
  };

  it('exports the filtered log as CSV with worded actions', async () => {
    const w = await world();
    await signIn(w.admin.username!);
    const { res, text } = await get(`?examId=${w.one.exam.id}&action=exam.ended`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(text.startsWith('\uFEFF时间,操作人,角色,操作,操作代码,考试,考场,考生,身份证号,详情\r\n')).toBe(true);
    const lines = text.trim().split('\r\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain(`,${w.one.invigilator.name},监考员,结束考生考试,exam.ended,`);
    expect(lines[1]).toContain(w.c2.idNumber!);
    expect(lines[1]).toContain('"{""reason"":""违纪""}"');
    const range = await get(`?from=${at(2).toISOString()}&to=${at(4).toISOString()}`);
    expect(range.text.trim().split('\r\n')).toHaveLength(4);
  });

  it('400 for bad filters, 401 without a session, 403 for other staff', async () => {
    const w = await world();
    expect((await get()).res.status).toBe(401);
    await signIn(w.one.invigilator.username!);
    expect((await get()).res.status).toBe(403);
    await signIn(w.admin.username!);
    expect((await get('?examId=abc')).res.status).toBe(400);
    expect((await get('?from=not-a-date')).res.status).toBe(400);
  });
});
