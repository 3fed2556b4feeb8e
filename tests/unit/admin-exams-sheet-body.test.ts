import { describe, expect, it } from 'vitest';
import { sheetBodyParts, sheetImageToken } from '@/components/exam/sheet-body';
import { sheetImageIds } from '@/server/services/admin/sheets';

describe('sheet bodies: text with image tokens', () => {
  it('splits text and images in order; the server reads the same ids', () => {
    const body = `阅读下图：\n${sheetImageToken(12, '图一')}\n然后回答。![图二](/api/attachments/7)`;
    expect(sheetBodyParts(body)).toEqual([
      { kind: 'text', text: '阅读下图：\n' },
      { kind: 'image', id: 12, caption: '图一' },
      { kind: 'text', text: '\n然后回答。' },
      { kind: 'image', id: 7, caption: '图二' },
    ]);
    expect(sheetImageIds(body)).toEqual([12, 7]);
  });

  it('anything but the exact attachment link stays text: no other URLs, no markup', () => {
    for (const body of ['![x](https://evil.example/a.png)', '<img src=x onerror=alert(1)>', '![x](/api/attachments/abc)', '![a]b](/api/attachments/1)']) {
      expect(sheetBodyParts(body)).toEqual([{ kind: 'text', text: body }]);
      expect(sheetImageIds(body)).toEqual([]);
    }
  });

  it('a caption cannot break out of the token', () => {
    expect(sheetImageToken(3, 'a]b\nc')).toBe('![a b c](/api/attachments/3)');
    expect(sheetBodyParts(sheetImageToken(3, 'a]b'))).toEqual([{ kind: 'image', id: 3, caption: 'a b' }]);
  });
});
