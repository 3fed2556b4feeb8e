/**
 * Mainland resident ID numbers (GB 11643-1999): 6-digit region, 8-digit birth date, 3-digit
 * sequence and a check character (0-9 or X) computed from the first 17 digits (ISO 7064 MOD 11-2).
 * One implementation for the importer, the candidate editor and the test factories.
 */

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const CHECK_CHARS = '10X98765432';

/** The check character for the first 17 digits. */
export function checkCharacter(body17: string): string {
  let sum = 0;
  for (let i = 0; i < 17; i++) sum += (body17.charCodeAt(i) - 48) * WEIGHTS[i]!;
  return CHECK_CHARS[sum % 11]!;
}

/** The 17 digits with their check character appended. */
export const withCheckCharacter = (body17: string) => body17 + checkCharacter(body17);

/** Full-width digits and letters (as typed with a Chinese IME) to ASCII. */
export const toHalfWidth = (s: string) => s.replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0)).replace(/\u3000/g, ' ');

/** Trimmed, half-width, upper-case X: the form stored and compared. */
export const normaliseIdNumber = (raw: string) => toHalfWidth(raw).replace(/\s+/g, '').toUpperCase();

export type IdNumberProblem = { key: 'idFormat' } | { key: 'idBirthDate'; params: { date: string } } | { key: 'idCheck'; params: { expected: string } };

/**
 * What is wrong with a normalised ID number, every problem found (an impossible date and a wrong
 * check character are reported together). An empty list means valid.
 */
export function idNumberProblems(id: string, today = new Date()): IdNumberProblem[] {
  if (!/^\d{17}[\dX]$/.test(id)) return [{ key: 'idFormat' }];
  const problems: IdNumberProblem[] = [];
  const y = Number(id.slice(6, 10));
  const m = Number(id.slice(10, 12));
  const d = Number(id.slice(12, 14));
  const date = new Date(Date.UTC(y, m - 1, d));
  const real = date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  if (!real || y < 1900 || date.getTime() > today.getTime()) problems.push({ key: 'idBirthDate', params: { date: id.slice(6, 14) } });
  const expected = checkCharacter(id.slice(0, 17));
  if (id[17] !== expected) problems.push({ key: 'idCheck', params: { expected } });
  return problems;
}

export const isValidIdNumber = (id: string) => idNumberProblems(id).length === 0;
