import { describe, expect, it } from 'vitest';
import { attachmentFor } from '@/server/services/attachments';
import { examNotice, listCandidateExams } from '@/server/services/exams';
import { addAttachment } from '@/server/services/setup';
import { makeCandidate, makeRoomScenario, makeStaff } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { asCaller } from '../helpers/unit-support';

const fx = useTestDb();

const PDF = Buffer.from('%PDF-1.4 考生须知 rules');

async function examWithFile() {
  const s = await makeRoomScenario(fx.db);
  const file = addAttachment({ db: fx.db, examId: s.exam.id, fileName: '考生须知.pdf', contentType: 'application/pdf', content: PDF });
  return { ...s, file, cand: s.candidates[0]! };
}

describe('exam attachments', () => {
  it('a candidate registered for the exam gets the file, its name, type and bytes', async () => {
    const { file, cand } = await examWithFile();

    const got = attachmentFor({ db: fx.db, caller: asCaller(cand), attachmentId: file.id });

    expect(got).toMatchObject({ id: file.id, fileName: '考生须知.pdf', contentType: 'application/pdf' });
    expect(Buffer.from(got!.content).equals(PDF)).toBe(true);
  });

  it('a candidate registered for another exam gets null, as for a file that does not exist', async () => {
    const { file } = await examWithFile();
    const other = await makeRoomScenario(fx.db);
    const stranger = asCaller(other.candidates[0]!);

    expect(attachmentFor({ db: fx.db, caller: stranger, attachmentId: file.id })).toBeNull();
    expect(attachmentFor({ db: fx.db, caller: stranger, attachmentId: file.id + 1000 })).toBeNull();
  });

  it('a candidate registered nowhere gets null', async () => {
    const { file } = await examWithFile();
    const loner = await makeCandidate(fx.db);
    expect(attachmentFor({ db: fx.db, caller: asCaller(loner), attachmentId: file.id })).toBeNull();
  });

  it('staff are scoped like candidates: the room’s invigilator, support and admins get a notice file; an invigilator of another exam gets null', async () => {
    const { file, invigilator } = await examWithFile();
    const elsewhere = await makeRoomScenario(fx.db);
    const support = await makeStaff(fx.db, 'support');
    const admin = await makeStaff(fx.db, 'admin');
    for (const staff of [invigilator, support, admin]) {
      expect(attachmentFor({ db: fx.db, caller: asCaller(staff), attachmentId: file.id })?.fileName).toBe('考生须知.pdf');
    }
    expect(attachmentFor({ db: fx.db, caller: asCaller(elsewhere.invigilator), attachmentId: file.id })).toBeNull();
    const unassigned = await makeStaff(fx.db, 'invigilator');
    expect(attachmentFor({ db: fx.db, caller: asCaller(unassigned), attachmentId: file.id })).toBeNull();
  });

  it('a question-sheet image before the start: only admins get it; from the start the exam’s invigilator and candidates do, support never', async () => {
    const s = await makeRoomScenario(fx.db, { exam: { startsIn: 30 } });
    const img = addAttachment({ db: fx.db, examId: s.exam.id, fileName: 'q1.png', contentType: 'image/png', content: PDF, purpose: 'sheet' });
    const support = await makeStaff(fx.db, 'support');
    const admin = await makeStaff(fx.db, 'admin');
    const read = (u: Parameters<typeof asCaller>[0], now?: Date) =>
      attachmentFor({ db: fx.db, caller: asCaller(u), attachmentId: img.id, now })?.fileName ?? null;

    expect([read(s.invigilator), read(support), read(s.candidates[0]!), read(admin)]).toEqual([null, null, null, 'q1.png']);
    const started = new Date(s.exam.startsAt.getTime() + 1000);
    expect([read(s.invigilator, started), read(support, started), read(s.candidates[0]!, started)]).toEqual(['q1.png', null, 'q1.png']);
  });

  it('a candidate sees their exam’s attachments on the notice and in the listing, and not other exams’ files', async () => {
    const { exam, file, cand } = await examWithFile();
    const other = await makeRoomScenario(fx.db);
    addAttachment({ db: fx.db, examId: other.exam.id, fileName: 'other.pdf', contentType: 'application/pdf', content: PDF });
    const second = addAttachment({ db: fx.db, examId: exam.id, fileName: '附件二.docx', contentType: 'application/octet-stream', content: PDF });

    const expected = [
      { id: file.id, fileName: '考生须知.pdf' },
      { id: second.id, fileName: '附件二.docx' },
    ];
    expect(examNotice({ db: fx.db, candidateId: cand.id, examId: exam.id }).attachments).toEqual(expected);
    expect(listCandidateExams({ db: fx.db, candidateId: cand.id })[0]!.attachments).toEqual(expected);
  });
});
