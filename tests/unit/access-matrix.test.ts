import { candidateIdentity } from '@/server/livekit/tokens';
import { removeDataDir } from '../helpers/security/data-dir';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDb } from '../helpers/db';
import { useAppDb } from '../helpers/security/app-db';
import type { LiveKind, LiveTopic } from '@/server/live/types';
import { openLive, type LiveFrame } from '../helpers/live';
import { callRoute, callTrpc, ORIGIN, rolledBack, routerProcedures, type RouteHandler } from '../helpers/security/http';
import { buildWorld, ROLES, type RoleName, type World } from '../helpers/security/world';
import { signWebhook, webhookBody } from '../helpers/unit-support';
import { makeJpeg } from '../fixtures/factories';

// Route handlers and the phone router read cookies and headers from Next's request scope: the
// stand-in answers from the Request being handled (see request-scope.ts).
vi.mock('next/headers', () => import('../helpers/security/request-scope'));
// Route handlers and the tRPC context open the app's database: this file's test database.
vi.mock('@/server/db', () => import('../helpers/security/app-db'));
// Rebinding a phone asks the SFU to drop the old phone (server/livekit/room-service.ts). No SFU runs in unit
// tests, and a neighbour's e2e SFU may be listening on the default port: never call out.
vi.mock('@/server/livekit/room-service', () => ({ removeFromRoom: async () => {}, removeStaffFromRooms: async () => {}, dropLostRooms: () => [] }));
// Readiness and the consoles' media-server banner ask the SFU too; here it answers yes without a
// call (tests/unit/ops-ready.test.ts checks them against a real livekit-server).
vi.mock('@/server/livekit/probe', () => ({ probeLivekit: async () => ({ ok: true }) }));

/**
 * Who may call what: one entry per tRPC procedure and per route handler method. `allowed`
 * lists the roles that get through (any outcome but UNAUTHORIZED, FORBIDDEN or a NOT_FOUND
 * refusal; a BAD_REQUEST, CONFLICT or PRECONDITION_FAILED from the business rules counts as
 * through). Every other role must be refused: anonymous with UNAUTHORIZED, the others with
 * UNAUTHORIZED, FORBIDDEN or NOT_FOUND (row-level refusals that hide whether the row exists).
 * Sample inputs name the fixture's rows, all in room A unless said otherwise, so that
 * "invigilatorOther" (assigned to room B of the same exam) meets room A's resources.
 *
 * `holes`: a role whose outcome today differs from `allowed`, with why. The test asserts
 * today's outcome for those cells, so the suite stays green and the hole stays visible; when
 * the server is fixed, that cell fails with "hole closed": delete the mark.
 */
/*
 * Not exercised here: nothing is left out, but three things are only partly covered. The
 * LiveKit webhook ignores cookies (its row shows that none get in unsigned; a signed body is
 * checked below). Live topics (LIVE below) are judged when the connection opens (the `open` or
 * `refused` frame) plus whatever the topic sends before it goes quiet (backfill from cursor 0).
 * "chiefOtherExam" is chief of another exam the fixture's candidate also sits: every row of this
 * exam is refused to them, the candidate included (hole 12 of issue 12).
 */
type Entry = {
  allowed: readonly RoleName[];
  input?: (w: World, as: RoleName) => unknown;
  /** Route handlers: the call itself. */
  route?: (w: World, as: RoleName) => Promise<Response>;
  holes?: Partial<Record<RoleName, string>>;
  /** HOLE marks for answers that get through but show a role rows that are not theirs (see FOREIGN). */
  leaks?: Partial<Record<RoleName, string>>;
  /** Why answers of this entry are not checked for foreign names. */
  noLeakCheck?: string;
};

const EVERYONE = ROLES;
const SIGNED_IN = ['candidate', 'chiefOtherExam', 'invigilatorOther', 'invigilator', 'chief', 'support', 'admin'] as const;
const CANDIDATE = ['candidate'] as const;
const ADMIN = ['admin'] as const;
/** Staff of room A: its invigilator, the exam's chief, admins. */
const ROOM_A_STAFF = ['invigilator', 'chief', 'admin'] as const;
/** Any invigilator (or admin), before row checks. */
const INVIGILATORS = ['chiefOtherExam', 'invigilatorOther', 'invigilator', 'chief', 'admin'] as const;
/** Staff of the fixture's exam (any room of it, its chief, admins): not the chief of another exam. */
const EXAM_STAFF = ['invigilatorOther', 'invigilator', 'chief', 'admin'] as const;
/** The help desk: support, invigilators (their rooms' threads), admins. */
const DESK = ['chiefOtherExam', 'invigilatorOther', 'invigilator', 'chief', 'support', 'admin'] as const;
/** A thread of a candidate in room A: that candidate, room A's staff, support, admins. */
const THREAD_A = ['candidate', 'invigilator', 'chief', 'support', 'admin'] as const;
const THREAD_A_STAFF = ['invigilator', 'chief', 'support', 'admin'] as const;
/** Who may check candidate A's identity: room A's staff, the chief of another exam A sits, support, admins. */
const IDENTITY_A = ['chiefOtherExam', 'invigilator', 'chief', 'support', 'admin'] as const;
/** Recorders: the candidate's PC (screen/camera) and their bound phone (witness). */
const RECORDERS = ['candidate', 'phone'] as const;

const later = (minutes: number) => new Date(Date.now() + minutes * 60_000);
const b64 = (s: string) => Buffer.from(s).toString('base64');
const PDF = b64('%PDF-1.4 test');
const WAV = b64('RIFF\0\0\0\0WAVEfmt ');
const NEW_PASSWORD = 'long password 123';
/** The recording a role would write to: the phone its witness recording, everyone else the PC's screen recording. */
const recordingOf = (w: World, as: RoleName) => (as === 'phone' ? w.witnessRecordingId : w.screenRecordingId);

