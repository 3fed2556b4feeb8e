import { describe, expect, it } from 'vitest';
import { toCsv } from '@/server/services/admin/common';
import { examExportText } from '@/server/services/admin/exports';
import { saveAnswers } from '@/server/services/exams';
import { addQuestionSheet } from '@/server/services/setup';
import { makeSittingScenario } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';

const t = useTestDb();

/** The one data cell of a one-cell CSV, as written (quoting undone; cells here have no commas). */
const written = (v: unknown) =>
  toCsv(['h'], [[v]])
    .slice(1)
    .split('\r\n')[1]!
    .replace(/^"|"$/g, '')
    .replace(/""/g, '"');

describe('CSV formula guard (admin exports)', () => {
  it('a formula that starts with a minus sign and a digit is defused', () => {
    expect(written(`-2+3+cmd|' /C calc'!A0`)).toBe(`'-2+3+cmd|' /C calc'!A0`);
    expect(written('-1+1')).toBe(`'-1+1`);
    expect(written('-2-3')).toBe(`'-2-3`);
    expect(written('-1e5+cmd')).toBe(`'-1e5+cmd`);
    expect(written('-2,5')).toBe(`'-2,5`);
    expect(written('-3.5.1')).toBe(`'-3.5.1`);
  });

  it('every dangerous first character is defused unless the cell is a strict number', () => {
    for (const s of ['=1+1', '+1', '+cmd', '@SUM(A1)', '\t=1', '\r=1', '-', '-.5', '-cmd', '-12\n=1']) expect(written(s)).toBe(`'${s}`);
  });

  it('strict numbers are kept as numbers', () => {
    for (const v of [-12, '-12', '3.5', -0.25, '-0.25', 0, '1e5', 42]) expect(written(v)).toBe(String(v));
  });

  it('an exam export writes a candidate answer of the bypass form defused', async () => {
    const s = await makeSittingScenario(t.db, { candidates: 1 });
    const candidate = s.candidates[0]!;
    addQuestionSheet({
      db: t.db,
      examId: s.exam.id,
      position: 2,
      title: 'x',
      questions: [{ id: 'q', kind: 'text', prompt: 'p' }],
    });
    const evil = `-2+3+cmd|' /C calc'!A0`;
    saveAnswers({
      db: t.db,
      candidateId: candidate.id,
      examId: s.exam.id,
      items: [{ questionId: 'q', value: evil, revision: 1 }],
    });
    const text = examExportText({
      db: t.db,
      examId: s.exam.id,
      kind: 'answers',
      locale: 'en',
    });
    expect(text).toContain(`'${evil}`);
    expect(text).not.toMatch(new RegExp(`(^|,)${evil.replace(/[|+.]/g, '\\$&')}`, 'm'));
  });
});
