import { sql } from 'drizzle-orm';
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from 'drizzle-orm/sqlite-core';

export const ROLES = ['candidate', 'invigilator', 'support', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const EXAM_KINDS = ['written', 'interview'] as const;
export type ExamKind = (typeof EXAM_KINDS)[number];

const createdAt = () =>
  integer('created_at', { mode: 'timestamp_ms' })
    .notNull()
    .default(sql`(unixepoch('subsec') * 1000)`);

export const users = sqliteTable(
  'users',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    role: text('role', { enum: ROLES }).notNull(),
    /** Staff log in with a username; candidates never have one. */
    username: text('username'),
    /** Candidates log in with their 18-character resident ID number. */
    idNumber: text('id_number'),
    name: text('name').notNull(),
    phone: text('phone'),
    email: text('email'),
    passwordHash: text('password_hash').notNull(),
    /** The manual's "password login" is switched on per candidate by staff. */
    passwordLoginEnabled: integer('password_login_enabled', { mode: 'boolean' })
      .notNull()
      .default(true),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('users_username_uq').on(t.username),
    uniqueIndex('users_id_number_uq').on(t.idNumber),
  ],
);

export const sessions = sqliteTable(
  'sessions',
  {
    /** SHA-256 of the cookie value, so a leaked database does not leak live sessions. */
    tokenHash: text('token_hash').primaryKey(),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('sessions_user_idx').on(t.userId)],
);

export const loginAttempts = sqliteTable(
  'login_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** The identifier typed at login (username or ID number), normalised. */
    subject: text('subject').notNull(),
    succeeded: integer('succeeded', { mode: 'boolean' }).notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('login_attempts_subject_at_idx').on(t.subject, t.at)],
);

export const exams = sqliteTable('exams', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  title: text('title').notNull(),
  kind: text('kind', { enum: EXAM_KINDS }).notNull(),
  entryOpensAt: integer('entry_opens_at', { mode: 'timestamp_ms' }).notNull(),
  entryClosesAt: integer('entry_closes_at', { mode: 'timestamp_ms' }).notNull(),
  startsAt: integer('starts_at', { mode: 'timestamp_ms' }).notNull(),
  durationMinutes: integer('duration_minutes').notNull(),
  createdAt: createdAt(),
});

export const examRooms = sqliteTable(
  'exam_rooms',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    examId: integer('exam_id')
      .notNull()
      .references(() => exams.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** Deterministic LiveKit room name, one SFU room per exam room. */
    livekitRoom: text('livekit_room').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('exam_rooms_livekit_room_uq').on(t.livekitRoom),
    index('exam_rooms_exam_idx').on(t.examId),
  ],
);

export const registrations = sqliteTable(
  'registrations',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    examId: integer('exam_id')
      .notNull()
      .references(() => exams.id, { onDelete: 'cascade' }),
    roomId: integer('room_id')
      .notNull()
      .references(() => examRooms.id, { onDelete: 'cascade' }),
    candidateId: integer('candidate_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    seat: integer('seat').notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('registrations_exam_candidate_uq').on(t.examId, t.candidateId),
    uniqueIndex('registrations_room_seat_uq').on(t.roomId, t.seat),
    index('registrations_candidate_idx').on(t.candidateId),
  ],
);

export const invigilatorAssignments = sqliteTable(
  'invigilator_assignments',
  {
    roomId: integer('room_id')
      .notNull()
      .references(() => examRooms.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ columns: [t.roomId, t.userId] }), index('assignments_user_idx').on(t.userId)],
);

/**
 * The per-candidate timeline. Rows are append-only; their id is the cursor that realtime
 * subscriptions resume from.
 */
export const events = sqliteTable(
  'events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    roomId: integer('room_id')
      .notNull()
      .references(() => examRooms.id, { onDelete: 'cascade' }),
    candidateId: integer('candidate_id').references(() => users.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    device: text('device'),
    trackSource: text('track_source'),
    /** LiveKit's webhook event id: a retried delivery is stored once. */
    externalId: text('external_id'),
    payload: text('payload', { mode: 'json' }).$type<Record<string, unknown>>(),
    occurredAt: integer('occurred_at', { mode: 'timestamp_ms' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [
    index('events_room_id_idx').on(t.roomId, t.id),
    index('events_candidate_idx').on(t.candidateId, t.id),
    uniqueIndex('events_external_id_uq').on(t.externalId),
  ],
);

export type User = typeof users.$inferSelect;
export type Exam = typeof exams.$inferSelect;
export type ExamRoom = typeof examRooms.$inferSelect;
export type Registration = typeof registrations.$inferSelect;
export type TimelineEvent = typeof events.$inferSelect;