const ACCESS: Record<string, Entry> = {
  // ---- back office: admins only
  'admin.audit.list': { allowed: ADMIN, input: () => ({}) },
  'admin.audit.filters': { allowed: ADMIN },
  'admin.candidates.previewImport': { allowed: ADMIN, input: (w) => ({ examId: w.laterExam.id, fileName: 'c.csv', contentBase64: b64('姓名,身份证号\n') }) },
  'admin.candidates.commitImport': { allowed: ADMIN, input: (w) => ({ examId: w.laterExam.id, importId: w.importId }) },
  'admin.candidates.list': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id }) },
  'admin.candidates.update': {
    allowed: ADMIN,
    input: (w) => ({ candidateId: w.users.candidateB.id, examId: w.exam.id, name: '改名', idNumber: w.users.candidateB.idNumber }),
  },
  'admin.candidates.setPasswordLogin': { allowed: ADMIN, input: (w) => ({ candidateId: w.users.candidateB.id, enabled: false }) },
  'admin.candidates.setPassword': { allowed: ADMIN, input: (w) => ({ candidateId: w.users.candidateB.id, password: NEW_PASSWORD }) },
  'admin.candidates.unregister': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, candidateId: w.users.candidateB.id }) },
  'admin.dashboard.byExam': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id }) },
  'admin.photos.status': { allowed: ADMIN, input: (w) => ({ candidateId: w.users.candidate.id }) },
  'admin.photos.remove': { allowed: ADMIN, input: (w) => ({ candidateId: w.users.candidate.id }) },
  // The fixture's package preview accepted nothing: admins get CONFLICT (a business answer).
  'admin.photos.commitPackage': { allowed: ADMIN, input: (w) => ({ importId: w.photoImportId }) },
  'admin.exams.list': { allowed: ADMIN, input: () => ({}) },
  'admin.exams.byId': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id }) },
  'admin.exams.create': {
    allowed: ADMIN,
    input: () => ({ title: 'New exam', kind: 'written', entryOpensAt: later(60), entryClosesAt: later(180), startsAt: later(120), durationMinutes: 60 }),
  },
  'admin.exams.update': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, title: 'Renamed' }) },
  'admin.exams.archive': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id }) },
  'admin.exams.unarchive': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id }) },
  'admin.exams.delete': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id }) },
  'admin.exams.sheets.list': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id }) },
  'admin.exams.sheets.create': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, title: 'Part 2', body: '', questions: [] }) },
  'admin.exams.sheets.update': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, sheetId: w.sheetId, title: 'Part 1', body: '', questions: [] }) },
  'admin.exams.sheets.delete': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, sheetId: w.sheetId }) },
  'admin.exams.sheets.move': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, sheetId: w.sheetId, direction: 'down' }) },
  'admin.exams.attachments.list': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id }) },
  'admin.exams.attachments.upload': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, fileName: 'notice.pdf', purpose: 'notice', contentBase64: PDF }) },
  'admin.exams.attachments.delete': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, attachmentId: w.attachmentId }) },
  'admin.exams.instructions.get': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id }) },
  'admin.exams.instructions.upload': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, fileName: 'instructions.wav', contentBase64: WAV }) },
  'admin.exams.instructions.remove': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id }) },
  'admin.exams.instructions.setCaption': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, caption: 'Please listen.' }) },
  'admin.exams.presets.list': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id }) },
  'admin.exams.presets.add': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, text: 'Sit still' }) },
  'admin.exams.presets.remove': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, presetId: w.presetId }) },
  'admin.rooms.list': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id }) },
  'admin.rooms.invigilators': { allowed: ADMIN },
  'admin.rooms.create': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, name: 'Room C', capacity: 10 }) },
  'admin.rooms.update': { allowed: ADMIN, input: (w) => ({ roomId: w.roomB.id, name: 'Room B2' }) },
  'admin.rooms.archive': { allowed: ADMIN, input: (w) => ({ roomId: w.roomB.id }) },
  'admin.rooms.unarchive': { allowed: ADMIN, input: (w) => ({ roomId: w.roomB.id }) },
  'admin.rooms.delete': { allowed: ADMIN, input: (w) => ({ roomId: w.roomB.id }) },
  'admin.rooms.distribute': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, mode: 'unplaced' }) },
  'admin.rooms.place': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, candidateId: w.users.candidateB.id, roomId: w.roomA.id }) },
  'admin.rooms.unplace': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, candidateId: w.users.candidateB.id }) },
  'admin.rooms.findCandidates': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, q: w.users.candidate.name.slice(0, 2) }) },
  'admin.rooms.assignInvigilator': { allowed: ADMIN, input: (w) => ({ roomId: w.roomB.id, userId: w.users.invigilator.id }) },
  'admin.rooms.unassign': { allowed: ADMIN, input: (w) => ({ roomId: w.roomB.id, userId: w.users.invigilatorOther.id }) },
  'admin.rooms.setChief': { allowed: ADMIN, input: (w) => ({ examId: w.exam.id, userId: w.users.invigilatorOther.id }) },
  'admin.staff.list': { allowed: ADMIN, input: () => ({}) },
  'admin.staff.create': { allowed: ADMIN, input: () => ({ role: 'support', name: 'New agent', username: 'new-agent', password: NEW_PASSWORD }) },
  'admin.staff.update': { allowed: ADMIN, input: (w) => ({ userId: w.users.support.id, name: 'Renamed agent' }) },
  'admin.staff.resetPassword': { allowed: ADMIN, input: (w) => ({ userId: w.users.support.id }) },
  'admin.staff.archive': { allowed: ADMIN, input: (w) => ({ userId: w.users.support.id }) },
  'admin.staff.unarchive': { allowed: ADMIN, input: (w) => ({ userId: w.users.support.id }) },
  'admin.staff.setAgent': { allowed: ADMIN, input: (w) => ({ userId: w.users.support.id, capacity: 3, accepting: true }) },

  // ---- sign-in: public by nature
  'auth.me': { allowed: EVERYONE },
  'auth.loginCandidate': {
    allowed: EVERYONE,
    noLeakCheck: 'anyone holding candidate A’s password is candidate A',
    input: (w) => ({ idNumber: w.users.candidate.idNumber, password: w.passwords.any }),
  },
  'auth.loginStaff': { allowed: EVERYONE, input: (w) => ({ username: w.users.support.username, password: w.passwords.any }) },
  'auth.setupNeeded': { allowed: EVERYONE },
  // Public, and closed once an admin exists: everyone gets CONFLICT (auth.setupDone), a business answer.
  'auth.setupFirstAdmin': { allowed: EVERYONE, input: () => ({ name: 'Root', username: 'root', password: NEW_PASSWORD }) },
  'auth.logout': { allowed: SIGNED_IN },
  // Face login: public like the password form; the waiting page's poll needs the attempt's secret.
  'face.availability': { allowed: EVERYONE, input: (w) => ({ name: w.users.candidate.name, idNumber: w.users.candidate.idNumber }) },
  'face.login': {
    allowed: EVERYONE,
    input: (w) => ({ name: w.users.candidate.name, idNumber: w.users.candidate.idNumber, frames: [makeJpeg(128).dataUrl, makeJpeg(128).dataUrl] }),
  },
  'face.attempt': {
    allowed: EVERYONE,
    noLeakCheck: 'anyone holding the attempt’s secret is the page that made it',
    input: (w) => ({ attemptId: w.faceAttemptId, secret: w.faceAttemptSecret }),
  },
  // The identity check queue: support and admins check everyone; invigilators their rooms'
  // candidates (the list is filtered, so any invigilator gets through to an empty one). The chief
  // of another exam this candidate also sits may check them: the identity is the candidate's, not the exam's.
  'face.queue': { allowed: DESK },
  'face.queueSize': { allowed: DESK },
  'face.decide': { allowed: IDENTITY_A, input: (w) => ({ attemptId: w.faceAttemptId, approve: false }) },

  // ---- the candidate's own pages
  'candidate.profile': { allowed: CANDIDATE },
  'candidate.updateProfile': { allowed: CANDIDATE, input: () => ({ phone: '13800138000', email: 'cand@example.com' }) },
  'candidate.reportSystemCheck': {
    allowed: CANDIDATE,
    input: () => ({ clockOffsetMs: 5, roundTripMs: 40, appVersion: '1.0', displays: 'single', mediaSupported: true, userAgent: 'test' }),
  },
  'candidate.reportDeviceCheck': {
    allowed: CANDIDATE,
    input: () => ({ passed: true, camera: 'cam', microphone: 'mic', peakLevel: 0.5, recordedMs: 3000, speakersOk: true }),
  },
  'candidate.checks': { allowed: CANDIDATE },
  'candidate.processSeen': { allowed: CANDIDATE },
  'exam.listMine': { allowed: CANDIDATE },
  'exam.notice': { allowed: CANDIDATE, input: (w) => ({ examId: w.exam.id }) },
  'exam.accept': { allowed: CANDIDATE, input: (w) => ({ examId: w.exam.id }) },
  'exam.drawLot': { allowed: CANDIDATE, input: (w) => ({ examId: w.exam.id }) },
  'exam.enter': { allowed: CANDIDATE, input: (w) => ({ examId: w.exam.id }) },
  'exam.session': { allowed: CANDIDATE, input: (w) => ({ examId: w.exam.id }) },
  'exam.questions': { allowed: CANDIDATE, input: (w) => ({ examId: w.exam.id }) },
  'exam.claimPage': { allowed: CANDIDATE, input: (w) => ({ examId: w.exam.id, instanceId: '6f1c2a52-3b7e-4f4a-9a39-0d5c1b8e7f21' }) },
  'exam.saveAnswers': { allowed: CANDIDATE, input: (w) => ({ examId: w.exam.id, answers: [{ questionId: 'q1', value: 'A', revision: 1 }] }) },
  'exam.confirmInfo': { allowed: CANDIDATE, input: (w) => ({ examId: w.exam.id }) },
  'exam.readNotice': { allowed: CANDIDATE, input: (w) => ({ examId: w.exam.id }) },
  'exam.finish': { allowed: CANDIDATE, input: (w) => ({ examId: w.exam.id, reason: 'submitted' }) },
  'exam.reportIntegrity': { allowed: CANDIDATE, input: (w) => ({ examId: w.exam.id, signal: 'page_hidden', at: new Date() }) },
  'messages.list': { allowed: CANDIDATE },
  'messages.unreadCount': { allowed: CANDIDATE },
  'messages.markRead': { allowed: CANDIDATE, input: (w) => ({ messageId: w.messageId }) },
  'messages.acknowledge': { allowed: CANDIDATE, input: (w) => ({ messageId: w.messageId }) },

  // ---- help desk
  'help.myThreads': { allowed: CANDIDATE },
  'help.open': { allowed: CANDIDATE, input: () => ({ category: 'other', body: 'Another question' }) },
  'help.thread': { allowed: THREAD_A, input: (w) => ({ threadId: w.threadId }) },
  'help.send': { allowed: THREAD_A, input: (w) => ({ threadId: w.threadId, body: 'Hello' }) },
  'help.typing': { allowed: THREAD_A, input: (w) => ({ threadId: w.threadId }) },
  'help.markRead': { allowed: THREAD_A, input: (w) => ({ threadId: w.threadId, messageId: w.helpMessageId }) },
  'help.queue': { allowed: DESK, input: () => ({ scope: 'open' }) },
  'help.agents': { allowed: DESK },
  'help.claim': { allowed: THREAD_A_STAFF, input: (w) => ({ threadId: w.threadId }) },
  'help.transfer': { allowed: THREAD_A_STAFF, input: (w) => ({ threadId: w.threadId, toAgentId: w.users.support.id }) },
  'help.resolve': { allowed: THREAD_A_STAFF, input: (w) => ({ threadId: w.threadId }) },
  'help.reopen': { allowed: THREAD_A_STAFF, input: (w) => ({ threadId: w.threadId }) },
  'help.context': { allowed: THREAD_A_STAFF, input: (w) => ({ threadId: w.threadId }) },
  'help.roomThreads': { allowed: THREAD_A_STAFF, input: (w) => ({ roomId: w.roomA.id }) },
  'help.setAccepting': { allowed: ['support', 'admin'], input: () => ({ accepting: false }) },
  'help.setCapacity': { allowed: ADMIN, input: (w) => ({ agentId: w.users.support.id, capacity: 4 }) },
  // The lead view: admins, and support agents marked lead (the world's support agent is not one).
  'help.lead.amI': { allowed: ['support', 'admin'] },
  'help.lead.overview': { allowed: ADMIN },
  'help.lead.reassign': { allowed: ADMIN, input: (w) => ({ threadId: w.threadId, toAgentId: w.users.support.id }) },
  'help.canned.list': { allowed: DESK },
  'help.canned.create': { allowed: ['support', 'admin'], input: () => ({ title: 'Mic', body: 'Check the microphone.' }) },
  'help.canned.update': { allowed: ['support', 'admin'], input: (w) => ({ id: w.cannedId, title: 'Camera', body: 'Reload.' }) },
  'help.canned.remove': { allowed: ['support', 'admin'], input: (w) => ({ id: w.cannedId }) },

  // ---- invigilation: room A's staff, row-level
  'invigilate.roomState': { allowed: ROOM_A_STAFF, input: (w) => ({ roomId: w.roomA.id }) },
  'invigilate.timeline': { allowed: ROOM_A_STAFF, input: (w) => ({ roomId: w.roomA.id, candidateId: w.users.candidate.id }) },
  'invigilate.flags': { allowed: ROOM_A_STAFF, input: (w) => ({ roomId: w.roomA.id }) },
  'invigilate.createFlag': { allowed: ROOM_A_STAFF, input: (w) => ({ roomId: w.roomA.id, candidateId: w.users.candidate.id, note: 'Phone visible' }) },
  'invigilate.resolveFlag': { allowed: ROOM_A_STAFF, input: (w) => ({ flagId: w.flagId, resolution: 'dismissed' }) },
  // Presets belong to the exam: any invigilator of one of its rooms.
  'invigilate.presets': { allowed: EXAM_STAFF, input: (w) => ({ examId: w.exam.id }) },
  'invigilate.addPreset': { allowed: EXAM_STAFF, input: (w) => ({ examId: w.exam.id, text: 'Keep your hands visible' }) },
  'invigilate.removePreset': { allowed: EXAM_STAFF, input: (w) => ({ presetId: w.presetId }) },
  'invigilate.sendMessage': { allowed: ROOM_A_STAFF, input: (w) => ({ roomId: w.roomA.id, candidateId: w.users.candidate.id, text: 'Face the camera' }) },
  'invigilate.addTime': { allowed: ROOM_A_STAFF, input: (w) => ({ roomId: w.roomA.id, candidateId: w.users.candidate.id, minutes: 5, reason: 'Outage' }) },
  'invigilate.endExam': { allowed: ROOM_A_STAFF, input: (w) => ({ roomId: w.roomA.id, candidateId: w.users.candidate.id, reason: 'Misconduct' }) },
  'invigilate.markViewed': { allowed: ROOM_A_STAFF, input: (w) => ({ roomId: w.roomA.id, candidateIds: [w.users.candidate.id] }) },
  'invigilate.grantIncidentTime': { allowed: ROOM_A_STAFF, input: (w) => ({ incidentId: w.incidentId, minutes: 1 }) },
  'invigilate.declineIncidentTime': { allowed: ROOM_A_STAFF, input: (w) => ({ incidentId: w.incidentId }) },
  'invigilate.chiefOverview': { allowed: ['chief', 'admin'], input: (w) => ({ examId: w.exam.id }) },
  'invigilate.myChiefExams': { allowed: INVIGILATORS },
  'invigilate.mediaServer': { allowed: INVIGILATORS },
  'room.listMine': { allowed: INVIGILATORS },
  'room.byId': { allowed: ROOM_A_STAFF, input: (w) => ({ roomId: w.roomA.id }) },
  'room.watchToken': { allowed: ROOM_A_STAFF, input: (w) => ({ roomId: w.roomA.id }) },

  // ---- system messages: senders within their limits
  'messages.send': { allowed: ROOM_A_STAFF, input: (w) => ({ audience: 'room', roomId: w.roomA.id, title: 'Hi', body: 'Five minutes' }) },
  'messages.sent': { allowed: DESK },
  'messages.composeOptions': { allowed: DESK },
  // Support may address any candidate, so it may look any up.
  'messages.findCandidates': { allowed: THREAD_A_STAFF, input: (w) => ({ roomId: w.roomA.id }) },

  // ---- recordings
  'recordings.start': {
    allowed: RECORDERS,
    input: (w, as) => ({
      examId: w.exam.id,
      track: as === 'phone' ? 'witness' : 'camera',
      clientKey: randomUUID(),
      mimeType: 'video/webm',
      startedAt: new Date(),
    }),
  },
  'recordings.finish': { allowed: RECORDERS, input: (w, as) => ({ recordingId: recordingOf(w, as), chunks: 0, endedAt: new Date() }) },
  'recordings.mine': { allowed: RECORDERS, input: (w) => ({ examId: w.exam.id }) },
  'recordings.ledger': { allowed: ROOM_A_STAFF, input: (w) => ({ examId: w.exam.id, candidateId: w.users.candidate.id }) },
  'recordings.roomBacklog': { allowed: ROOM_A_STAFF, input: (w) => ({ roomId: w.roomA.id }) },

  // ---- the phone
  'phone.createBinding': { allowed: CANDIDATE, input: (w) => ({ examId: w.exam.id }) },
  'phone.status': { allowed: CANDIDATE, input: (w) => ({ examId: w.exam.id }) },
  'phone.bind': { allowed: EVERYONE, input: (w) => ({ token: w.spareBindToken }) },
  'phone.me': { allowed: EVERYONE },
  'phone.token': { allowed: ['phone'] },
  'phone.heartbeat': { allowed: ['phone'], input: () => ({ battery: { level: 0.5, charging: false } }) },

  'system.time': { allowed: EVERYONE },
  'system.info': { allowed: EVERYONE },

  // ---- route handlers (app/api/**/route.ts), called with real Requests
  // Any session gets the connection; each topic is then allowed or refused inside it (LIVE below).
  'GET /api/live': {
    allowed: SIGNED_IN,
    noLeakCheck: 'the connection is ended as soon as it answers; what topics show is checked in LIVE',
    route: async (w, as) => {
      const stop = new AbortController();
      const req = new Request(`${ORIGIN}/api/live?topics=desk`, { headers: headersOf(w, as), signal: stop.signal });
      const res = await call('live', 'GET', req);
      // Like a tab closed at once: the stream ends, so its (empty) body can be read.
      stop.abort();
      return res;
    },
  },
  // The fixture's file is a question-sheet image of a started exam: the exam's candidates and
  // staff (any room of it); support never gets question material (access.mayReadAttachment).
  'GET /api/attachments/[id]': {
    allowed: ['candidate', 'invigilatorOther', 'invigilator', 'chief', 'admin'],
    route: (w, as) => get('attachments/[id]', `/api/attachments/${w.attachmentId}`, as, { id: String(w.attachmentId) }),
  },
  'GET /api/flags/[id]/still': {
    allowed: ROOM_A_STAFF,
    route: (w, as) => get('flags/[id]/still', `/api/flags/${w.flagId}/still`, as, { id: String(w.flagId) }),
  },
  'GET /api/face/attempts/[id]/frames/[idx]': {
    allowed: IDENTITY_A,
    route: (w, as) => get('face/attempts/[id]/frames/[idx]', `/api/face/attempts/${w.faceAttemptId}/frames/0`, as, { id: String(w.faceAttemptId), idx: '0' }),
  },
  'GET /api/recordings/[id]/file': {
    allowed: ROOM_A_STAFF,
    route: (w, as) => get('recordings/[id]/file', `/api/recordings/${w.screenRecordingId}/file`, as, { id: String(w.screenRecordingId) }),
  },
  'GET /api/admin/exams/[examId]/candidates': {
    allowed: ADMIN,
    route: (w, as) => get('admin/exams/[examId]/candidates', `/api/admin/exams/${w.exam.id}/candidates`, as, { examId: String(w.exam.id) }),
  },
  'GET /api/admin/exams/[examId]/exports/[kind]': {
    allowed: ADMIN,
    route: (w, as) =>
      get('admin/exams/[examId]/exports/[kind]', `/api/admin/exams/${w.exam.id}/exports/timeline`, as, { examId: String(w.exam.id), kind: 'timeline' }),
  },
  'GET /api/admin/audit': { allowed: ADMIN, route: (_w, as) => get('admin/audit', '/api/admin/audit', as) },
  // The photo is the person's, not the exam's: any room the candidate sits in counts (so the
  // chief of the other exam the candidate sits sees it); support answers for every candidate.
  'GET /api/face/references/[id]': {
    allowed: ['chiefOtherExam', 'invigilator', 'chief', 'support', 'admin'],
    route: (w, as) => get('face/references/[id]', `/api/face/references/${w.users.candidate.id}`, as, { id: String(w.users.candidate.id) }),
  },
  // The fixture's body is no image: an admin gets the photo's refusal (400), everyone else none.
  'PUT /api/admin/candidates/[id]/photo': {
    allowed: ADMIN,
    route: (w, as) =>
      call(
        'admin/candidates/[id]/photo',
        'PUT',
        new Request(`${ORIGIN}/api/admin/candidates/${w.users.candidateB.id}/photo`, { method: 'PUT', headers: headersOf(w, as), body: makeJpeg(64).buf }),
        { id: String(w.users.candidateB.id) },
      ),
  },
  'POST /api/admin/photo-packages': {
    allowed: ADMIN,
    route: (w, as) =>
      call(
        'admin/photo-packages',
        'POST',
        new Request(`${ORIGIN}/api/admin/photo-packages?name=p.zip`, { method: 'POST', headers: headersOf(w, as), body: 'not a zip' }),
      ),
  },
  // For load balancers: no login, and nothing in the answer but check names and reason codes.
  'GET /api/health': { allowed: EVERYONE, route: (_w, as) => get('health', '/api/health', as) },
  'GET /api/ready': { allowed: EVERYONE, route: (_w, as) => get('ready', '/api/ready', as) },
  // Cookies count for nothing: metrics go to this machine, or to METRICS_TOKEN's bearer (tests/unit/ops-metrics.test.ts).
  'GET /api/metrics': {
    allowed: EVERYONE,
    route: (w, as) => call('metrics', 'GET', new Request(`${ORIGIN}/api/metrics`, { headers: headersOf(w, as, { 'x-forwarded-for': '127.0.0.1' }) })),
  },
  // Cookies count for nothing here: only LiveKit's signature (checked separately below).
  'POST /api/livekit/webhook': {
    allowed: [],
    route: (w, as) =>
      call(
        'livekit/webhook',
        'POST',
        new Request(`${ORIGIN}/api/livekit/webhook`, {
          method: 'POST',
          headers: headersOf(w, as, { 'content-type': 'application/webhook+json' }),
          body: webhookJson(w),
        }),
      ),
  },
  // tus preflight: capabilities only (versions, max size), no data and no cookies in CORS preflights.
  'OPTIONS /api/uploads/[[...path]]': { allowed: EVERYONE, route: (w, as) => upload(w, as, 'OPTIONS', '/api/uploads') },
  // The endpoint has no downloads: 405 for everyone, whoever they are.
  'GET /api/uploads/[[...path]]': { allowed: EVERYONE, route: (w, as) => upload(w, as, 'GET', '/api/uploads') },
  'POST /api/uploads/[[...path]]': { allowed: RECORDERS, route: (w, as) => upload(w, as, 'POST', '/api/uploads') },
  // An upload the candidate's PC started (for its screen recording): only that PC may go on with it.
  'HEAD /api/uploads/[[...path]]': { allowed: CANDIDATE, route: async (w, as) => upload(w, as, 'HEAD', await pcUpload(w)) },
  'PATCH /api/uploads/[[...path]]': { allowed: CANDIDATE, route: async (w, as) => upload(w, as, 'PATCH', await pcUpload(w)) },
  'DELETE /api/uploads/[[...path]]': { allowed: CANDIDATE, route: async (w, as) => upload(w, as, 'DELETE', await pcUpload(w)) },
};

