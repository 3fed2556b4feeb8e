import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { examAttachments } from '@/db/schema';
import { TRPC_BODY_MAX, trpcBodyMax } from '@/server/auth/request-guards';
import { attachmentResponse } from '@/server/http/attachments';
import { INSTRUCTIONS_CAPTION_MAX } from '@/server/services/admin/instructions';
import { examSession } from '@/server/services/exams';
import { addAttachment } from '@/server/services/setup';
import { sineWav } from '../fixtures/audio';
import { makeCandidate, makeExam, makeRoomScenario, makeStaff } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { asCaller, auditRows, callerFor, httpCall, makeContext, trpcRefusal, withLocale } from '../helpers/unit-support';

const fx = useTestDb();

const WAV = sineWav({ seconds: 0.5 });
const b64 = (bytes: Buffer | number[]) => Buffer.from(bytes as Buffer).toString('base64');
const ascii = (s: string) => [...Buffer.from(s, 'ascii')];
const PDF = Buffer.from('%PDF-1.4 rules');

async function admin() {
  const user = await makeStaff(fx.db, 'admin');
  const ctx = makeContext(fx.db, user);
  return { user, ctx, api: callerFor(ctx) };
}

/** An exam whose entry opens in a day: its instructions may still change. */
const upcomingExam = () => makeExam(fx.db, { opensIn: 24 * 60, closesIn: 24 * 60 + 45, startsIn: 24 * 60 + 30 });

const instructionRows = (examId: number) =>
  fx.db
    .select({ id: examAttachments.id, fileName: examAttachments.fileName })
    .from(examAttachments)
    .where(and(eq(examAttachments.examId, examId), eq(examAttachments.purpose, 'instructions')))
    .all();

describe('admin.exams.instructions: the upload is checked by its bytes, never by the browser’s type', () => {
  it('an admin uploads audio in each accepted format; the stored type comes from the extension it matched', async () => {
    const { api } = await admin();
    const exam = upcomingExam();
    const files: [string, number[], string][] = [
      ['说明.wav', [...WAV], 'audio/wav'],
      ['说明.mp3', [...ascii('ID3'), 4, 0, 0, 0, 0, 0, 0], 'audio/mpeg'],
      ['frames.mp3', [0xff, 0xfb, 0x90, 0x64, 0, 0], 'audio/mpeg'],
      ['说明.m4a', [0, 0, 0, 0x20, ...ascii('ftypM4A '), 0, 0], 'audio/mp4'],
      ['说明.aac', [0xff, 0xf1, 0x50, 0x80, 0, 0], 'audio/aac'],
      ['说明.ogg', [...ascii('OggS'), 0, 2], 'audio/ogg'],
      ['说明.webm', [0x1a, 0x45, 0xdf, 0xa3, 0x9f, 0x42], 'audio/webm'],
    ];
    for (const [fileName, bytes, type] of files) {
      const got = await api.admin.exams.instructions.upload({ examId: exam.id, fileName, contentBase64: b64(bytes) });
      expect(got).toMatchObject({ fileName, contentType: type, size: bytes.length });
    }
  });

  it('a renamed file, a document, an executable, an empty file and one over 20 MB are refused with a translated message', async () => {
    const { ctx } = await admin();
    const exam = upcomingExam();
    const upload = async (fileName: string, bytes: Buffer, locale: 'zh-CN' | 'en' = 'zh-CN') =>
      (
        await httpCall({
          ctx: withLocale(ctx, locale),
          path: 'admin.exams.instructions.upload',
          input: { examId: exam.id, fileName, contentBase64: bytes.toString('base64') },
        })
      ).body.error?.json as { message: string; data: { appCode: string } } | undefined;

    // A PDF (or a WAV header on something else) renamed to an audio extension.
    expect((await upload('notes.mp3', PDF))?.message).toBe('文件内容与扩展名 .mp3 不符，请检查文件。');
    expect((await upload('tone.wav', Buffer.concat([Buffer.from('RIFF\0\0\0\0AVI '), WAV.subarray(12)]), 'en'))?.message).toBe(
      "The file's content does not match its .wav extension.",
    );
    expect((await upload('rules.pdf', PDF))?.message).toBe('不支持该文件类型，允许的类型：mp3, m4a, aac, ogg, oga, opus, wav, webm。');
    expect((await upload('setup.exe', Buffer.from('MZ')))?.data.appCode).toBe('adminExams.fileType');
    expect((await upload('empty.wav', Buffer.alloc(0)))?.data.appCode).toBe('adminExams.fileEmpty');
    // One byte over: the input schema lets it through (its bound is the base64 of 20 MB) and the service words the refusal.
    const big = Buffer.concat([WAV.subarray(0, 44), Buffer.alloc(20 * 1024 * 1024 - 44 + 1)]);
    expect((await upload('long.wav', big))?.message).toBe('文件太大，最大 20 MB。');
    expect(instructionRows(exam.id)).toEqual([]);
  });

  it('20 MB of audio fits the request cap of its procedure; other back-office calls keep theirs', () => {
    expect(trpcBodyMax(['admin.exams.instructions.upload'])).toBeGreaterThan(Math.ceil((20 * 1024 * 1024 * 4) / 3) + 1024);
    expect(trpcBodyMax(['admin.exams.attachments.upload'])).toBe(TRPC_BODY_MAX.admin);
  });

  it('a notice attachment cannot carry the instructions: they have their own procedures (one per exam)', async () => {
    const { api } = await admin();
    const exam = upcomingExam();
    const refused = await trpcRefusal(
      api.admin.exams.attachments.upload({ examId: exam.id, fileName: 'a.wav', purpose: 'instructions' as 'notice', contentBase64: b64(WAV) }),
    );
    expect(refused.code).toBe('BAD_REQUEST');
  });
});

