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
  type AttachmentPurpose,
  type ExamKind,
  type Question,
  type Role,
} from '@/db/schema';
import { livekitRoomName } from '../livekit/tokens';
import { hashPassword } from './auth';

/** Building blocks of exam set-up, used by the seed, the tests and (later) the back office. */

export type NewUser = {
  role: Role;
  name: string;
  username?: string;
  idNumber?: string;
  phone?: string;
  email?: string;
  passwordLoginEnabled?: boolean;
  /** Tests only: a candidate who logged in before, so login goes straight to My exams. */
  processSeenAt?: Date | null;
};

/** Inserts a user whose password is already hashed: synchronous, so it can run inside a transaction. */
export function insertUser(db: DbOrTx, opts: NewUser & { passwordHash: string }) {
  return db
    .insert(users)
    .values({
      role: opts.role,
      name: opts.name,
      username: opts.username ?? null,
      idNumber: opts.idNumber?.toUpperCase() ?? null,
      phone: opts.phone ?? null,
      email: opts.email ?? null,
      passwordHash: opts.passwordHash,
      passwordLoginEnabled: opts.passwordLoginEnabled ?? true,
      processSeenAt: opts.processSeenAt ?? null,
    })
    .returning()
    .get();
}

export async function createUser(opts: NewUser & { db: DbOrTx; password: string }) {
  const { db, password, ...rest } = opts;
  return insertUser(db, { ...rest, passwordHash: await hashPassword(password) });
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
  retentionDays?: number;
  deviceCheckRequired?: boolean;
  phoneWitnessRequired?: boolean;
  cameraRecheckOnReturn?: boolean;
}) {
  const { db, ...values } = opts;
  return db.insert(exams).values(values).returning().get();
}

/** A room and its LiveKit room name, which is derived from the ids and so needs the row first. */
export function createRoom({ db, examId, name, capacity }: { db: DbOrTx; examId: number; name: string; capacity?: number }) {
  return db.transaction((tx) => {
    const row = tx
      .insert(examRooms)
      .values({ examId, name, livekitRoom: `pending-${crypto.randomUUID()}`, ...(capacity != null ? { capacity } : {}) })
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
  /** Both null (or left out) for a candidate not placed yet. */
  roomId?: number | null;
  candidateId: number;
  seat?: number | null;
  acceptedAt?: Date;
  lotNumber?: number;
}) {
  const { db, ...values } = opts;
  return db.insert(registrations).values(values).returning().get();
}

/** Assigns an invigilator to a room; true when the assignment is new. */
export function assignInvigilator({ db, roomId, userId }: { db: DbOrTx; roomId: number; userId: number }): boolean {
  return db.insert(invigilatorAssignments).values({ roomId, userId }).onConflictDoNothing().run().changes > 0;
}

export function addQuestionSheet(opts: { db: DbOrTx; examId: number; position: number; title: string; body?: string; questions?: Question[] }) {
  const { db, ...values } = opts;
  return db
    .insert(questionSheets)
    .values({ ...values, body: values.body ?? '', questions: values.questions ?? [] })
    .returning()
    .get();
}

export function addAttachment(opts: { db: DbOrTx; examId: number; fileName: string; contentType: string; content: Buffer; purpose?: AttachmentPurpose }) {
  const { db, ...values } = opts;
  return db
    .insert(examAttachments)
    .values(values)
    .returning({ id: examAttachments.id, fileName: examAttachments.fileName, purpose: examAttachments.purpose })
    .get();
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