/* ------------------------------------------------------------------ route handler calls */

type RouteModule = Partial<Record<'GET' | 'POST' | 'HEAD' | 'OPTIONS' | 'PATCH' | 'DELETE' | 'PUT', RouteHandler>>;
const API_DIR = path.join(process.cwd(), 'app', 'api');
const routeModules = new Map<string, RouteModule>();
async function routeModule(dir: string): Promise<RouteModule> {
  if (!routeModules.has(dir)) routeModules.set(dir, (await import(/* @vite-ignore */ path.join(API_DIR, dir, 'route.ts'))) as RouteModule);
  return routeModules.get(dir)!;
}

let world: World;

function headersOf(w: World, as: RoleName, extra: Record<string, string> = {}) {
  const cookie = w.cookies[as];
  return { ...extra, ...(cookie ? { cookie } : {}) };
}

async function call(dir: string, method: keyof RouteModule, req: Request, params: Record<string, unknown> = {}) {
  const handler = (await routeModule(dir))[method];
  if (!handler) throw new Error(`${dir}/route.ts exports no ${method}`);
  return callRoute(handler, req, params);
}

const get = (dir: string, url: string, as: RoleName, params: Record<string, unknown> = {}) =>
  call(dir, 'GET', new Request(`${ORIGIN}${url}`, { headers: headersOf(world, as) }), params);

