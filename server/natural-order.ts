/**
 * The one order of room names (and any label with a number in it): the way people count, so
 * 第2考场 comes before 第10考场, 第二考场 before 第十考场, and "Room 2" before "Room 10". SQL's
 * `order by name` compares characters and would put 第10 before 第2 (and, by pinyin, 第二 before
 * 第一), so every room list sorts with this after reading. Shared by the server and the browser.
 */
const collator = new Intl.Collator('zh-CN', { numeric: true, sensitivity: 'base' });

const CN_DIGITS: Record<string, number> = { 零: 0, 〇: 0, 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5, 六: 6, 七: 7, 八: 8, 九: 9 };

/** 三 → 3, 十二 → 12, 二十 → 20, 一百零五 → 105: the numerals room names use. */
function chineseNumber(s: string): number {
  let total = 0;
  let digit = 0;
  for (const ch of s) {
    if (ch === '十' || ch === '百') {
      total += (digit || 1) * (ch === '十' ? 10 : 100);
      digit = 0;
    } else {
      digit = CN_DIGITS[ch] ?? 0;
    }
  }
  return total + digit;
}

/** Spacing, full-width digits and Chinese numerals are how a name was typed, not its order: 第 2 考场 and 第二考场 sort as 第2考场. */
const key = (s: string) =>
  s
    .normalize('NFKC')
    .replace(/\s+/g, '')
    .replace(/[零〇一二两三四五六七八九十百]+/g, (m) => String(chineseNumber(m)));

export function compareNatural(a: string, b: string): number {
  return collator.compare(key(a), key(b)) || (a < b ? -1 : a > b ? 1 : 0);
}

/** Rooms by name, naturally; equal names by id, so the order never depends on how rows were read. */
export function byRoomName(a: { name: string; id: number }, b: { name: string; id: number }): number {
  return compareNatural(a.name, b.name) || a.id - b.id;
}
