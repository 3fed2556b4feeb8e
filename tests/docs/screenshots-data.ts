/**
 * The data behind the README's pictures (tests/docs/screenshots.ts): the demo seed, with its
 * 500-candidate exam moved to "running now", and what each role's page needs to have something
 * to show. Imported only after the environment points at the screenshot stack.
 */
import { and, asc, eq, inArray, isNotNull } from 'drizzle-orm';
import { openDb, type Db } from '@/db/client';
import { events, examRooms, exams, invigilatorAssignments, registrations, users, type HelpCategory } from '@/db/schema';
import { DEMO_LARGE_EXAM_TITLE, DEMO_PASSWORD, DEMO_STAFF, seedDemo } from '@/db/seed';
import { DEMO_CANDIDATES } from '@/db/seed-data';
import { setCandidatePassword } from '@/server/services/admin/candidates';
import { toCaller } from '@/server/services/auth';
import { recordDeviceCheck } from '@/server/services/candidates';
import { acceptNotice, confirmInfo, enterExam } from '@/server/services/exams';
import { setReferencePhoto } from '@/server/services/face-references';
import { claim, openThread, send } from '@/server/services/help';
import { facePhoto, type FaceName } from '../fixtures/faces';

const MIN = 60_000;
/** The real candidate's face: their camera films it and it is their registered photo. */
export const CANDIDATE_FACE: FaceName = 'bea';

const staffName = (role: (typeof DEMO_STAFF)[number]['role']) => DEMO_STAFF.find((s) => s.role === role)!.username;

function withDb<T>(dbPath: string, work: (db: Db) => T): T {
  const db = openDb(dbPath);
  try {
    return work(db);
  } finally {
    db.$client.close();
  }
}

/**
 * Seeds the demo, starts its 500-candidate exam twenty minutes ago, and picks room 1's first
 * `tiles` seats: the first candidate not among the demo logins is the real browser (given the
 * demo password and the registered photo of the face its camera films), the others are
 * simulated. The real one and most of the other rooms have entered.
 */
export async function prepareScene({ dbPath, tiles, now = new Date() }: { dbPath: string; tiles: number; now?: Date }) {
  const db = openDb(dbPath);
  try {
    await seedDemo({ db, now });
    const exam = db.select().from(exams).where(eq(exams.title, DEMO_LARGE_EXAM_TITLE)).get();
    if (!exam) throw new Error(`the demo seed made no exam "${DEMO_LARGE_EXAM_TITLE}"`);
    // The demo's own clock, as `npm run demo` re-times its exams; the back office never moves a started exam.
    const at = (minutes: number) => new Date(now.getTime() + minutes * MIN);
    db.update(exams)
      .set({ entryOpensAt: at(-40), startsAt: at(-20), entryClosesAt: at(10) })
      .where(eq(exams.id, exam.id))
      .run();

    const rooms = db.select().from(examRooms).where(eq(examRooms.examId, exam.id)).orderBy(asc(examRooms.id)).all();
    const room = rooms[0]!;
    const seated = db
      .select({ candidateId: registrations.candidateId, roomId: registrations.roomId, idNumber: users.idNumber, name: users.name })
      .from(registrations)
      .innerJoin(users, eq(users.id, registrations.candidateId))
      .where(and(eq(registrations.examId, exam.id), isNotNull(registrations.roomId)))
      .orderBy(asc(registrations.seat), asc(registrations.id))
      .all();
    const page = seated.filter((r) => r.roomId === room.id).slice(0, tiles);
    if (page.length < tiles) throw new Error(`room ${room.name} seats ${page.length} candidates, fewer than ${tiles}`);
    const demoIds = new Set<string>(DEMO_CANDIDATES.map((c) => c.idNumber));
    const real = page.find((r) => !demoIds.has(r.idNumber!)) ?? page[0]!;

    const admin = db
      .select()
      .from(users)
      .where(eq(users.username, staffName('admin')))
      .get()!;
    await setCandidatePassword({ db, actorId: admin.id, candidateId: real.candidateId, password: DEMO_PASSWORD, examId: exam.id });

    // The face the real candidate's camera films (tests/fixtures/faces.ts), as the registered photo.
    await setReferencePhoto({ db, actorId: admin.id, candidateId: real.candidateId, bytes: await facePhoto(CANDIDATE_FACE, { margin: 0.4 }), examId: exam.id });

    // The real candidate confirms their details on the page, as everyone does. Six in seven of
    // the other rooms have entered too: the dashboard of an exam well under way. The simulated
    // candidates enter once their devices have joined (enterSimulated).
    await enter(db, exam.id, [real.candidateId], now, { confirm: false });
    const elsewhere = seated.filter((r) => r.roomId !== room.id && r.candidateId % 7 !== 0);
    // Of those still outside, half have passed the device check.
    for (const r of seated.filter((x) => x.roomId !== room.id && x.candidateId % 14 === 0)) passDeviceCheck(db, r.candidateId);
    await enter(
      db,
      exam.id,
      elsewhere.map((r) => r.candidateId),
      now,
    );

    return {
      examId: exam.id,
      room: { id: room.id, name: room.name, livekitRoom: room.livekitRoom },
      candidate: { id: real.candidateId, name: real.name, idNumber: real.idNumber!, password: DEMO_PASSWORD },
      simulated: page.filter((r) => r !== real).map((r) => r.candidateId),
      /** Simulated candidates with no other exam (the demo logins also sit the demo exam). */
      bystanders: page.filter((r) => r !== real && !demoIds.has(r.idNumber!)).map((r) => r.candidateId),
      password: DEMO_PASSWORD,
      invigilator: invigilatorOf(db, room.id),
      support: staffName('support'),
      admin: staffName('admin'),
    };
  } finally {
    db.$client.close();
  }
}