const webhookJson = (w: World) =>
  webhookBody({ event: 'participant_joined', room: w.roomA.livekitRoom, identity: candidateIdentity(w.users.candidate.id, 'pc') });

/** tus metadata of chunk 0 of a recording. */
function chunkMetadata(recordingId: number) {
  const sha = createHash('sha256').update('data').digest('hex');
  return [`recordingId ${b64(String(recordingId))}`, `seq ${b64('0')}`, `sha256 ${b64(sha)}`].join(',');
}

function upload(w: World, as: RoleName, method: keyof RouteModule, url: string) {
  const headers: Record<string, string> = headersOf(w, as, { 'tus-resumable': '1.0.0' });
  let body: string | undefined;
  if (method === 'POST') {
    headers['upload-length'] = '4';
    headers['upload-metadata'] = chunkMetadata(recordingOf(w, as));
  }
  if (method === 'PATCH') {
    headers['upload-offset'] = '0';
    headers['content-type'] = 'application/offset+octet-stream';
    body = 'da';
  }
  if (method === 'OPTIONS') headers['access-control-request-method'] = 'POST';
  const parts = url.split('/').slice(3);
  return call('uploads/[[...path]]', method, new Request(`${ORIGIN}${url}`, { method, headers, body }), { path: parts.length ? parts : undefined });
}

