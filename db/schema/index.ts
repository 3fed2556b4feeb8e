import { sql } from 'drizzle-orm';
import { blob, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

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
    passwordLoginEnabled: integer('password_login_enabled', { mode: 'boolean' }).notNull().default(true),
    /** When a candidate was first shown the exam-process page (shown once, on the first login). */
    processSeenAt: integer('process_seen_at', { mode: 'timestamp_ms' }),
    /** Archived accounts cannot log in and are hidden from pickers; their history stays. */
    archivedAt: integer('archived_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('users_username_uq').on(t.username), uniqueIndex('users_id_number_uq').on(t.idNumber)],
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
  /** The exam notice the candidate must read and accept before entering. */
  notice: text('notice').notNull().default(''),
  /** Days the candidates' recordings are kept after the exam. */
  retentionDays: integer('retention_days').notNull().default(90),
  /** The guided path: whether My exams blocks entry until the device check passed (else it is optional). */
  deviceCheckRequired: integer('device_check_required', { mode: 'boolean' }).notNull().default(false),
  /** The guided path: whether entry waits for a bound, live phone witness (else it is optional). */
  phoneWitnessRequired: integer('phone_witness_required', { mode: 'boolean' }).notNull().default(false),
  /** A candidate coming back mid-exam sees the camera position step again (all other steps are skipped). */
  cameraRecheckOnReturn: integer('camera_recheck_on_return', { mode: 'boolean' }).notNull().default(true),
  /** The visible caption of the spoken instructions (the audio is an attachment of purpose `instructions`). */
  instructionsCaption: text('instructions_caption').notNull().default(''),
  /** Archived exams are hidden from lists and closed to changes; nothing is deleted. */
  archivedAt: integer('archived_at', { mode: 'timestamp_ms' }),
  createdAt: createdAt(),
});

export const ATTACHMENT_PURPOSES = ['notice', 'sheet', 'instructions'] as const;
export type AttachmentPurpose = (typeof ATTACHMENT_PURPOSES)[number];

/** Files attached to an exam's notice (rules, instructions); downloadable by its candidates. */
export const examAttachments = sqliteTable(
  'exam_attachments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    examId: integer('exam_id')
      .notNull()
      .references(() => exams.id, { onDelete: 'cascade' }),
    fileName: text('file_name').notNull(),
    contentType: text('content_type').notNull(),
    /** notice: downloadable with the notice; sheet: an image used in a question sheet, never served before the start. */
    purpose: text('purpose', { enum: ATTACHMENT_PURPOSES }).notNull().default('notice'),
    content: blob('content', { mode: 'buffer' }).notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('exam_attachments_exam_idx').on(t.examId)],
);

export const QUESTION_KINDS = ['single', 'multiple', 'text'] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];
/**
 * `answer` is the key of an objective question, in the shape of a candidate's answer (the chosen
 * option's text; a list of them for `multiple`). Staff only: never sent to candidates.
 */
export type Question = { id: string; kind: QuestionKind; prompt: string; options?: string[]; points?: number; answer?: string | string[] };
/** A question as candidates receive it. */
export type CandidateQuestion = Omit<Question, 'answer'>;

/**
 * Question material, one row per sheet. Written exams carry questions; interviews carry
 * material to read. Never sent to a candidate before the exam's start time.
 */
export const questionSheets = sqliteTable(
  'question_sheets',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    examId: integer('exam_id')
      .notNull()
      .references(() => exams.id, { onDelete: 'cascade' }),
    position: integer('position').notNull(),
    title: text('title').notNull(),
    /** Reading material (interview) or instructions (written). */
    body: text('body').notNull().default(''),
    questions: text('questions', { mode: 'json' })
      .$type<Question[]>()
      .notNull()
      .default(sql`'[]'`),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('question_sheets_exam_position_uq').on(t.examId, t.position)],
);

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
    /** Seats: distribution never places more candidates than this. */
    capacity: integer('capacity').notNull().default(30),
    archivedAt: integer('archived_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('exam_rooms_livekit_room_uq').on(t.livekitRoom), index('exam_rooms_exam_idx').on(t.examId)],
);