/** Accepted the notice and entered; the details confirmed unless `confirm` is false. */
/** A passed device check (speakers heard), as the demo exams require before entry. */
function passDeviceCheck(db: Db, candidateId: number) {
  recordDeviceCheck({
    db,
    candidateId,
    passed: true,
    speakersOk: true,
    camera: 'Integrated Camera',
    microphone: 'Microphone Array',
    peakLevel: 0.4,
    recordedMs: 10_000,
  });
}

async function enter(db: Db, examId: number, candidateIds: number[], now: Date, { confirm = true } = {}) {
  const at = (minutes: number) => new Date(now.getTime() + minutes * MIN);
  for (const candidateId of candidateIds) {
    passDeviceCheck(db, candidateId);
    acceptNotice({ db, candidateId, examId, now: at(-30) });
    await enterExam({ db, candidateId, examId, now: at(-25) });
    if (confirm) confirmInfo({ db, candidateId, examId, now: at(-24) });
  }
}

/**
 * The simulated candidates enter once the SFU has told the app that both their devices joined.
 * The simulator is not our exam page, and a device that joins from elsewhere while its candidate
 * sits the exam is flagged (`client_mismatch`, server/services/flags.ts): rightly, but forty such
 * flags are not what an exam looks like.
 */
export async function enterSimulated({
  dbPath,
  examId,
  candidateIds,
  timeoutMs = 60_000,
}: {
  dbPath: string;
  examId: number;
  candidateIds: number[];
  timeoutMs?: number;
}) {
  const db = openDb(dbPath);
  try {
    const joined = () =>
      db
        .selectDistinct({ candidateId: events.candidateId, device: events.device })
        .from(events)
        .where(and(eq(events.type, 'participant_joined'), inArray(events.candidateId, candidateIds)))
        .all().length;
    const deadline = Date.now() + timeoutMs;
    while (joined() < candidateIds.length * 2) {
      if (Date.now() > deadline)
        throw new Error(`only ${joined()} of ${candidateIds.length * 2} simulated devices were reported joined within ${timeoutMs / 1000} s`);
      await new Promise((r) => setTimeout(r, 250));
    }
    await enter(db, examId, candidateIds, new Date());
  } finally {
    db.$client.close();
  }
}

/** The username of the room's invigilator (the seed assigns one per room). */
function invigilatorOf(db: Db, roomId: number) {
  const row = db
    .select({ username: users.username })
    .from(invigilatorAssignments)
    .innerJoin(users, eq(users.id, invigilatorAssignments.userId))
    .where(eq(invigilatorAssignments.roomId, roomId))
    .get();
  if (!row?.username) throw new Error(`room ${roomId} has no invigilator`);
  return row.username;
}

/**
 * The candidate asks the help desk a question and the support agent has taken it and answered;
 * two more candidates wait in the queue. Returns the candidate's thread.
 */
export function askForHelp({
  dbPath,
  candidateId,
  body,
  others,
  otherQuestions,
  now = new Date(),
}: {
  dbPath: string;
  candidateId: number;
  body: string;
  others: number[];
  otherQuestions: readonly { category: HelpCategory; body: string }[];
  now?: Date;
}) {
  return withDb(dbPath, (db) => {
    const at = (minutes: number) => new Date(now.getTime() + minutes * MIN);
    const agent = toCaller(
      db
        .select()
        .from(users)
        .where(eq(users.username, staffName('support')))
        .get()!,
    );
    const thread = openThread({ db, candidateId, category: 'technical', body, now: at(-3) });
    claim({ db, caller: agent, threadId: thread.id, now: at(-2) });
    send({
      db,
      caller: agent,
      threadId: thread.id,
      body: '您好，不需要重新做设备检测。画面已经恢复，监考老师能正常看到您；中断的那一段已记录，不影响作答，请继续考试。',
      now: at(-1),
    });
    otherQuestions.forEach((q, i) => openThread({ db, candidateId: others[(i + 1) * 5]!, category: q.category, body: q.body, now: at(-2 + i) }));
    return thread.id;
  });
}