/** Starts an upload from the candidate's PC and returns its URL. */
async function pcUpload(w: World): Promise<string> {
  const res = await upload(w, 'candidate', 'POST', '/api/uploads');
  const location = res.headers.get('location');
  if (res.status !== 201 || !location) throw new Error(`could not start an upload: ${res.status} ${await res.text()}`);
  return new URL(location, `${ORIGIN}/api/uploads/`).pathname;
}

/* ------------------------------------------------------------------ outcomes */

type Outcome = 'ALLOWED' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'SERVER_ERROR';
const REFUSALS: readonly Outcome[] = ['UNAUTHORIZED', 'FORBIDDEN', 'NOT_FOUND'];

function outcomeOfStatus(status: number): Outcome {
  if (status >= 500) return 'SERVER_ERROR';
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  return 'ALLOWED';
}

function outcomeOfCode(code: string | null): Outcome {
  if (code === null) return 'ALLOWED';
  if (code === 'INTERNAL_SERVER_ERROR') return 'SERVER_ERROR';
  return (REFUSALS as string[]).includes(code) ? (code as Outcome) : 'ALLOWED';
}

const procedures = routerProcedures();

/**
 * Names a role must never see in an answer that got through: the other room's candidate for
 * the candidate and their phone, room A's candidate for the invigilator of room B.
 */
