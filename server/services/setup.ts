import { eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import {
  examAttachments,
  examRooms,
  exams,
  invigilatorAssignments,
  messages,
  questionSheets,
  registrations,
  users,
  type ExamKind,
  type Question,
  type Role,
} from '@/db/schema';
import { livekitRoomName } from '../livekit/tokens';
import { hashPassword } from './auth';

/** Building blocks of exam set-up, used by the seed, the tests and (later) the back office. */

export async function createUser(opts: {
  db: DbOrTx;
  role: Role;
  name: string;
  password: string;
  username?: string;
  idNumber?: string;
  phone?: string;
  email?: string;
  passwordLoginEnabled?: boolean;
}) {
  const passwordHash = await hashPassword(opts.password);
  return opts.db
    .insert(users)
    .values({
      role: opts.role,
      name: opts.name,
      username: opts.username ?? null,
      idNumber: opts.idNumber?.toUpperCase() ?? null,
      phone: opts.phone ?? null,
      email: opts.email ?? null,
      passwordHash,
      passwordLoginEnabled: opts.passwordLoginEnabled ?? true,
    })
    .returning()
    .get();
}

export function createExam(opts: {
  db: DbOrTx;
  title: string;
  kind: ExamKind;
  entryOpensAt: Date;
  entryClosesAt: Date;
  startsAt: Date;
  durationMinutes: number;
  notice?: string;
}) {
  const { db, ...values } = opts;
  return db.insert(exams).values(values).returning().get();
}

/** A room and its LiveKit room name, which is derived from the ids and so needs the row first. */
export function createRoom({ db, examId, name }: { db: DbOrTx; examId: number; name: string }) {
  return db.transaction((tx) => {
    const row = tx
      .insert(examRooms)
      .values({ examId, name, livekitRoom: `pending-${crypto.randomUUID()}` })
      .returning()
      .get();
    return tx
      .update(examRooms)
      .set({ livekitRoom: livekitRoomName(examId, row.id) })
      .where(eq(examRooms.id, row.id))
      .returning()
      .get();
  });
}

export function registerCandidate(opts: {
  db: DbOrTx;
  examId: number;
  roomId: number;
  candidateId: number;
  seat: number;
  acceptedAt?: Date;
  lotNumber?: number;
}) {
  const { db, ...values } = opts;
  return db.insert(registrations).values(values).returning().get();
}

export function assignInvigilator({ db, roomId, userId }: { db: DbOrTx; roomId: number; userId: number }) {
  db.insert(invigilatorAssignments).values({ roomId, userId }).onConflictDoNothing().run();
}

export function addQuestionSheet(opts: { db: DbOrTx; examId: number; position: number; title: string; body?: string; questions?: Question[] }) {
  const { db, ...values } = opts;
  return db.insert(questionSheets).values({ ...values, body: values.body ?? '', questions: values.questions ?? [] }).returning().get();
}

export function addAttachment(opts: { db: DbOrTx; examId: number; fileName: string; contentType: string; content: Buffer }) {
  const { db, ...values } = opts;
  return db.insert(examAttachments).values(values).returning({ id: examAttachments.id, fileName: examAttachments.fileName }).get();
}

export function createMessage(opts: {
  db: DbOrTx;
  audience: 'all' | 'exam' | 'room' | 'candidate';
  examId?: number;
  roomId?: number;
  candidateId?: number;
  title: string;
  body: string;
  priority?: 'normal' | 'urgent';
  mustAcknowledge?: boolean;
  sentBy?: number;
}) {
  const { db, ...values } = opts;
  return db.insert(messages).values(values).returning().get();
}
