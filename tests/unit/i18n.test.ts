import { describe, expect, it } from 'vitest';
import { catalogues } from '@/server/i18n/messages';

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