describe('admin.exams.instructions: one audio per exam, its caption, audited, fixed once entry opens', () => {
  it('an admin uploads, replaces and removes the audio and sets the caption; the exam keeps one file and each change is audited', async () => {
    const { api } = await admin();
    const exam = upcomingExam();
    const e = { examId: exam.id };
    expect(await api.admin.exams.instructions.get(e)).toMatchObject({
      file: null,
      caption: '',
      locked: false,
      limits: { captionMax: INSTRUCTIONS_CAPTION_MAX },
    });

    const first = await api.admin.exams.instructions.upload({ ...e, fileName: 'C:\\fakepath\\第一版.wav', contentBase64: b64(WAV) });
    const second = await api.admin.exams.instructions.upload({ ...e, fileName: '第二版.wav', contentBase64: b64(WAV) });
    expect(instructionRows(exam.id)).toEqual([{ id: second.id, fileName: '第二版.wav' }]);
    expect(first.fileName).toBe('第一版.wav');

    await api.admin.exams.instructions.setCaption({ ...e, caption: '  各位考生：请关闭手机，保持安静。  ' });
    expect(await api.admin.exams.instructions.get(e)).toMatchObject({
      file: { id: second.id, fileName: '第二版.wav', size: WAV.length },
      caption: '各位考生：请关闭手机，保持安静。',
    });
    // The notice's file list is not where the audio goes.
    expect(await api.admin.exams.attachments.list({ ...e, purpose: 'notice' })).toEqual([]);

    await api.admin.exams.instructions.remove(e);
    expect(instructionRows(exam.id)).toEqual([]);
    expect((await trpcRefusal(api.admin.exams.instructions.remove(e))).message).toBe('adminExams.instructionsNotFound');

    const rows = auditRows(fx.db).filter((r) => r.action.startsWith('instructions.'));
    expect(rows.map((r) => r.action)).toEqual(['instructions.uploaded', 'instructions.uploaded', 'instructions.caption_changed', 'instructions.removed']);
    expect(rows[1]!.detail).toMatchObject({ attachmentId: second.id, fileName: '第二版.wav', replaced: { attachmentId: first.id, fileName: '第一版.wav' } });
    expect(rows[2]!.detail).toEqual({ from: '', to: '各位考生：请关闭手机，保持安静。' });
  });

  it('a caption longer than the bound is refused by the input schema', async () => {
    const { api } = await admin();
    const exam = upcomingExam();
    const refused = await trpcRefusal(api.admin.exams.instructions.setCaption({ examId: exam.id, caption: '字'.repeat(INSTRUCTIONS_CAPTION_MAX + 1) }));
    expect(refused.code).toBe('BAD_REQUEST');
  });

  it('once candidates may enter, the audio and caption can no longer change (every candidate hears the same)', async () => {
    const { api } = await admin();
    const exam = makeExam(fx.db, { opensIn: -1 });
    addAttachment({ db: fx.db, examId: exam.id, fileName: 'a.wav', contentType: 'audio/wav', content: WAV, purpose: 'instructions' });
    const e = { examId: exam.id };
    expect((await api.admin.exams.instructions.get(e)).locked).toBe(true);
    for (const call of [
      api.admin.exams.instructions.upload({ ...e, fileName: 'b.wav', contentBase64: b64(WAV) }),
      api.admin.exams.instructions.remove(e),
      api.admin.exams.instructions.setCaption({ ...e, caption: '新字幕' }),
    ]) {
      expect((await trpcRefusal(call)).message).toBe('adminExams.instructionsLocked');
    }
    const [file] = instructionRows(exam.id);
    expect((await trpcRefusal(api.admin.exams.attachments.delete({ ...e, attachmentId: file!.id }))).message).toBe('adminExams.instructionsLocked');
  });

  it('candidates, invigilators and support cannot call the procedures', async () => {
    const exam = upcomingExam();
    for (const user of [await makeCandidate(fx.db), await makeStaff(fx.db, 'invigilator'), await makeStaff(fx.db, 'support')]) {
      const api = callerFor(makeContext(fx.db, user));
      expect((await trpcRefusal(api.admin.exams.instructions.get({ examId: exam.id }))).code).toBe('FORBIDDEN');
      expect((await trpcRefusal(api.admin.exams.instructions.upload({ examId: exam.id, fileName: 'a.wav', contentBase64: b64(WAV) }))).code).toBe('FORBIDDEN');
    }
  });
});

