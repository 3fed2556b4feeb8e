import { eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { examRooms, exams, invigilatorAssignments, registrations, users, type ExamKind, type Role } from '@/db/schema';
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

export function registerCandidate(opts: { db: DbOrTx; examId: number; roomId: number; candidateId: number; seat: number }) {
  const { db, ...values } = opts;
  return db.insert(registrations).values(values).returning().get();
}

export function assignInvigilator({ db, roomId, userId }: { db: DbOrTx; roomId: number; userId: number }) {
  db.insert(invigilatorAssignments).values({ roomId, userId }).onConflictDoNothing().run();
}