const FOREIGN: Partial<Record<RoleName, (w: World) => string[]>> = {
  candidate: (w) => [w.users.candidateB.name, w.users.candidateB.idNumber!],
  phone: (w) => [w.users.candidateB.name, w.users.candidateB.idNumber!],
  invigilatorOther: (w) => [w.users.candidate.name, w.users.candidate.idNumber!],
  chiefOtherExam: (w) => [w.users.candidateB.name, w.users.candidateB.idNumber!],
};

async function outcomeOf(key: string, entry: Entry, as: RoleName): Promise<{ outcome: Outcome; detail: string; text: string }> {
  if (entry.route) {
    const res = await rolledBack(world.db, () => entry.route!(world, as));
    const text = res.body ? await res.text().catch(() => '') : '';
    return { outcome: outcomeOfStatus(res.status), detail: `${res.status} ${text.slice(0, 200)}`, text };
  }
  const type = procedures.get(key)!;
  if (type === 'subscription') throw new Error(`${key}: live updates go through /api/live (LIVE below), not tRPC subscriptions`);
  const input = entry.input?.(world, as);
  const r = await rolledBack(world.db, () => callTrpc({ path: key, type, input, cookie: world.cookies[as] }));
  const text = JSON.stringify(r.body);
  return { outcome: outcomeOfCode(r.code), detail: `${r.status} ${text.slice(0, 300)}`, text };
}

