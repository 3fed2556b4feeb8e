import { and, asc, eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { examRooms, exams, registrations, users, type Exam } from '@/db/schema';
import { AppError } from '../errors';
import { mintCandidatePcToken } from '../livekit/tokens';

export type EntryState = 'not_yet_open' | 'open' | 'closed';

/** The entry window is [opensAt, closesAt): open at the first millisecond, closed at the last. */
export function entryState(exam: Pick<Exam, 'entryOpensAt' | 'entryClosesAt'>, now: Date): EntryState {
  if (now < exam.entryOpensAt) return 'not_yet_open';
  if (now >= exam.entryClosesAt) return 'closed';
  return 'open';
}

export function listCandidateExams({ db, candidateId, now = new Date() }: { db: Db; candidateId: number; now?: Date }) {
  return db
    .select({ exam: exams, room: examRooms, seat: registrations.seat })
    .from(registrations)
    .innerJoin(exams, eq(exams.id, registrations.examId))
    .innerJoin(examRooms, eq(examRooms.id, registrations.roomId))
    .where(eq(registrations.candidateId, candidateId))
    .orderBy(asc(exams.startsAt))
    .all()
    .map(({ exam, room, seat }) => ({
      id: exam.id,
      title: exam.title,
      kind: exam.kind,
      entryOpensAt: exam.entryOpensAt,
      entryClosesAt: exam.entryClosesAt,
      startsAt: exam.startsAt,
      durationMinutes: exam.durationMinutes,
      roomName: room.name,
      seat,
      entry: entryState(exam, now),
    }));
}

/** Row-level: the candidate's own registration for this exam, or NOT_FOUND (never someone else's). */
function registrationOf({ db, candidateId, examId }: { db: Db; candidateId: number; examId: number }) {
  const row = db
    .select({ exam: exams, room: examRooms, seat: registrations.seat, name: users.name })
    .from(registrations)
    .innerJoin(exams, eq(exams.id, registrations.examId))
    .innerJoin(examRooms, eq(examRooms.id, registrations.roomId))
    .innerJoin(users, eq(users.id, registrations.candidateId))
    .where(and(eq(registrations.candidateId, candidateId), eq(registrations.examId, examId)))
    .get();
  if (!row) throw new AppError('NOT_FOUND', 'exam.notRegistered');
  return row;
}

/**
 * Entering is refused outside the entry window. Inside it the candidate gets a publish-only
 * token for their exam room.
 */
export async function enterExam({ db, candidateId, examId, now = new Date() }: { db: Db; candidateId: number; examId: number; now?: Date }) {
  const { exam, room, seat, name } = registrationOf({ db, candidateId, examId });
  const state = entryState(exam, now);
  if (state === 'not_yet_open') {
    throw new AppError('PRECONDITION_FAILED', 'exam.entryNotOpen', { opensAt: exam.entryOpensAt });
  }
  if (state === 'closed') {
    throw new AppError('PRECONDITION_FAILED', 'exam.entryClosed', { closedAt: exam.entryClosesAt });
  }
  const livekit = await mintCandidatePcToken({ room: room.livekitRoom, candidateId, name });
  return {
    exam: {
      id: exam.id,
      title: exam.title,
      kind: exam.kind,
      startsAt: exam.startsAt,
      durationMinutes: exam.durationMinutes,
      roomName: room.name,
      seat,
    },
    livekit,
  };
}
