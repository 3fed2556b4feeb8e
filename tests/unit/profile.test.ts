import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { users } from '@/db/schema';
import { makeCandidate } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { httpCall, makeContext } from '../helpers/unit-support';

const fx = useTestDb();

const contact = (id: number) =>
  fx.db.select({ phone: users.phone, email: users.email, name: users.name, idNumber: users.idNumber }).from(users).where(eq(users.id, id)).get()!;

describe('a candidate updating their contact details over HTTP', () => {
  it('a bad phone number gets 400 with a Chinese message on the phone field only, and nothing is saved', async () => {
    const cand = await makeCandidate(fx.db);

    const { status, body } = await httpCall({
      ctx: makeContext(fx.db, cand, { locale: 'zh-CN' }),
      path: 'candidate.updateProfile',
      input: { phone: '2380013800', email: 'zhang@example.com' },
    });

    expect(status).toBe(400);
    const err = body.error.json;
    expect(err.message).toBe('输入有误，请检查标出的字段。');
    expect(err.data.appCode).toBe('invalidInput');
    expect(err.data.fieldErrors).toEqual({ phone: '格式不正确' });
    expect(contact(cand.id)).toMatchObject({ phone: null, email: null });
  });

  it('a bad e-mail gets 400 with an English message on the email field only', async () => {
    const cand = await makeCandidate(fx.db);

    const { status, body } = await httpCall({
      ctx: makeContext(fx.db, cand, { locale: 'en' }),
      path: 'candidate.updateProfile',
      input: { phone: '13800138000', email: 'not-an-email' },
    });

    expect(status).toBe(400);
    expect(body.error.json.message).toBe('Some fields are not valid; check the marked fields.');
    expect(body.error.json.data.fieldErrors).toEqual({ email: 'Not in the right format' });
  });

  it('both fields bad get one message each, in Chinese', async () => {
    const cand = await makeCandidate(fx.db);

    const { body } = await httpCall({
      ctx: makeContext(fx.db, cand, { locale: 'zh-CN' }),
      path: 'candidate.updateProfile',
      input: { phone: '138-0013-8000', email: 'zhang@' },
    });

    expect(body.error.json.data.fieldErrors).toEqual({ phone: '格式不正确', email: '格式不正确' });
  });

  it('good details are saved trimmed and returned, and name and ID number sent along are ignored', async () => {
    const cand = await makeCandidate(fx.db);

    const { status, body } = await httpCall({
      ctx: makeContext(fx.db, cand),
      path: 'candidate.updateProfile',
      input: { phone: ' 13912345678 ', email: ' li.ming@example.com ', name: '别人', idNumber: '110105199001010000' },
    });

    expect(status).toBe(200);
    expect(body.result.data.json).toMatchObject({ name: cand.name, phone: '13912345678', email: 'li.ming@example.com' });
    expect(contact(cand.id)).toEqual({ phone: '13912345678', email: 'li.ming@example.com', name: cand.name, idNumber: cand.idNumber });
  });

  it('a candidate’s profile shows the ID number masked', async () => {
    const cand = await makeCandidate(fx.db);

    const { body } = await httpCall({ ctx: makeContext(fx.db, cand), path: 'candidate.profile', input: undefined, method: 'GET' });

    const id = cand.idNumber!;
    expect(body.result.data.json.idNumber).toBe(`${id.slice(0, 4)}${'*'.repeat(10)}${id.slice(-4)}`);
  });
});
