import { describe, expect, it } from 'vitest';
import { attachmentFor } from '@/server/services/attachments';
import { examNotice, listCandidateExams } from '@/server/services/exams';
import { addAttachment } from '@/server/services/setup';
import { makeCandidate, makeRoomScenario, makeStaff } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { asSessionUser } from '../helpers/unit-support';

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

    const got = attachmentFor({ db: fx.db, user: asSessionUser(cand), attachmentId: file.id });

    expect(got).toMatchObject({ id: file.id, fileName: '考生须知.pdf', contentType: 'application/pdf' });
    expect(Buffer.from(got!.content).equals(PDF)).toBe(true);
  });

  it('a candidate registered for another exam gets null, as for a file that does not exist', async () => {
    const { file } = await examWithFile();
    const other = await makeRoomScenario(fx.db);
    const stranger = asSessionUser(other.candidates[0]!);

    expect(attachmentFor({ db: fx.db, user: stranger, attachmentId: file.id })).toBeNull();
    expect(attachmentFor({ db: fx.db, user: stranger, attachmentId: file.id + 1000 })).toBeNull();
  });

  it('a candidate registered nowhere gets null', async () => {
    const { file } = await examWithFile();
    const loner = await makeCandidate(fx.db);
    expect(attachmentFor({ db: fx.db, user: asSessionUser(loner), attachmentId: file.id })).toBeNull();
  });

  it('staff (invigilator, support, admin) get any exam’s file, even without a room assignment', async () => {
    const { file } = await examWithFile();
    for (const role of ['invigilator', 'support', 'admin'] as const) {
      const staff = await makeStaff(fx.db, role);
      expect(attachmentFor({ db: fx.db, user: asSessionUser(staff), attachmentId: file.id })?.fileName).toBe('考生须知.pdf');
    }
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