export const registrations = sqliteTable(
  'registrations',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    examId: integer('exam_id')
      .notNull()
      .references(() => exams.id, { onDelete: 'cascade' }),
    /** Null until the candidate is placed (imported without a room, not yet distributed). */
    roomId: integer('room_id').references(() => examRooms.id, { onDelete: 'cascade' }),
    candidateId: integer('candidate_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Seat number within the room, from 1; null while unplaced. */
    seat: integer('seat'),
    /** Interview lot number: drawn once, unique within the room, kept. */
    lotNumber: integer('lot_number'),
    lotDrawnAt: integer('lot_drawn_at', { mode: 'timestamp_ms' }),
    /** The candidate read and accepted the notice and attachments. */
    acceptedAt: integer('accepted_at', { mode: 'timestamp_ms' }),
    enteredAt: integer('entered_at', { mode: 'timestamp_ms' }),
    /** Written exams: personal info confirmed inside the exam, before answering. */
    infoConfirmedAt: integer('info_confirmed_at', { mode: 'timestamp_ms' }),
    /** Written exams: the in-exam notice step read, so a return from another browser skips it. */
    noticeReadAt: integer('notice_read_at', { mode: 'timestamp_ms' }),
    /** Minutes added by staff after an incident; the end time moves with it. */
    extraMinutes: integer('extra_minutes').notNull().default(0),
    finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
    finishReason: text('finish_reason', { enum: ['submitted', 'ended', 'timeout', 'staff'] }),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('registrations_exam_candidate_uq').on(t.examId, t.candidateId),
    uniqueIndex('registrations_room_seat_uq').on(t.roomId, t.seat),
    uniqueIndex('registrations_room_lot_uq').on(t.roomId, t.lotNumber),
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
    // The feed-incident service counts a room's recent losses by time (server/services/feed-incidents.ts).
    index('events_room_at_idx').on(t.roomId, t.occurredAt),
  ],
);

/**
 * One row per answered question. `revision` is the client's counter for that question: a save
 * with a revision not above the stored one is stale and changes nothing.
 */
