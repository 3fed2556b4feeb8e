import { and, asc, eq, inArray, isNull, ne, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { examRooms, flags, helpThreads, invigilatorAssignments, registrations, users, type Exam } from '@/db/schema';
import { byRoomName } from '../../natural-order';
import { endsAt, endsAtSql, SAVE_GRACE_MS } from '../exams';
import { examOrThrow } from './common';

/**
 * Where each placed candidate of an exam stands, for the back office's live dashboard. Every
 * placed candidate is in exactly one state:
 *
 * - `not_checked_in`: has not entered the exam ("checked in" means entered: the moment the
 *   candidate is inside the exam room, seen by the invigilator).
 * - `device_ok`: has not entered, but their latest device check (camera + microphone) passed:
 *   ready, just not in yet.
 * - `in_exam`: entered (waiting for the start or answering), not finished, no problem.
 * - `problem`: entered, not finished, and an open flag, or the PC's latest connection event says
 *   it left or is reconnecting. That is the grid's cheapest live-media signal: one index seek
 *   per candidate on the timeline; a missing track or a poor connection only the grid sees.
 * - `finished`: finished (or past their end and grace, which the candidate's next request will
 *   record as a time-out), and every recording of theirs complete, or none made.
 * - `upload_pending`: finished, but a recording of this exam is not complete yet.
 */
export const DASHBOARD_STATES = ['not_checked_in', 'device_ok', 'in_exam', 'problem', 'finished', 'upload_pending'] as const;
export type DashboardState = (typeof DASHBOARD_STATES)[number];
export type StateCounts = Record<DashboardState, number> & { total: number };

export type ExamClock = 'scheduled' | 'entry_open' | 'in_progress' | 'ended';

const emptyCounts = (): StateCounts => ({ not_checked_in: 0, device_ok: 0, in_exam: 0, problem: 0, finished: 0, upload_pending: 0, total: 0 });

const CONNECTION_EVENTS = sql.raw(`('participant_joined', 'participant_left', 'participant_connection_aborted')`);

/**
 * One statement: each placed registration's state worked out by correlated subqueries that each
 * hit an index (device_checks, flags and events by candidate and id; recordings by exam and
 * candidate), grouped by room and state. Cost grows with candidates, not with their history.
 */
function stateCountsByRoom(db: Db, exam: Exam, now: Date) {
  const endGraceMs = sql`${endsAtSql(exam.startsAt.getTime(), exam.durationMinutes, sql.raw('r.extra_minutes'))} + ${SAVE_GRACE_MS}`;
  return db.all<{ roomId: number; state: DashboardState; n: number }>(sql`
    select r.room_id as roomId,
      case
        when r.finished_at is not null or (r.entered_at is not null and ${now.getTime()} > ${endGraceMs}) then
          case when exists (
            select 1 from recordings rec
            where rec.exam_id = r.exam_id and rec.candidate_id = r.candidate_id and rec.completed_at is null
          ) then 'upload_pending' else 'finished' end
        when r.entered_at is null then
          case when (
            select dc.passed from device_checks dc where dc.candidate_id = r.candidate_id order by dc.id desc limit 1
          ) = 1 then 'device_ok' else 'not_checked_in' end
        when exists (
          select 1 from flags f where f.candidate_id = r.candidate_id and f.room_id = r.room_id and f.status = 'open'
        ) or (
          select e.type from events e
          where e.candidate_id = r.candidate_id and e.room_id = r.room_id
            and e.type in ${CONNECTION_EVENTS} and coalesce(e.device, 'pc') <> 'phone'
          order by e.id desc limit 1
        ) in ('participant_left', 'participant_connection_aborted') then 'problem'
        else 'in_exam'
      end as state,
      count(*) as n
    from registrations r
    where r.exam_id = ${exam.id} and r.room_id is not null
    group by r.room_id, state
  `);
}

function examClock(exam: Exam, latestEnd: Date, now: Date): ExamClock {
  if (now < exam.entryOpensAt) return 'scheduled';
  if (now < exam.startsAt) return 'entry_open';
  if (now < latestEnd) return 'in_progress';
  return 'ended';
}

export function examDashboard({ db, examId, now = new Date() }: { db: Db; examId: number; now?: Date }) {
  const exam = examOrThrow(db, examId);
  const rooms = db.select().from(examRooms).where(eq(examRooms.examId, examId)).all().sort(byRoomName);
  const roomIds = rooms.map((r) => r.id);

  const perRoom = new Map<number, StateCounts>(roomIds.map((id) => [id, emptyCounts()]));
  const total = emptyCounts();
  for (const { roomId, state, n } of stateCountsByRoom(db, exam, now)) {
    const counts = perRoom.get(roomId);
    if (counts) {
      counts[state] += n;
      counts.total += n;
    }
    total[state] += n;
    total.total += n;
  }

  const unplaced = db
    .select({ n: sql<number>`count(*)` })
    .from(registrations)
    .where(and(eq(registrations.examId, examId), isNull(registrations.roomId)))
    .get()!.n;
  const maxExtra =
    db
      .select({ m: sql<number | null>`max(${registrations.extraMinutes})` })
      .from(registrations)
      .where(eq(registrations.examId, examId))
      .get()?.m ?? 0;

  const openFlags = new Map(
    roomIds.length
      ? db
          .select({ roomId: flags.roomId, n: sql<number>`count(*)` })
          .from(flags)
          .where(and(inArray(flags.roomId, roomIds), eq(flags.status, 'open')))
          .groupBy(flags.roomId)
          .all()
          .map((r) => [r.roomId, r.n])
      : [],
  );
  const help = db
    .select({ roomId: helpThreads.roomId, status: helpThreads.status, n: sql<number>`count(*)` })
    .from(helpThreads)
    .where(and(eq(helpThreads.examId, examId), ne(helpThreads.status, 'resolved')))
    .groupBy(helpThreads.roomId, helpThreads.status)
    .all();
  const invigilators = roomIds.length
    ? db
        .select({ roomId: invigilatorAssignments.roomId, id: users.id, name: users.name })
        .from(invigilatorAssignments)
        .innerJoin(users, eq(users.id, invigilatorAssignments.userId))
        .where(inArray(invigilatorAssignments.roomId, roomIds))
        .orderBy(asc(users.name))
        .all()
    : [];

  const baseEnd = endsAt(exam, { extraMinutes: 0 });
  const latestEnd = endsAt(exam, { extraMinutes: maxExtra });
  return {
    exam: {
      id: exam.id,
      title: exam.title,
      kind: exam.kind,
      entryOpensAt: exam.entryOpensAt,
      entryClosesAt: exam.entryClosesAt,
      startsAt: exam.startsAt,
      endsAt: baseEnd,
      /** With the most extra time anyone was given. */
      latestEndsAt: latestEnd,
      archived: exam.archivedAt != null,
    },
    clock: examClock(exam, latestEnd, now),
    now,
    totals: total,
    unplaced,
    openFlags: [...openFlags.values()].reduce((a, b) => a + b, 0),
    help: {
      queued: help.filter((h) => h.status === 'queued').reduce((a, h) => a + h.n, 0),
      assigned: help.filter((h) => h.status === 'assigned').reduce((a, h) => a + h.n, 0),
    },
    rooms: rooms
      // An archived room with nobody in it has nothing to show.
      .filter((r) => !r.archivedAt || perRoom.get(r.id)!.total > 0)
      .map((r) => ({
        id: r.id,
        name: r.name,
        capacity: r.capacity,
        archived: r.archivedAt != null,
        counts: perRoom.get(r.id)!,
        openFlags: openFlags.get(r.id) ?? 0,
        openHelp: help.filter((h) => h.roomId === r.id).reduce((a, h) => a + h.n, 0),
        invigilators: invigilators.filter((i) => i.roomId === r.id).map(({ id, name }) => ({ id, name })),
      })),
  };
}

export type ExamDashboard = ReturnType<typeof examDashboard>;
