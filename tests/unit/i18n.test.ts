import { describe, expect, it } from 'vitest';
import { createFormatter, createTranslator } from 'next-intl';
import { APP_TIME_ZONE } from '@/server/i18n/config';
import { formats } from '@/server/i18n/formats';
import { catalogues, serverTranslator } from '@/server/i18n/messages';

function keys(obj: unknown, prefix = ''): string[] {
  if (typeof obj !== 'object' || obj === null) return [prefix];
  return Object.entries(obj).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
}

describe('message catalogues', () => {
  it('zh-CN and en have exactly the same keys, so no screen falls back to a raw key', () => {
    const zh = keys(catalogues['zh-CN']).sort();
    const en = keys(catalogues.en).sort();
    expect(zh.filter((k) => !en.includes(k))).toEqual([]);
    expect(en.filter((k) => !zh.includes(k))).toEqual([]);
  });

  it('no message is empty', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const empty: string[] = [];
      const walk = (o: unknown, p: string) => {
        if (typeof o === 'string') {
          if (!o.trim()) empty.push(p);
        } else if (o && typeof o === 'object') for (const [k, v] of Object.entries(o)) walk(v, `${p}.${k}`);
      };
      walk(catalogues[locale], locale);
      expect(empty).toEqual([]);
    }
  });
});

/** English plural nouns that follow a count in the catalogue; "1 candidates" is the mistake to catch. */
const PLURAL_NOUNS = [
  'accounts',
  'answers',
  'attempts',
  'candidates',
  'characters',
  'chunks',
  'conflicts',
  'days',
  'exams',
  'faces',
  'files',
  'frames',
  'hours',
  'items',
  'megapixels',
  'messages',
  'minutes',
  'parts',
  'people',
  'photos',
  'points',
  'problems',
  'questions',
  'replies',
  'rooms',
  'rows',
  'runs',
  'seats',
  'seconds',
  'times',
  'tries',
];
/** "1", up to two words that qualify the noun ("1 new accounts", "1 recording parts"), the noun; not "1 with problems". */
const ONE_WITH_PLURAL = new RegExp(`\\b1 ((?!(?:with|of|in|to|for|at|over|from|and|or)\\b)[a-z][\\w-]* ){0,2}(${PLURAL_NOUNS.join('|')})\\b`);

function strings(obj: unknown, prefix = ''): [string, string][] {
  if (typeof obj === 'string') return [[prefix, obj]];
  if (typeof obj !== 'object' || obj === null) return [];
  return Object.entries(obj).flatMap(([k, v]) => strings(v, prefix ? `${prefix}.${k}` : k));
}

describe('English plurals', () => {
  const t = createTranslator({ locale: 'en', messages: catalogues.en, timeZone: APP_TIME_ZONE, formats, onError: () => {} }) as unknown as (
    key: string,
    values: Record<string, unknown>,
  ) => string;
  /** Every message with every argument 1 (a count of one, a date at the epoch, a select's `other`). */
  const renderedWithOnes = strings(catalogues.en).map(([key, message]) => {
    const values = Object.fromEntries([...message.matchAll(/\{(\w+)/g)].map((m) => [m[1], 1]));
    return [key, t(key, values)] as const;
  });

  it('the check itself catches "1 candidates" and lets "1 candidate" and "1 with problems" through', () => {
    expect(ONE_WITH_PLURAL.test('Import 1 candidates')).toBe(true);
    expect(ONE_WITH_PLURAL.test('Imported 1 candidate: 1 new accounts')).toBe(true);
    expect(ONE_WITH_PLURAL.test('Import 1 candidate')).toBe(false);
    expect(ONE_WITH_PLURAL.test('2 rows: 1 ready to import, 1 with problems')).toBe(false);
  });

  it('no English message says a count of one with a plural noun: counts go through {count, plural, ...}', () => {
    expect(renderedWithOnes.length).toBeGreaterThan(500);
    expect(renderedWithOnes.filter(([, text]) => ONE_WITH_PLURAL.test(text))).toEqual([]);
  });

  it('a plural message says the plural for two: "2 candidates"', () => {
    expect(t('rooms.candidates', { count: 1 })).toBe('1 candidate');
    expect(t('rooms.candidates', { count: 2 })).toBe('2 candidates');
    expect(t('errors.auth.badCredentials', { remaining: 1 })).toBe('Wrong ID or password. 1 attempt left.');
  });
});

describe('date and time formats', () => {
  const at = new Date('2026-12-04T16:40:31Z'); // 00:40:31 on 5 December in Beijing
  const formatter = (locale: 'zh-CN' | 'en') => createFormatter({ locale, timeZone: APP_TIME_ZONE, formats });

  it('each named format says a time one way per locale, on Beijing time and a 24-hour clock', () => {
    const said = (locale: 'zh-CN' | 'en') =>
      Object.fromEntries(Object.keys(formats.dateTime).map((name) => [name, formatter(locale).dateTime(at, name as keyof typeof formats.dateTime)]));
    expect(said('zh-CN')).toEqual({
      date: '2026年12月5日',
      dateTime: '2026年12月5日 00:40',
      dateTimeSeconds: '2026年12月5日 00:40:31',
      dayTime: '12月5日 00:40',
      time: '00:40',
      timeSeconds: '00:40:31',
    });
    expect(said('en')).toEqual({
      date: 'Dec 5, 2026',
      dateTime: 'Dec 5, 2026, 00:40',
      dateTimeSeconds: 'Dec 5, 2026, 00:40:31',
      dayTime: 'Dec 5, 00:40',
      time: '00:40',
      timeSeconds: '00:40:31',
    });
  });

  it('messages name the same formats: a server error says the time as the pages do', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      const text = serverTranslator(locale)('errors.exam.entryNotOpen', { opensAt: at });
      expect(text).toContain(formatter(locale).dateTime(at, 'dayTime'));
    }
  });

  it('no message carries its own date or time skeleton (`::…`): formats are named in server/i18n/formats.ts', () => {
    for (const locale of ['zh-CN', 'en'] as const) {
      expect(
        strings(catalogues[locale]).filter(([, m]) => /\{\w+, (date|time), (?!(?:date|dateTime|dateTimeSeconds|dayTime|time|timeSeconds)\})/.test(m)),
      ).toEqual([]);
    }
  });
});