export const answers = sqliteTable(
  'answers',
  {
    registrationId: integer('registration_id')
      .notNull()
      .references(() => registrations.id, { onDelete: 'cascade' }),
    questionId: text('question_id').notNull(),
    value: text('value', { mode: 'json' }).$type<string | string[]>().notNull(),
    revision: integer('revision').notNull(),
    savedAt: integer('saved_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.registrationId, t.questionId] })],
);

export const DISPLAY_STATES = ['single', 'extended', 'unknown'] as const;
export type DisplayState = (typeof DISPLAY_STATES)[number];

export const systemChecks = sqliteTable(
  'system_checks',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    candidateId: integer('candidate_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** Server clock minus device clock, ms (positive: the device is behind). */
    clockOffsetMs: integer('clock_offset_ms').notNull(),
    roundTripMs: integer('round_trip_ms').notNull(),
    appVersion: text('app_version').notNull(),
    displays: text('displays', { enum: DISPLAY_STATES }).notNull(),
    mediaSupported: integer('media_supported', { mode: 'boolean' }).notNull(),
    userAgent: text('user_agent').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('system_checks_candidate_idx').on(t.candidateId, t.id)],
);

export const deviceChecks = sqliteTable(
  'device_checks',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    candidateId: integer('candidate_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    passed: integer('passed', { mode: 'boolean' }).notNull(),
    camera: text('camera').notNull(),
    microphone: text('microphone').notNull(),
    /** Peak microphone level seen while recording, 0-1. */
    peakLevel: real('peak_level').notNull(),
    recordedMs: integer('recorded_ms').notNull(),
    /** The candidate heard the test sound through the speakers (null: not asked, older checks). */
    speakersOk: integer('speakers_ok', { mode: 'boolean' }),
    createdAt: createdAt(),
  },
  (t) => [index('device_checks_candidate_idx').on(t.candidateId, t.id)],
);

export const MESSAGE_AUDIENCES = ['all', 'exam', 'room', 'candidate'] as const;
export const MESSAGE_PRIORITIES = ['normal', 'urgent'] as const;

/** System messages staff send to candidates (delivery in real time arrives with the help desk). */
export const messages = sqliteTable(
  'messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    audience: text('audience', { enum: MESSAGE_AUDIENCES }).notNull(),
    examId: integer('exam_id').references(() => exams.id, { onDelete: 'cascade' }),
    roomId: integer('room_id').references(() => examRooms.id, { onDelete: 'cascade' }),
    candidateId: integer('candidate_id').references(() => users.id, { onDelete: 'cascade' }),
    title: text('title').notNull(),
    body: text('body').notNull(),
    priority: text('priority', { enum: MESSAGE_PRIORITIES }).notNull().default('normal'),
    mustAcknowledge: integer('must_acknowledge', { mode: 'boolean' }).notNull().default(false),
    sentBy: integer('sent_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [index('messages_created_idx').on(t.createdAt)],
);

export const messageReceipts = sqliteTable(
  'message_receipts',
  {
    messageId: integer('message_id')
      .notNull()
      .references(() => messages.id, { onDelete: 'cascade' }),
    candidateId: integer('candidate_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    /** When the message was handed to one of the candidate's open connections (message centre stream). */
    deliveredAt: integer('delivered_at', { mode: 'timestamp_ms' }),
    readAt: integer('read_at', { mode: 'timestamp_ms' }),
    acknowledgedAt: integer('acknowledged_at', { mode: 'timestamp_ms' }),
  },
  (t) => [primaryKey({ columns: [t.messageId, t.candidateId] }), index('message_receipts_candidate_idx').on(t.candidateId)],
);

export const FLAG_TYPES = [
  'screen_share_stopped',
  'camera_lost',
  'microphone_lost',
  'witness_missing',
  'left_room',
  'tab_hidden',
  'fullscreen_left',
  'extended_display',
  'client_mismatch',
  // Face signals from the candidate's own camera (components/face): suggestions, like the rest.
  'face_missing',
  'second_person',
  'identity_mismatch',
  'looking_away',
  'phone_visible',
  'manual',
] as const;
export type FlagType = (typeof FLAG_TYPES)[number];
export const FLAG_SOURCES = ['auto', 'manual'] as const;
export const FLAG_STATUSES = ['open', 'confirmed', 'dismissed'] as const;
export type FlagStatus = (typeof FLAG_STATUSES)[number];

/**
 * Suggestions that something is wrong with a candidate, raised by the system or by an
 * invigilator; a human confirms or dismisses each one.
 */
export const flags = sqliteTable(
  'flags',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    roomId: integer('room_id')
      .notNull()
      .references(() => examRooms.id, { onDelete: 'cascade' }),
    candidateId: integer('candidate_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    type: text('type', { enum: FLAG_TYPES }).notNull(),
    source: text('source', { enum: FLAG_SOURCES }).notNull(),
    status: text('status', { enum: FLAG_STATUSES }).notNull().default('open'),
    note: text('note'),
    /** A JPEG captured from the invigilator's view, as evidence for a manual flag. */
    still: blob('still', { mode: 'buffer' }),
    /** The timeline event that raised it (automatic flags). */
    eventId: integer('event_id').references(() => events.id, { onDelete: 'set null' }),
    createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
    resolvedBy: integer('resolved_by').references(() => users.id, { onDelete: 'set null' }),
    resolvedAt: integer('resolved_at', { mode: 'timestamp_ms' }),
    resolutionNote: text('resolution_note'),
    createdAt: createdAt(),
  },
  (t) => [
    index('flags_room_idx').on(t.roomId, t.id),
    index('flags_candidate_idx').on(t.candidateId, t.id),
    // At most one open automatic flag per candidate and type, even when two events race.
    uniqueIndex('flags_open_auto_uq')
      .on(t.roomId, t.candidateId, t.type)
      .where(sql`status = 'open' and type <> 'manual'`),
  ],
);

export const INCIDENT_STATES = ['open', 'cleared'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];
export const INCIDENT_DECISIONS = ['granted', 'declined'] as const;
export type IncidentDecision = (typeof INCIDENT_DECISIONS)[number];

/**
 * Many candidates of one room losing their feeds at once (a school's network down, the SFU
 * gone): one incident instead of a flag per candidate. The state lives here and not in a
 * process, because the webhooks of one drop land on several app processes.
 */
export const incidents = sqliteTable(
  'incidents',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    roomId: integer('room_id')
      .notNull()
      .references(() => examRooms.id, { onDelete: 'cascade' }),
    state: text('state', { enum: INCIDENT_STATES }).notNull().default('open'),
    /** When the first of its candidates was lost (LiveKit's time of the event). */
    startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
    /** When the latest loss joined it: a late member still gets the grace period. */
    lastLossAt: integer('last_loss_at', { mode: 'timestamp_ms' }).notNull(),
    clearedAt: integer('cleared_at', { mode: 'timestamp_ms' }),
    /** Extra time suggested to the invigilator once cleared (the outage, rounded up to minutes). */
    proposedMinutes: integer('proposed_minutes'),
    /** The invigilator's answer to the proposal; nothing is granted without one. */
    decision: text('decision', { enum: INCIDENT_DECISIONS }),
    grantedMinutes: integer('granted_minutes'),
    decidedBy: integer('decided_by').references(() => users.id, { onDelete: 'set null' }),
    decidedAt: integer('decided_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
  },
  (t) => [
    index('incidents_room_idx').on(t.roomId, t.id),
    // One open incident per room, even when two processes see the threshold crossed together.
    uniqueIndex('incidents_open_room_uq')
      .on(t.roomId)
      .where(sql`state = 'open'`),
  ],
);

/** The candidates an incident covers: their feed losses from `firstEventId` on are the incident's. */
export const incidentCandidates = sqliteTable(
  'incident_candidates',
  {
    incidentId: integer('incident_id')
      .notNull()
      .references(() => incidents.id, { onDelete: 'cascade' }),
    candidateId: integer('candidate_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    firstEventId: integer('first_event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    lostAt: integer('lost_at', { mode: 'timestamp_ms' }).notNull(),
    /** Every lost feed is back; cleared again if the candidate drops again while the incident is open. */
    recoveredAt: integer('recovered_at', { mode: 'timestamp_ms' }),
  },
  (t) => [primaryKey({ columns: [t.incidentId, t.candidateId] }), index('incident_candidates_candidate_idx').on(t.candidateId)],
);

/**
 * A feed loss LiveKit reported (a reload looks the same), waiting out the grace period before it
 * is checked and flagged. Kept in the database so that a timer lost with its process is made up
 * by the next sweep; whoever deletes the row does the check, so it is done once.
 */
export const feedChecks = sqliteTable(
  'feed_checks',
  {
    eventId: integer('event_id')
      .primaryKey()
      .references(() => events.id, { onDelete: 'cascade' }),
    roomId: integer('room_id')
      .notNull()
      .references(() => examRooms.id, { onDelete: 'cascade' }),
    candidateId: integer('candidate_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    dueAt: integer('due_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('feed_checks_due_idx').on(t.dueAt), index('feed_checks_candidate_idx').on(t.roomId, t.candidateId)],
);

/** Warnings invigilators send often, kept per exam. */
export const presetMessages = sqliteTable(
  'preset_messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    examId: integer('exam_id')
      .notNull()
      .references(() => exams.id, { onDelete: 'cascade' }),
    text: text('text').notNull(),
    createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [index('preset_messages_exam_idx').on(t.examId, t.id)],
);

/** The chief invigilator of an exam oversees every room of it. */
export const chiefInvigilators = sqliteTable(
  'chief_invigilators',
  {
    examId: integer('exam_id')
      .notNull()
      .references(() => exams.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: createdAt(),
  },
  (t) => [
    primaryKey({ columns: [t.examId, t.userId] }),
    index('chief_invigilators_user_idx').on(t.userId),
    // One chief per exam.
    uniqueIndex('chief_invigilators_exam_uq').on(t.examId),
  ],
);

/**
 * What staff did to candidates, written in the same transaction as the action. The actor is
 * kept (no cascade): staff who acted cannot be deleted out of the record.
 */
export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    actorId: integer('actor_id')
      .notNull()
      .references(() => users.id),
    action: text('action').notNull(),
    examId: integer('exam_id').references(() => exams.id, { onDelete: 'set null' }),
    roomId: integer('room_id').references(() => examRooms.id, { onDelete: 'set null' }),
    candidateId: integer('candidate_id').references(() => users.id, { onDelete: 'set null' }),
    detail: text('detail', { mode: 'json' })
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'`),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('audit_log_room_idx').on(t.roomId, t.id),
    index('audit_log_candidate_idx').on(t.candidateId, t.id),
    index('audit_log_exam_idx').on(t.examId, t.id),
    index('audit_log_at_idx').on(t.at),
  ],
);

/** When each invigilator last saw a candidate live (patrol mode). */
export const lastViewed = sqliteTable(
  'last_viewed',
  {
    roomId: integer('room_id')
      .notNull()
      .references(() => examRooms.id, { onDelete: 'cascade' }),
    candidateId: integer('candidate_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    viewedAt: integer('viewed_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.candidateId, t.userId] }), index('last_viewed_room_idx').on(t.roomId, t.candidateId)],
);

export const HELP_CATEGORIES = ['technical', 'content', 'other'] as const;
export type HelpCategory = (typeof HELP_CATEGORIES)[number];
/** queued: waiting for an agent; assigned: an agent has it; resolved: closed (may be reopened). */
export const HELP_STATUSES = ['queued', 'assigned', 'resolved'] as const;
export type HelpStatus = (typeof HELP_STATUSES)[number];
/** candidate/agent: the chat; note: internal, never shown to the candidate; system: "agent joined", etc. */
export const HELP_MESSAGE_KINDS = ['candidate', 'agent', 'note', 'system'] as const;
export type HelpMessageKind = (typeof HELP_MESSAGE_KINDS)[number];
export const HELP_EVENT_TYPES = ['opened', 'message', 'claimed', 'assigned', 'transferred', 'resolved', 'reopened'] as const;
export type HelpEventType = (typeof HELP_EVENT_TYPES)[number];

/**
 * A candidate's help chat with the support desk (the "400" hotline). The exam and room are
 * those the candidate was in when asking, so invigilators of that room see the thread too.
 */
export const helpThreads = sqliteTable(
  'help_threads',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    candidateId: integer('candidate_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    examId: integer('exam_id').references(() => exams.id, { onDelete: 'set null' }),
    roomId: integer('room_id').references(() => examRooms.id, { onDelete: 'set null' }),
    category: text('category', { enum: HELP_CATEGORIES }).notNull(),
    status: text('status', { enum: HELP_STATUSES }).notNull().default('queued'),
    agentId: integer('agent_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    /** When the thread last entered the queue (creation or reopening): queue order and SLA clock. */
    queuedAt: integer('queued_at', { mode: 'timestamp_ms' }).notNull(),
    firstResponseAt: integer('first_response_at', { mode: 'timestamp_ms' }),
    resolvedAt: integer('resolved_at', { mode: 'timestamp_ms' }),
    lastMessageAt: integer('last_message_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    index('help_threads_status_idx').on(t.status, t.queuedAt),
    index('help_threads_candidate_idx').on(t.candidateId, t.id),
    index('help_threads_agent_idx').on(t.agentId, t.status),
    index('help_threads_room_idx').on(t.roomId, t.status),
  ],
);

export const helpMessages = sqliteTable(
  'help_messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    threadId: integer('thread_id')
      .notNull()
      .references(() => helpThreads.id, { onDelete: 'cascade' }),
    kind: text('kind', { enum: HELP_MESSAGE_KINDS }).notNull(),
    authorId: integer('author_id').references(() => users.id, { onDelete: 'set null' }),
    body: text('body').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('help_messages_thread_idx').on(t.threadId, t.id)],
);

/**
 * Everything that happens to help threads, in one ordered log: its id is the cursor every help
 * stream resumes from (persist, then emit, then yield `tracked(id, …)`).
 */
export const helpEvents = sqliteTable(
  'help_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    threadId: integer('thread_id')
      .notNull()
      .references(() => helpThreads.id, { onDelete: 'cascade' }),
    type: text('type', { enum: HELP_EVENT_TYPES }).notNull(),
    actorId: integer('actor_id').references(() => users.id, { onDelete: 'set null' }),
    /** The message, for `message` events. */
    messageId: integer('message_id').references(() => helpMessages.id, { onDelete: 'cascade' }),
    /** Notes are for staff only: candidate streams skip these events. */
    staffOnly: integer('staff_only', { mode: 'boolean' }).notNull().default(false),
    payload: text('payload', { mode: 'json' })
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'`),
    createdAt: createdAt(),
  },
  (t) => [index('help_events_thread_idx').on(t.threadId, t.id)],
);

/** How far each participant has read a thread (unread counts). */
export const helpReads = sqliteTable(
  'help_reads',
  {
    threadId: integer('thread_id')
      .notNull()
      .references(() => helpThreads.id, { onDelete: 'cascade' }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    lastReadMessageId: integer('last_read_message_id').notNull(),
  },
  (t) => [primaryKey({ columns: [t.threadId, t.userId] })],
);

/** Support agents' desk settings: how many open threads auto-assign may give each. */
export const supportAgents = sqliteTable('support_agents', {
  userId: integer('user_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  capacity: integer('capacity').notNull().default(5),
  /** Off: auto-assign skips this agent (on a break); claiming by hand still works. */
  accepting: integer('accepting', { mode: 'boolean' }).notNull().default(true),
  /** A support lead also sees the whole 400 line (agents, queue, breaches) and moves conversations between agents. */
  lead: integer('lead', { mode: 'boolean' }).notNull().default(false),
});

/** The desk's shared list of canned replies. */
export const cannedReplies = sqliteTable('canned_replies', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  title: text('title').notNull(),
  body: text('body').notNull(),
  createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
});

/**
 * A one-time way for a candidate's phone to become their witness camera for one exam: a QR
 * token (long, random, only its hash stored) and a short bind code, both single-use and
 * short-lived. Using either consumes the binding.
 */
export const phoneBindings = sqliteTable(
  'phone_bindings',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    candidateId: integer('candidate_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    examId: integer('exam_id')
      .notNull()
      .references(() => exams.id, { onDelete: 'cascade' }),
    /** sha-256 of the QR link's token. */
    tokenHash: text('token_hash').notNull(),
    /** The short code typed on the phone (digits); unique among live bindings. */
    code: text('code').notNull(),
    createdAt: createdAt(),
    expiresAt: integer('expires_at', { mode: 'timestamp_ms' }).notNull(),
    usedAt: integer('used_at', { mode: 'timestamp_ms' }),
  },
  (t) => [
    uniqueIndex('phone_bindings_token_uq').on(t.tokenHash),
    index('phone_bindings_code_idx').on(t.code, t.expiresAt),
    index('phone_bindings_candidate_idx').on(t.candidateId, t.examId),
  ],
);

/**
 * A phone bound as a witness camera. The phone holds a device session (only its hash stored)
 * that lets it do nothing but publish its camera for this candidate and exam. Binding a new
 * phone revokes the previous one, with the reason.
 */
export const phoneDevices = sqliteTable(
  'phone_devices',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    candidateId: integer('candidate_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    examId: integer('exam_id')
      .notNull()
      .references(() => exams.id, { onDelete: 'cascade' }),
    bindingId: integer('binding_id').references(() => phoneBindings.id, { onDelete: 'set null' }),
    sessionHash: text('session_hash').notNull(),
    userAgent: text('user_agent'),
    boundAt: integer('bound_at', { mode: 'timestamp_ms' }).notNull(),
    revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
    revokeReason: text('revoke_reason'),
    /** 0..1 where the browser tells (Battery Status API), with whether it is charging. */
    batteryLevel: real('battery_level'),
    batteryCharging: integer('battery_charging', { mode: 'boolean' }),
    lastSeenAt: integer('last_seen_at', { mode: 'timestamp_ms' }),
  },
  (t) => [uniqueIndex('phone_devices_session_uq').on(t.sessionHash), index('phone_devices_candidate_idx').on(t.candidateId, t.examId)],
);

export const RECORDING_TRACKS = ['screen', 'camera', 'witness'] as const;
export type RecordingTrack = (typeof RECORDING_TRACKS)[number];

/**
 * One recording of one candidate's track in one exam, made on their device in short chunks and
 * uploaded (resumably) chunk by chunk. The ledger: chunks expected once the device says the
 * recording ended, chunks and bytes received, gaps derived from the chunk rows.
 */
export const recordings = sqliteTable(
  'recordings',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    candidateId: integer('candidate_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    examId: integer('exam_id')
      .notNull()
      .references(() => exams.id, { onDelete: 'cascade' }),
    track: text('track', { enum: RECORDING_TRACKS }).notNull(),
    /** Set by the device; one recording per candidate, exam, track and device-side session. */
    clientKey: text('client_key').notNull(),
    mimeType: text('mime_type').notNull(),
    startedAt: integer('started_at', { mode: 'timestamp_ms' }).notNull(),
    /** Known when the device reports the last chunk: chunks numbered 0..expectedChunks-1. */
    expectedChunks: integer('expected_chunks'),
    endedAt: integer('ended_at', { mode: 'timestamp_ms' }),
    receivedChunks: integer('received_chunks').notNull().default(0),
    receivedBytes: integer('received_bytes').notNull().default(0),
    completedAt: integer('completed_at', { mode: 'timestamp_ms' }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('recordings_client_key_uq').on(t.candidateId, t.clientKey), index('recordings_exam_idx').on(t.examId, t.candidateId)],
);

export const recordingChunks = sqliteTable(
  'recording_chunks',
  {
    recordingId: integer('recording_id')
      .notNull()
      .references(() => recordings.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    size: integer('size').notNull(),
    sha256: text('sha256').notNull(),
    /** Milliseconds from the recording's start to the chunk's start, for synchronised playback. */
    offsetMs: integer('offset_ms'),
    /** Path under the data folder. */
    path: text('path').notNull(),
    receivedAt: integer('received_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.recordingId, t.seq] })],
);

/** One row of a candidate import, normalised, as the preview validated it. */
export type ImportRow = { line: number; name: string; idNumber: string; phone: string; email: string; room: string | null; seat: number | null };
/** Why a row of an import file was refused: the line, the column and a message key (adminCandidates.problems.*). */
export type ImportProblem = { line: number; column: string | null; key: string; params?: Record<string, string | number> };

/**
 * A candidate import: the file is parsed and checked into a preview first; committing writes
 * every row or none. Kept afterwards as the record of who imported what.
 */
export const candidateImports = sqliteTable(
  'candidate_imports',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    examId: integer('exam_id')
      .notNull()
      .references(() => exams.id, { onDelete: 'cascade' }),
    fileName: text('file_name').notNull(),
    rows: text('rows', { mode: 'json' }).$type<ImportRow[]>().notNull(),
    problems: text('problems', { mode: 'json' }).$type<ImportProblem[]>().notNull(),
    createdBy: integer('created_by')
      .notNull()
      .references(() => users.id),
    createdAt: createdAt(),
    committedAt: integer('committed_at', { mode: 'timestamp_ms' }),
  },
  (t) => [index('candidate_imports_exam_idx').on(t.examId, t.id)],
);

/**
 * A candidate's reference photo (from the office's photo package or the candidate editor) and
 * the face descriptor the server computed from it when it was accepted. Apart from `users` so
 * that listing candidates never reads the bytes.
 */
export const faceReferences = sqliteTable('face_references', {
  candidateId: integer('candidate_id')
    .primaryKey()
    .references(() => users.id, { onDelete: 'cascade' }),
  /** The photo as the server re-encoded it: JPEG, upright, no metadata. */
  photo: blob('photo', { mode: 'buffer' }).notNull(),
  /** Float32, little-endian (server/face/descriptor.ts). */
  descriptor: blob('descriptor', { mode: 'buffer' }).notNull(),
  source: text('source', { enum: ['import', 'editor'] }).notNull(),
  createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
  createdAt: createdAt(),
});

/** One file of a photo package, as the preview judged it: a problem is a message key (adminPhotos.problems.*). */
export type PhotoImportEntry = {
  name: string;
  idNumber: string | null;
  candidateId: number | null;
  problem: string | null;
  params?: Record<string, string | number>;
};

/**
 * A photo package (ZIP of images named by ID number): checked into a preview first, with every
 * accepted photo and descriptor staged in `face_photo_import_items`; committing stores them all
 * or none.
 */
export const facePhotoImports = sqliteTable('face_photo_imports', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  fileName: text('file_name').notNull(),
  entries: text('entries', { mode: 'json' }).$type<PhotoImportEntry[]>().notNull(),
  createdBy: integer('created_by')
    .notNull()
    .references(() => users.id),
  createdAt: createdAt(),
  committedAt: integer('committed_at', { mode: 'timestamp_ms' }),
});

export const facePhotoImportItems = sqliteTable(
  'face_photo_import_items',
  {
    importId: integer('import_id')
      .notNull()
      .references(() => facePhotoImports.id, { onDelete: 'cascade' }),
    candidateId: integer('candidate_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    photo: blob('photo', { mode: 'buffer' }).notNull(),
    descriptor: blob('descriptor', { mode: 'buffer' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.importId, t.candidateId] })],
);

/**
 * A face login attempt. `accepted`: the server matched it above the threshold. `pending`: below
 * it, waiting in the identity check queue. `approved` / `refused`: a person decided. `rejected`:
 * no usable face (none, several, too small, failed liveness), never queued.
 */
export const FACE_ATTEMPT_STATUSES = ['accepted', 'pending', 'approved', 'refused', 'rejected'] as const;
export type FaceAttemptStatus = (typeof FACE_ATTEMPT_STATUSES)[number];

export const faceAttempts = sqliteTable(
  'face_attempts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    candidateId: integer('candidate_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    status: text('status', { enum: FACE_ATTEMPT_STATUSES }).notNull(),
    /** The best similarity of the frames to the reference, 0..1 (null when no face was usable). */
    similarity: real('similarity'),
    /** The descriptor of the frame that matched best: the in-exam identity check's baseline. */
    descriptor: blob('descriptor', { mode: 'buffer' }),
    /** Why it was rejected or queued: a message key (faceLogin.reasons.*). */
    reason: text('reason'),
    /** SHA-256 of the secret the submitting page holds: only that page may collect the session. */
    secretHash: text('secret_hash').notNull(),
    /** When the page collected its session (an attempt opens at most one). */
    claimedAt: integer('claimed_at', { mode: 'timestamp_ms' }),
    decidedBy: integer('decided_by').references(() => users.id, { onDelete: 'set null' }),
    decidedAt: integer('decided_at', { mode: 'timestamp_ms' }),
    decisionNote: text('decision_note'),
    client: text('client'),
    createdAt: createdAt(),
  },
  (t) => [index('face_attempts_status_idx').on(t.status, t.id), index('face_attempts_candidate_idx').on(t.candidateId, t.id)],
);

/** The frames a face login attempt sent, kept as evidence as long as recordings are. */
export const faceAttemptFrames = sqliteTable(
  'face_attempt_frames',
  {
    attemptId: integer('attempt_id')
      .notNull()
      .references(() => faceAttempts.id, { onDelete: 'cascade' }),
    idx: integer('idx').notNull(),
    jpeg: blob('jpeg', { mode: 'buffer' }).notNull(),
    faces: integer('faces').notNull(),
    similarity: real('similarity'),
  },
  (t) => [primaryKey({ columns: [t.attemptId, t.idx] })],
);

export type User = typeof users.$inferSelect;
export type Exam = typeof exams.$inferSelect;
export type ExamRoom = typeof examRooms.$inferSelect;
export type Registration = typeof registrations.$inferSelect;
/** A registration with a room and seat: the only kind a candidate sees or enters. */
export type PlacedRegistration = Registration & { roomId: number; seat: number };
export type TimelineEvent = typeof events.$inferSelect;
export type QuestionSheet = typeof questionSheets.$inferSelect;
export type Message = typeof messages.$inferSelect;
export type Flag = typeof flags.$inferSelect;
export type PresetMessage = typeof presetMessages.$inferSelect;
export type AuditEntry = typeof auditLog.$inferSelect;
export type HelpThread = typeof helpThreads.$inferSelect;
export type HelpMessage = typeof helpMessages.$inferSelect;
export type HelpEvent = typeof helpEvents.$inferSelect;
export type CannedReply = typeof cannedReplies.$inferSelect;
export type PhoneBinding = typeof phoneBindings.$inferSelect;
export type PhoneDevice = typeof phoneDevices.$inferSelect;
export type Recording = typeof recordings.$inferSelect;
export type RecordingChunk = typeof recordingChunks.$inferSelect;
export type CandidateImport = typeof candidateImports.$inferSelect;
export type FaceReference = typeof faceReferences.$inferSelect;
export type FaceAttempt = typeof faceAttempts.$inferSelect;
export type Incident = typeof incidents.$inferSelect;
export type IncidentCandidate = typeof incidentCandidates.$inferSelect;
export type ExamAttachment = typeof examAttachments.$inferSelect;