describe('spoken instructions on the candidate’s side', () => {
  async function examWithAudio() {
    const s = await makeRoomScenario(fx.db);
    const file = addAttachment({ db: fx.db, examId: s.exam.id, fileName: '说明.wav', contentType: 'audio/wav', content: WAV, purpose: 'instructions' });
    return { ...s, file };
  }

  it('the exam session carries the audio’s address and caption, and null when the exam has none', async () => {
    const s = await makeRoomScenario(fx.db);
    const cand = s.candidates[0]!;
    expect(examSession({ db: fx.db, candidateId: cand.id, examId: s.exam.id }).instructions).toBeNull();
    const file = addAttachment({ db: fx.db, examId: s.exam.id, fileName: '说明.wav', contentType: 'audio/wav', content: WAV, purpose: 'instructions' });
    expect(examSession({ db: fx.db, candidateId: cand.id, examId: s.exam.id }).instructions).toEqual({
      id: file.id,
      url: `/api/attachments/${file.id}`,
      caption: '',
    });
  });

  it('the exam’s candidates, its invigilator, support and admins may fetch the audio; another exam’s candidate or invigilator gets 404, no login 401', async () => {
    const { file, candidates, invigilator } = await examWithAudio();
    const other = await makeRoomScenario(fx.db);
    const get = async (caller: Parameters<typeof asCaller>[0] | null) =>
      attachmentResponse({ db: fx.db, caller: caller && asCaller(caller), id: String(file.id), range: null }).status;
    expect(await get(candidates[0]!)).toBe(200);
    expect(await get(invigilator)).toBe(200);
    expect(await get(await makeStaff(fx.db, 'support'))).toBe(200);
    expect(await get(await makeStaff(fx.db, 'admin'))).toBe(200);
    expect(await get(other.candidates[0]!)).toBe(404);
    expect(await get(other.invigilator)).toBe(404);
    expect(await get(await makeCandidate(fx.db))).toBe(404);
    expect(await get(null)).toBe(401);
  });
});

describe('GET /api/attachments/:id: byte ranges, for <audio> seeking', () => {
  async function audio() {
    const s = await makeRoomScenario(fx.db);
    const file = addAttachment({ db: fx.db, examId: s.exam.id, fileName: '说明.wav', contentType: 'audio/wav', content: WAV, purpose: 'instructions' });
    const caller = asCaller(s.candidates[0]!);
    return (range: string | null) => attachmentResponse({ db: fx.db, caller, id: String(file.id), range });
  }

  it('without a Range header: the whole file, 200, inline, announcing byte ranges', async () => {
    const get = await audio();
    const res = get(null);
    expect(res.status).toBe(200);
    expect(res.headers.get('accept-ranges')).toBe('bytes');
    expect(res.headers.get('content-type')).toBe('audio/wav');
    expect(res.headers.get('content-length')).toBe(String(WAV.length));
    expect(res.headers.get('content-disposition')).toMatch(/^inline;/);
    expect(Buffer.from(await res.arrayBuffer()).equals(WAV)).toBe(true);
  });

  it('a range, an open-ended range and a suffix range: 206 with exactly those bytes and their Content-Range', async () => {
    const get = await audio();
    const total = WAV.length;
    const cases: [string, number, number][] = [
      ['bytes=0-3', 0, 3],
      ['bytes=100-', 100, total - 1],
      ['bytes=-10', total - 10, total - 1],
      // An end past the file is cut to the file.
      [`bytes=40-${total + 500}`, 40, total - 1],
    ];
    for (const [range, start, end] of cases) {
      const res = get(range);
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range'), range).toBe(`bytes ${start}-${end}/${total}`);
      expect(res.headers.get('content-length'), range).toBe(String(end - start + 1));
      expect(Buffer.from(await res.arrayBuffer()).equals(WAV.subarray(start, end + 1)), range).toBe(true);
    }
  });

  it('a range past the end is 416 with the size; a malformed one is ignored (the whole file)', async () => {
    const get = await audio();
    const past = get(`bytes=${WAV.length}-`);
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe(`bytes */${WAV.length}`);
    expect(get('bytes=abc').status).toBe(200);
  });

  it('a notice file still downloads as an attachment, and answers ranges too', async () => {
    const s = await makeRoomScenario(fx.db);
    const file = addAttachment({ db: fx.db, examId: s.exam.id, fileName: '须知.pdf', contentType: 'application/pdf', content: PDF });
    const res = attachmentResponse({ db: fx.db, caller: asCaller(s.candidates[0]!), id: String(file.id), range: 'bytes=0-3' });
    expect(res.status).toBe(206);
    expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(await res.text()).toBe('%PDF');
    expect(attachmentResponse({ db: fx.db, caller: asCaller(s.candidates[0]!), id: 'x1', range: null }).status).toBe(404);
  });
});
