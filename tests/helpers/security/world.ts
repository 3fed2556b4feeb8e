import { createHash, randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { events, faceAttemptFrames, faceAttempts, facePhotoImports, faceReferences, incidentCandidates, incidents, questionSheets, users } from '@/db/schema';
import { previewImport } from '@/server/services/admin/import';
import { getBus } from '@/server/events/bus';
import type { StaffCaller } from '@/server/auth/caller';
import { login, SESSION_COOKIE, toCaller } from '@/server/services/auth';
import { createCanned, openThread, threadView } from '@/server/services/help';
import { addPreset, createFlag } from '@/server/services/invigilate';
import { sendSystemMessage } from '@/server/services/messages';
import { createBinding, PHONE_SESSION_COOKIE, phoneDeviceFromCookie } from '@/server/services/phone';
import { startRecording } from '@/server/services/recordings';
import { addAttachment, assignInvigilator, createRoom, registerCandidate } from '@/server/services/setup';
import {
  makeCandidate,
  makeChief,
  makeExam,
  makeIdNumber,
  makeJpeg,
  makeSittingScenario,
  makeStaff,
  makeSupportAgent,
  PASSWORD,
} from '../../fixtures/factories';
import { callTrpc, setCookieValue, sendTrpc, trpcRequest } from './http';

const toStaff = (u: Parameters<typeof toCaller>[0]) => toCaller(u) as StaffCaller;

/** The callers of the matrix, each a different kind of session (or none). */
export const ROLES = ['anonymous', 'candidate', 'phone', 'chiefOtherExam', 'invigilatorOther', 'invigilator', 'chief', 'support', 'admin'] as const;
export type RoleName = (typeof ROLES)[number];

/**
 * One exam sitting now with two rooms: room A (the fixture's room: its invigilator, a candidate
 * who has entered, their help thread, a flag with a still, a screen and a witness recording, a
 * system message) and room B (another invigilator, another candidate). A chief of the exam, a
 * support agent, an admin; an exam attachment, a preset, a canned reply. And a second exam the
 * fixture's candidate also sits (room C), whose chief ("chiefOtherExam") holds nothing of this
 * exam: scope is by exam, so knowing the candidate from there gives no say here. Each role's cookies are
 * real: staff and the candidate logged in with the auth service, the phone bound over HTTP.
 */
export async function buildWorld(db: Db) {
  const s = await makeSittingScenario(db, { candidates: 1 });
  const exam = s.exam;
  const roomA = s.room;
  // Names no other text contains, to look for in responses that must not carry them.
  db.update(users).set({ name: 'Cand-A-Zq81' }).where(eq(users.id, s.candidates[0]!.id)).run();
  const candidate = { ...s.candidates[0]!, name: 'Cand-A-Zq81' };
  const invigilator = s.invigilator;

  const roomB = createRoom({ db, examId: exam.id, name: 'Room B' });
  const invigilatorOther = await makeStaff(db, 'invigilator');
  assignInvigilator({ db, roomId: roomB.id, userId: invigilatorOther.id });
  const candidateB = await makeCandidate(db, { name: 'Cand-B-Xw42' });
  registerCandidate({ db, examId: exam.id, roomId: roomB.id, candidateId: candidateB.id, seat: 1, acceptedAt: new Date() });

  const chief = await makeChief(db, exam.id);
  const otherExam = makeExam(db, { opensIn: 24 * 60 - 30, closesIn: 25 * 60, startsIn: 24 * 60 });
  const roomC = createRoom({ db, examId: otherExam.id, name: 'Room C' });
  registerCandidate({ db, examId: otherExam.id, roomId: roomC.id, candidateId: candidate.id, seat: 1 });
  const chiefOtherExam = await makeChief(db, otherExam.id);
  const support = await makeSupportAgent(db);
  const admin = await makeStaff(db, 'admin');

  const sheet = db.select().from(questionSheets).where(eq(questionSheets.examId, exam.id)).get()!;
  const attachment = addAttachment({
    db,
    examId: exam.id,
    fileName: 'sheet.pdf',
    contentType: 'application/pdf',
    content: Buffer.from('%PDF-1.4 test'),
    purpose: 'sheet',
  });

  const thread = openThread({ db, candidateId: candidate.id, category: 'technical', body: 'My camera does not start' });
  const helpMessageId = threadView({ db, caller: toCaller(candidate), threadId: thread.id }).messages[0]!.id;
  const canned = createCanned({ db, userId: support.id, title: 'Camera', body: 'Try reloading the page.' });

  const flag = createFlag({ db, caller: toStaff(invigilator), roomId: roomA.id, candidateId: candidate.id, note: 'Looked away', still: makeJpeg(256).dataUrl });
  // Candidate A's face login waiting in the identity check queue, with one frame; the page holds the secret.
  const faceAttemptSecret = 'world-face-attempt-secret-0123456789';
  const faceAttempt = db
    .insert(faceAttempts)
    .values({
      candidateId: candidate.id,
      status: 'pending',
      similarity: 0.3,
      reason: 'belowThreshold',
      secretHash: createHash('sha256').update(faceAttemptSecret).digest('hex'),
    })
    .returning()
    .get();
  db.insert(faceAttemptFrames)
    .values({ attemptId: faceAttempt.id, idx: 0, jpeg: makeJpeg(256).buf, faces: 1, similarity: 0.3 })
    .run();
  const preset = addPreset({ db, caller: toStaff(chief), examId: exam.id, text: 'Please face the camera' });
  const message = sendSystemMessage({
    db,
    bus: getBus(),
    caller: toStaff(invigilator),
    input: { audience: 'room', roomId: roomA.id, title: 'Notice', body: 'Ten minutes left', priority: 'normal', mustAcknowledge: true },
  });

  // Room A lost its candidates' feeds at once and they came back: an incident whose extra time
  // is not decided yet (rows as the feed service leaves them).
  const lostAt = new Date();
  const lost = db
    .insert(events)
    .values({ roomId: roomA.id, candidateId: candidate.id, type: 'participant_left', device: 'pc', occurredAt: lostAt })
    .returning()
    .get();
  const incident = db
    .insert(incidents)
    .values({ roomId: roomA.id, state: 'cleared', startedAt: lostAt, lastLossAt: lostAt, clearedAt: lostAt, proposedMinutes: 1 })
    .returning()
    .get();
  db.insert(incidentCandidates).values({ incidentId: incident.id, candidateId: candidate.id, firstEventId: lost.id, lostAt, recoveredAt: lostAt }).run();

  // A later exam, still editable, with an import preview waiting to be committed.
  const laterExam = makeExam(db, { opensIn: 24 * 60, closesIn: 25 * 60, startsIn: 24 * 60 + 30 });
  const preview = await previewImport({
    db,
    examId: laterExam.id,
    actorId: admin.id,
    fileName: 'c.csv',
    content: Buffer.from(`姓名,身份证号\n张三,${makeIdNumber()}\n`),
  });

  // Candidate A's reference photo (stored as accepted; no face analysis here), and a photo
  // package preview in which nothing passed.
  db.insert(faceReferences)
    .values({ candidateId: candidate.id, photo: makeJpeg(256).buf, descriptor: Buffer.alloc(16), source: 'editor', createdBy: admin.id })
    .run();
  const photoImport = db
    .insert(facePhotoImports)
    .values({ fileName: 'photos.zip', entries: [{ name: 'x.jpg', idNumber: null, candidateId: null, problem: 'badName' }], createdBy: admin.id })
    .returning()
    .get();

  const sid = async (kind: 'candidate' | 'staff', identifier: string) => (await login({ db, kind, identifier, password: PASSWORD })).token;
  const tokens = {
    candidate: await sid('candidate', candidate.idNumber!),
    chiefOtherExam: await sid('staff', chiefOtherExam.username!),
    invigilatorOther: await sid('staff', invigilatorOther.username!),
    invigilator: await sid('staff', invigilator.username!),
    chief: await sid('staff', chief.username!),
    support: await sid('staff', support.username!),
    admin: await sid('staff', admin.username!),
  };

  // The phone binds the way a phone does: the QR token over HTTP, the device cookie from Set-Cookie.
  const binding = createBinding({ db, candidateId: candidate.id, examId: exam.id });
  const bound = await sendTrpc(trpcRequest({ path: 'phone.bind', type: 'mutation', input: { token: binding.token } }));
  const phoneSession = setCookieValue(bound, PHONE_SESSION_COOKIE);
  if (bound.status !== 200 || !phoneSession) throw new Error(`phone bind failed: ${bound.status} ${await bound.text()}`);
  const device = phoneDeviceFromCookie(db, phoneSession)!;
  // A fresh, unused QR token for phone.bind's sample input.
  const spareBinding = createBinding({ db, candidateId: candidate.id, examId: exam.id });

  const screen = startRecording({
    db,
    recorders: [{ kind: 'pc', candidateId: candidate.id }],
    examId: exam.id,
    track: 'screen',
    clientKey: randomUUID(),
    mimeType: 'video/webm',
    startedAt: new Date(),
  });
  const witness = startRecording({
    db,
    recorders: [{ kind: 'phone', candidateId: candidate.id, examId: exam.id, deviceId: device.deviceId }],
    examId: exam.id,
    track: 'witness',
    clientKey: randomUUID(),
    mimeType: 'video/webm',
    startedAt: new Date(),
  });

  const cookies: Record<RoleName, string | undefined> = {
    anonymous: undefined,
    candidate: `${SESSION_COOKIE}=${tokens.candidate}`,
    phone: `${PHONE_SESSION_COOKIE}=${phoneSession}`,
    chiefOtherExam: `${SESSION_COOKIE}=${tokens.chiefOtherExam}`,
    invigilatorOther: `${SESSION_COOKIE}=${tokens.invigilatorOther}`,
    invigilator: `${SESSION_COOKIE}=${tokens.invigilator}`,
    chief: `${SESSION_COOKIE}=${tokens.chief}`,
    support: `${SESSION_COOKIE}=${tokens.support}`,
    admin: `${SESSION_COOKIE}=${tokens.admin}`,
  };

  // Sanity: every session is what it claims to be, through the real HTTP path.
  for (const role of ROLES) {
    if (role === 'anonymous' || role === 'phone') continue;
    const me = await callTrpc({ path: 'auth.me', type: 'query', cookie: cookies[role] });
    if (me.status !== 200) throw new Error(`session of ${role} does not work: ${JSON.stringify(me.body)}`);
  }

  return {
    db,
    cookies,
    exam,
    roomA,
    roomB,
    laterExam,
    importId: preview.importId,
    photoImportId: photoImport.id,
    roomC,
    users: { candidate, candidateB, invigilator, invigilatorOther, chief, chiefOtherExam, support, admin },
    passwords: { any: PASSWORD },
    sheetId: sheet.id,
    attachmentId: attachment.id,
    threadId: thread.id,
    helpMessageId,
    cannedId: canned.id,
    flagId: flag.flagId,
    faceAttemptId: faceAttempt.id,
    faceAttemptSecret,
    incidentId: incident.id,
    presetId: preset.id,
    messageId: message.messageId,
    phoneDeviceId: device.deviceId,
    spareBindToken: spareBinding.token,
    screenRecordingId: screen.recordingId,
    witnessRecordingId: witness.recordingId,
  };
}

export type World = Awaited<ReturnType<typeof buildWorld>>;