/* ------------------------------------------------------------------ live topics */

type LiveRefusal = { code: string; key: string };
const NOT_ASSIGNED: LiveRefusal = { code: 'FORBIDDEN', key: 'room.notAssigned' };
const NOT_SENDER: LiveRefusal = { code: 'FORBIDDEN', key: 'messages.notSender' };
const THREAD_NOT_FOUND: LiveRefusal = { code: 'NOT_FOUND', key: 'help.notFound' };

/**
 * Who gets which topic of the live connection (`GET /api/live?topics=…`), one entry per kind of
 * topic, naming the fixture's rows as ACCESS does (the roles of the tRPC subscriptions the
 * topics replaced). `allowed` roles find the topic in the `open` frame. Every other signed-in
 * role gets a `refused` frame for it: the row-level refusal in `rows` when its role may open
 * that kind of topic but not this row, else FORBIDDEN auth.wrongRole. Without a user session
 * (anonymous, the phone) the connection itself is refused: 401 auth.required.
 */
const LIVE: Record<LiveKind, { topic: (w: World) => string; allowed: readonly RoleName[]; rows?: Partial<Record<RoleName, LiveRefusal>> }> = {
  commands: { topic: (w) => `commands:${w.exam.id}`, allowed: CANDIDATE },
  holder: { topic: (w) => `holder:${w.exam.id}`, allowed: CANDIDATE },
  messages: { topic: () => 'messages', allowed: CANDIDATE },
  help: { topic: () => 'help', allowed: CANDIDATE },
  typing: { topic: (w) => `typing:${w.threadId}`, allowed: THREAD_A, rows: { chiefOtherExam: THREAD_NOT_FOUND, invigilatorOther: THREAD_NOT_FOUND } },
  room: { topic: (w) => `room:${w.roomA.id}`, allowed: ROOM_A_STAFF, rows: { chiefOtherExam: NOT_ASSIGNED, invigilatorOther: NOT_ASSIGNED } },
  desk: { topic: () => 'desk', allowed: DESK },
  // Only the sender (room A's invigilator) and admins follow a message's counts.
  stats: {
    topic: (w) => `stats:${w.messageId}`,
    allowed: ['invigilator', 'admin'],
    rows: { chiefOtherExam: NOT_SENDER, invigilatorOther: NOT_SENDER, chief: NOT_SENDER, support: NOT_SENDER },
  },
};

function expectedLive(kind: LiveKind, as: RoleName): 'open' | LiveRefusal {
  const entry = LIVE[kind];
  if (entry.allowed.includes(as)) return 'open';
  if (as === 'anonymous' || as === 'phone') return { code: 'UNAUTHORIZED', key: 'auth.required' };
  return entry.rows?.[as] ?? { code: 'FORBIDDEN', key: 'auth.wrongRole' };
}

/** How long an opened topic must stay quiet before its backfill counts as read (for the leak check). */
const QUIET_MS = 150;

/**
 * Opens one topic through the app's live route as a role (cursor 0: the whole backfill) and
 * reads up to the `open` frame; for an opened topic, also what it sends before it goes quiet.
 */
async function liveOutcomeOf(topic: string, as: RoleName): Promise<{ got: 'open' | LiveRefusal; detail: string; text: string }> {
  const stop = new AbortController();
  try {
    const live = await openLive({
      db: world.db,
      token: null,
      cookie: world.cookies[as],
      topics: [topic],
      cursors: [[topic as LiveTopic, 0]],
      signal: stop.signal,
      handle: (req) => call('live', 'GET', req),
    });
    if (live.json) {
      return { got: { code: outcomeOfStatus(live.res.status), key: live.json.error }, detail: `${live.res.status} ${JSON.stringify(live.json)}`, text: '' };
    }
    const before: LiveFrame[] = [];
    for (let f = await live.next(); f.event !== 'open'; f = await live.next()) before.push(f);
    const refused = before.find((f) => f.event === 'refused');
    if (refused?.event === 'refused') {
      const { code, key } = refused.data;
      return { got: { code, key }, detail: `refused ${JSON.stringify(refused.data)}`, text: '' };
    }
    const shown: LiveFrame[] = [];
    for (let f = await live.within(QUIET_MS); f && shown.length < 100; f = await live.within(QUIET_MS)) shown.push(f);
    return { got: 'open', detail: `open (${[...before, ...shown].map((f) => f.event).join(', ')})`, text: JSON.stringify(shown) };
  } finally {
    stop.abort();
  }
}

/* ------------------------------------------------------------------ the tests */

let testDb: ReturnType<typeof createTestDb>;
const results = new Map<string, Map<RoleName, Outcome>>();

beforeAll(async () => {
  testDb = createTestDb();
  useAppDb(testDb);
  world = await buildWorld(testDb);
}, 60_000);

afterAll(() => {
  useAppDb(undefined);
  testDb?.cleanup();
  removeDataDir();
});

