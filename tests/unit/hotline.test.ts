import { describe, expect, it } from 'vitest';
import { ZHotlineEnv } from '@/server/env';
import { hotlineFrom, NO_PHONE } from '@/server/hotline';
import { catalogues, serverTranslator } from '@/server/i18n/messages';
import { DEMO_HOTLINE } from '@/db/seed-data';

/** Every message key whose text takes the hotline's number. */
function callMessages(obj: unknown, prefix = ''): string[] {
  if (typeof obj === 'string') return obj.includes('{phone, select,') ? [prefix] : [];
  if (!obj || typeof obj !== 'object') return [];
  return Object.entries(obj).flatMap(([k, v]) => callMessages(v, prefix ? `${prefix}.${k}` : k));
}

/** Every message's text, for a search. */
function texts(obj: unknown): string[] {
  if (typeof obj === 'string') return [obj];
  return obj && typeof obj === 'object' ? Object.values(obj).flatMap(texts) : [];
}

describe('the hotline from the environment', () => {
  it('is all optional: unset or blank values are absent, never a made-up default', () => {
    expect(ZHotlineEnv.parse({})).toEqual({});
    const blank = ZHotlineEnv.parse({ SUPPORT_PHONE: '', SUPPORT_HOURS: '  ', SUPPORT_QQ: '', SUPPORT_EMAIL: '' });
    expect(Object.values(blank).filter((v) => v !== undefined)).toEqual([]);
    expect(hotlineFrom(blank)).toEqual({ phone: null, tel: null, hours: null, qq: null, email: null, args: { phone: NO_PHONE } });
  });

  it('takes a plausible number, hours, QQ and e-mail, trimmed; the number also as a tel: target', () => {
    const e = ZHotlineEnv.parse({
      SUPPORT_PHONE: ' 400-820 (1234) ',
      SUPPORT_HOURS: '每天 08:00–20:00',
      SUPPORT_QQ: '800012345',
      SUPPORT_EMAIL: 'help@exam.example.org',
    });
    expect(hotlineFrom(e)).toEqual({
      phone: '400-820 (1234)',
      tel: '4008201234',
      hours: '每天 08:00–20:00',
      qq: '800012345',
      email: 'help@exam.example.org',
      args: { phone: '400-820 (1234)' },
    });
    expect(hotlineFrom(ZHotlineEnv.parse({ SUPPORT_PHONE: '+86 10 1234 5678' })).tel).toBe('+861012345678');
  });

  it.each([
    ['SUPPORT_PHONE', 'call us'],
    ['SUPPORT_PHONE', '4'.repeat(33)],
    ['SUPPORT_PHONE', '400-800-1234 转 5'],
    ['SUPPORT_HOURS', 'x'.repeat(65)],
    ['SUPPORT_QQ', '0123456'],
    ['SUPPORT_QQ', 'qq800012345'],
    ['SUPPORT_EMAIL', 'support@'],
  ])('refuses %s=%j, naming the variable', (key, value) => {
    const r = ZHotlineEnv.safeParse({ [key]: value });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.path).toEqual([key]);
  });

  it('accepts the demo values the dev/demo runner and the browser tests use', () => {
    expect(hotlineFrom(ZHotlineEnv.parse(DEMO_HOTLINE)).phone).toBe(DEMO_HOTLINE.SUPPORT_PHONE);
  });
});

describe('messages that tell the candidate to call', () => {
  const configured = hotlineFrom(ZHotlineEnv.parse({ SUPPORT_PHONE: '400-820-1234' }));
  const none = hotlineFrom(ZHotlineEnv.parse({}));

  it('include the lockout, the login hint, the checks and the support FAQ, in both languages', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      expect(callMessages(catalogues[locale]).sort()).toEqual(
        [
          'deviceCheck.tips.tip4',
          'errors.auth.throttled',
          'login.candidateHint',
          'support.faq.networkBefore.a',
          'systemCheck.footnote',
          'systemCheck.server.failHelp',
        ].sort(),
      );
    }
  });

  it.each(['zh-CN', 'en'] as const)('in %s, give the number when there is one, and whom to ask when there is none', (locale) => {
    const t = serverTranslator(locale);
    for (const key of callMessages(catalogues[locale])) {
      const withNumber = t(key as 'errors.internal', { minutes: 15, ...configured.args });
      expect(withNumber, key).toContain('400-820-1234');
      const without = t(key as 'errors.internal', { minutes: 15, ...none.args });
      expect(without, key).not.toContain(NO_PHONE);
      expect(without, key).toMatch(locale === 'en' ? /exam office/ : /考务人员/);
    }
  });

  it('no message still speaks of "the 400 hotline" without its number', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      expect(texts(catalogues[locale]).filter((s) => /400 ?(热线|hotline)/.test(s))).toEqual([]);
    }
  });
});