/** Every `route.ts` under app/api and the HTTP methods it exports, as "METHOD /api/<dir>". */
async function routeKeys(): Promise<string[]> {
  const keys: string[] = [];
  const walk = async (dir: string) => {
    for (const e of fs.readdirSync(path.join(API_DIR, dir), { withFileTypes: true })) {
      const rel = dir ? `${dir}/${e.name}` : e.name;
      if (e.isDirectory()) await walk(rel);
      else if (e.name === 'route.ts' && dir !== 'trpc/[trpc]') {
        const mod = await routeModule(dir);
        for (const m of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const) if (typeof mod[m] === 'function') keys.push(`${m} /api/${dir}`);
      }
    }
  };
  await walk('');
  return keys;
}

describe('access matrix', () => {
  it('has exactly one entry per procedure of the router and per route handler method', async () => {
    const problems: string[] = [];
    for (const p of procedures.keys()) if (!ACCESS[p]) problems.push(`add an entry for ${p}`);
    const routes = await routeKeys();
    for (const r of routes) if (!ACCESS[r]) problems.push(`add an entry for ${r}`);
    for (const key of Object.keys(ACCESS)) if (!procedures.has(key) && !routes.includes(key)) problems.push(`${key} no longer exists: remove its entry`);
    expect(problems).toEqual([]);
  });

  const keys = Object.keys(ACCESS);
  it.each(keys)('%s: each role gets what the table says', async (key) => {
    const entry = ACCESS[key]!;
    if (!entry.route && !procedures.has(key)) return; // reported by the completeness test
    const row = new Map<RoleName, Outcome>();
    results.set(key, row);
    const wrong: string[] = [];
    for (const as of ROLES) {
      const { outcome, detail, text } = await outcomeOf(key, entry, as);
      row.set(as, outcome);
      const shouldPass = entry.allowed.includes(as);
      const hole = entry.holes?.[as];
      const passed = outcome === 'ALLOWED';
      if (outcome === 'SERVER_ERROR') wrong.push(`${as}: server error ${detail}`);
      else if (hole !== undefined) {
        if (passed === shouldPass) wrong.push(`${as}: hole closed (${hole}): delete the HOLE mark`);
      } else if (shouldPass && !passed) wrong.push(`${as}: expected to get through, got ${outcome} ${detail}`);
      else if (!shouldPass && passed) wrong.push(`${as}: expected a refusal, got through ${detail}`);
      else if (!shouldPass && as === 'anonymous' && outcome !== 'UNAUTHORIZED') wrong.push(`${as}: expected UNAUTHORIZED, got ${outcome} ${detail}`);
      const seen = outcome === 'ALLOWED' && !entry.noLeakCheck ? (FOREIGN[as]?.(world) ?? []).filter((m) => text.includes(m)) : [];
      if (seen.length && !entry.leaks?.[as]) wrong.push(`${as}: the answer shows ${seen.join(', ')}, which is not theirs: ${detail}`);
      if (!seen.length && entry.leaks?.[as]) wrong.push(`${as}: leak closed (${entry.leaks[as]}): delete the HOLE mark`);
    }
    expect(wrong).toEqual([]);
  });

  it.each(Object.keys(LIVE) as LiveKind[])(
    'live topic %s: each role gets it in the open frame, or the refusal the table says',
    async (kind) => {
      const topic = LIVE[kind].topic(world);
      const row = new Map<RoleName, Outcome>();
      results.set(`live ${topic}`, row);
      const wrong: string[] = [];
      for (const as of ROLES) {
        const { got, detail, text } = await liveOutcomeOf(topic, as);
        row.set(as, got === 'open' ? 'ALLOWED' : outcomeOfCode(got.code));
        const want = expectedLive(kind, as);
        if (JSON.stringify(got) !== JSON.stringify(want)) wrong.push(`${as}: expected ${JSON.stringify(want)}, got ${detail}`);
        const seen = got === 'open' ? (FOREIGN[as]?.(world) ?? []).filter((m) => text.includes(m)) : [];
        if (seen.length) wrong.push(`${as}: the topic shows ${seen.join(', ')}, which is not theirs: ${text.slice(0, 300)}`);
      }
      expect(wrong).toEqual([]);
    },
    30_000,
  );

  it('the webhook route accepts a body LiveKit signed, whoever sends it', async () => {
    const body = webhookJson(world);
    const res = await rolledBack(world.db, async () =>
      call(
        'livekit/webhook',
        'POST',
        new Request(`${ORIGIN}/api/livekit/webhook`, {
          method: 'POST',
          headers: { 'content-type': 'application/webhook+json', authorization: await signWebhook(body) },
          body,
        }),
      ),
    );
    expect(res.status).toBe(200);
  });

  it('prints a summary', () => {
    const counts: Record<Outcome, number> = { ALLOWED: 0, UNAUTHORIZED: 0, FORBIDDEN: 0, NOT_FOUND: 0, SERVER_ERROR: 0 };
    const holes: string[] = [];
    for (const [key, row] of results) for (const o of row.values()) counts[o]++;
    for (const [key, e] of Object.entries(ACCESS)) {
      for (const [role, why] of Object.entries(e.holes ?? {})) holes.push(`${key} × ${role}: ${why}`);
      for (const [role, why] of Object.entries(e.leaks ?? {})) holes.push(`${key} × ${role} (leak): ${why}`);
    }
    const lines = [...results].map(([key, row]) => `${key.padEnd(46)} ${ROLES.map((r) => (row.get(r) ?? '-').slice(0, 5).padEnd(6)).join('')}`);
    console.log(
      [
        `access matrix: ${results.size} entries (${[...procedures.keys()].length} procedures) × ${ROLES.length} roles = ${[...results.values()].reduce((n, r) => n + r.size, 0)} calls`,
        `outcomes: ${JSON.stringify(counts)}`,
        `${''.padEnd(46)} ${ROLES.map((r) => r.slice(0, 5).padEnd(6)).join('')}`,
        ...lines,
        `holes (${holes.length}):`,
        ...holes.map((h) => `  ${h}`),
      ].join('\n'),
    );
  });
});
