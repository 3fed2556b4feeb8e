import { and, asc, count, eq, gte, inArray, isNotNull, isNull, lte, max, min, or, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import {
  events,
  exams,
  feedChecks,
  incidentCandidates,
  incidents,
  registrations,
  users,
  type Incident,
  type IncidentCandidate,
  type PlacedRegistration,
  type TimelineEvent,
} from '@/db/schema';
import type { StaffArgs } from '../auth/caller';
import { env } from '../env';
import { AppError } from '../errors';
import { assertIncident } from './access';
import { audit } from './audit';
import { endsAt, extendTime, SAVE_GRACE_MS, settleTimeout } from './exams';
import { autoFlagTypeOf, checkClient, raiseAutoFlags } from './flags';
import { recordEvent } from './timeline';
import { applyEvent, initialDeviceStatus, type DeviceStatus } from './tiles';

/*
 * What LiveKit's participant and track events mean for the invigilator, decided in one place:
 * which flags they raise, when, and when many losses at once are one incident instead.
 *
 * Every decision is a SQLite transaction taken IMMEDIATE (the write lock first), and everything it
 * needs is in the database: the webhooks of one mass drop land on several app processes, and
 * each must see what the others decided. Timers only say "look again at this time"; a timer lost
 * with its process is made up by the next sweep (the next SFU event, or a console read).
 */

/**
 * When many losses are one incident, and how long the waits are.
 *
 * Defaults, and why. A mass drop (a school's network down) reaches us as each
 * participant's departure, when LiveKit's per-connection timers notice it: 32 simulated
 * candidates killed at once were reported 19 s later, all within 2 s of each other
 * (tests/e2e/faults-mass-drop.test.ts), so a 10 s window holds a drop with room to spare and
 * stays below the 15 s grace (a candidate counted in the window is never flagged alone first).
 * Five unrelated drops in 10 s do not happen by chance in a room of 30: assuming two drops per
 * candidate an hour, 0.17 are expected in a window and five or more about once in 10^6 windows.
 * In a room of 150 it would be about once in 800, so a share of the room counts too: 20 % of
 * 150 is 30. A room of fewer than five never has an incident; a few flags are as clear as a
 * banner there. The timeout, counted from the first departure, leaves a network two minutes to
 * come back and its pages to rejoin and republish (30 simulated candidates did in 7 s); whoever
 * is still missing then is flagged as before.
 */
export type IncidentRules = {
  /** How long a loss LiveKit saw must last before it is flagged (0: at once). */
  graceMs: number;
  minCandidates: number;
  minShare: number;
  windowMs: number;
  timeoutMs: number;
};

export const rulesFromEnv = (): IncidentRules => ({
  graceMs: env.AUTO_FLAG_GRACE_SECONDS * 1000,
  minCandidates: env.INCIDENT_MIN_CANDIDATES,
  minShare: env.INCIDENT_MIN_SHARE,
  windowMs: env.INCIDENT_WINDOW_SECONDS * 1000,
  timeoutMs: env.INCIDENT_TIMEOUT_SECONDS * 1000,
});

/** Candidates that must be lost together for an incident in a room with `registered` candidates. */
export const incidentThreshold = (rules: Pick<IncidentRules, 'minCandidates' | 'minShare'>, registered: number) =>
  Math.max(rules.minCandidates, Math.ceil(rules.minShare * registered));

const LOSS_TYPES = ['participant_left', 'participant_connection_aborted', 'track_unpublished'];
const RECOVERY_TYPES = ['participant_joined', 'track_published'];
const STATUS_TYPES = [...LOSS_TYPES, ...RECOVERY_TYPES];

type Device = 'pc' | 'phone';
const deviceOf = (e: Pick<TimelineEvent, 'device'>): Device => (e.device === 'phone' ? 'phone' : 'pc');

/** A feed going away. Not a session pushed out by a newer one of the same identity: the feed changed hands. */
const isLoss = (e: Pick<TimelineEvent, 'type' | 'payload'>) => LOSS_TYPES.includes(e.type) && e.payload?.disconnectReason !== 'DUPLICATE_IDENTITY';

/**
 * One device's feed as the grid shows it, from that device's events since its latest join or
 * departure (both reset the status, so this equals folding its whole timeline).
 */
export function feedNow(db: DbOrTx, { roomId, candidateId, device }: { roomId: number; candidateId: number; device: Device }): DeviceStatus {
  const mine = and(eq(events.candidateId, candidateId), eq(events.roomId, roomId), eq(events.device, device));
  const reset =
    db
      .select({ id: max(events.id) })
      .from(events)
      .where(and(mine, inArray(events.type, ['participant_joined', 'participant_left'])))
      .get()?.id ?? 0;
  return db
    .select({ type: events.type, trackSource: events.trackSource, occurredAt: events.occurredAt })
    .from(events)
    .where(and(mine, inArray(events.type, STATUS_TYPES), gte(events.id, reset)))
    .orderBy(asc(events.id))
    .all()
    .reduce(applyEvent, initialDeviceStatus());
}

/** Whether what a loss event took away is still missing, given the device's feed now. */
function stillLost(loss: Pick<TimelineEvent, 'type' | 'trackSource'>, now: DeviceStatus) {
  if (loss.type === 'participant_left') return now.status === 'left';
  if (loss.type === 'participant_connection_aborted') return now.status !== 'live';
  // A participant who left altogether is missing once, for leaving, not once per track.
  return now.status !== 'left' && !now.tracks.includes(loss.trackSource as DeviceStatus['tracks'][number]);
}

/** Of these loss events (one candidate's), those whose feed is still missing; one status read per device. */
function missingOf(db: DbOrTx, losses: TimelineEvent[]) {
  const status = new Map<Device, DeviceStatus>();
  return losses.filter((e) => {
    const device = deviceOf(e);
    let now = status.get(device);
    if (!now) status.set(device, (now = feedNow(db, { roomId: e.roomId, candidateId: e.candidateId!, device })));
    return stillLost(e, now);
  });
}

/** Candidates among these who are sitting the exam now (entered, not finished, not past their end): only they are flagged. */
function sittingOf(db: DbOrTx, roomId: number, candidateIds: number[], now: Date) {
  if (!candidateIds.length) return new Set<number>();
  const rows = db
    .select({
      candidateId: registrations.candidateId,
      extraMinutes: registrations.extraMinutes,
      startsAt: exams.startsAt,
      durationMinutes: exams.durationMinutes,
    })
    .from(registrations)
    .innerJoin(exams, eq(exams.id, registrations.examId))
    .where(
      and(
        eq(registrations.roomId, roomId),
        inArray(registrations.candidateId, candidateIds),
        isNotNull(registrations.enteredAt),
        isNull(registrations.finishedAt),
      ),
    )
    .all();
  return new Set(rows.filter((r) => now.getTime() <= endsAt(r, r).getTime() + SAVE_GRACE_MS).map((r) => r.candidateId));
}

/** Loss events of a room from a time on, oldest first, by candidate. */
function lossesSince(db: DbOrTx, roomId: number, since: Date) {
  const rows = db
    .select()
    .from(events)
    .where(and(eq(events.roomId, roomId), gte(events.occurredAt, since), inArray(events.type, LOSS_TYPES), isNotNull(events.candidateId)))
    .orderBy(asc(events.id))
    .all();
  const out = new Map<number, TimelineEvent[]>();
  for (const e of rows) {
    if (!isLoss(e)) continue;
    const list = out.get(e.candidateId!) ?? [];
    list.push(e);
    out.set(e.candidateId!, list);
  }
  return out;
}

const openIncidentOf = (db: DbOrTx, roomId: number) =>
  db
    .select()
    .from(incidents)
    .where(and(eq(incidents.roomId, roomId), eq(incidents.state, 'open')))
    .get();

/** A member's loss events that belong to the incident: theirs in the room from the one that made them a member. */
function memberLosses(db: DbOrTx, incident: Pick<Incident, 'roomId'>, member: Pick<IncidentCandidate, 'candidateId' | 'firstEventId'>) {
  return db
    .select()
    .from(events)
    .where(
      and(
        eq(events.candidateId, member.candidateId),
        eq(events.roomId, incident.roomId),
        inArray(events.type, LOSS_TYPES),
        gte(events.id, member.firstEventId),
      ),
    )
    .orderBy(asc(events.id))
    .all()
    .filter(isLoss);
}

/* ------------------------------------------------------------------ summaries */

/** An incident as the console shows it. Times are epoch ms (they also travel inside event payloads). */
export type IncidentSummary = {
  id: number;
  roomId: number;
  state: Incident['state'];
  startedAt: number;
  clearedAt: number | null;
  /** The candidates whose feeds it covers (their alarms are the incident's while it is open). */
  candidateIds: number[];
  /** Of those, back with every feed they lost. */
  back: number;
  proposedMinutes: number | null;
  decision: Incident['decision'];
  grantedMinutes: number | null;
  decidedBy: string | null;
  decidedAt: number | null;
};

function summaries(db: DbOrTx, rows: Incident[]): IncidentSummary[] {
  if (!rows.length) return [];
  const members = db
    .select({ id: incidentCandidates.incidentId, candidateId: incidentCandidates.candidateId, recoveredAt: incidentCandidates.recoveredAt })
    .from(incidentCandidates)
    .where(
      inArray(
        incidentCandidates.incidentId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(asc(incidentCandidates.candidateId))
    .all();
  const deciders = new Map(
    db
      .select({ id: users.id, name: users.name })
      .from(users)
      .where(
        inArray(
          users.id,
          rows.map((r) => r.decidedBy ?? 0),
        ),
      )
      .all()
      .map((u) => [u.id, u.name]),
  );
  return rows.map((r) => ({
    id: r.id,
    roomId: r.roomId,
    state: r.state,
    startedAt: r.startedAt.getTime(),
    clearedAt: r.clearedAt?.getTime() ?? null,
    candidateIds: members.filter((m) => m.id === r.id).map((m) => m.candidateId),
    back: members.filter((m) => m.id === r.id && m.recoveredAt).length,
    proposedMinutes: r.proposedMinutes,
    decision: r.decision,
    grantedMinutes: r.grantedMinutes,
    decidedBy: r.decidedBy != null ? (deciders.get(r.decidedBy) ?? null) : null,
    decidedAt: r.decidedAt?.getTime() ?? null,
  }));
}

const summaryOf = (db: DbOrTx, id: number) => summaries(db, db.select().from(incidents).where(eq(incidents.id, id)).all())[0]!;

/**
 * The room's incidents the invigilator still has to see: open ones, and cleared ones whose
 * extra time is not decided yet. Newest first. No access check: callers have made it.
 */
export function roomIncidents({ db, roomIds }: { db: DbOrTx; roomIds: number[] }): IncidentSummary[] {
  if (!roomIds.length) return [];
  const rows = db
    .select()
    .from(incidents)
    .where(and(inArray(incidents.roomId, roomIds), or(eq(incidents.state, 'open'), isNull(incidents.decision))))
    .orderBy(sql`${incidents.id} desc`)
    .all();
  return summaries(db, rows);
}

/** Announced on the room's channel (candidate null) with the incident as it is after the change. */
const INCIDENT_EVENT = { opened: 'incident_opened', updated: 'incident_updated', cleared: 'incident_cleared', decided: 'incident_decided' } as const;

function announce(db: DbOrTx, incidentId: number, change: keyof typeof INCIDENT_EVENT, at: Date) {
  const incident = summaryOf(db, incidentId);
  recordEvent({ db, roomId: incident.roomId, candidateId: null, type: INCIDENT_EVENT[change], device: null, occurredAt: at, payload: { incident } });
}

/* ------------------------------------------------------------------ decisions */

type Touched = Map<number, keyof typeof INCIDENT_EVENT>;
const touch = (touched: Touched, id: number, change: keyof typeof INCIDENT_EVENT) => {
  // The strongest change of the transaction names its one announcement.
  const order = ['updated', 'opened', 'cleared', 'decided'] as const;
  const prev = touched.get(id);
  if (!prev || order.indexOf(change) > order.indexOf(prev)) touched.set(id, change);
};

type Member = { candidateId: number; firstEventId: number; lostAt: Date };

/**
 * Adds candidates to an open incident (a member dropping again is missing again). Their pending
 * checks from the incident's losses on are dropped: the incident checks them when it clears.
 */
function join(tx: DbOrTx, incident: Incident, members: Member[], touched: Touched) {
  let changed = false;
  for (const m of members) {
    const row = tx
      .insert(incidentCandidates)
      .values({ incidentId: incident.id, ...m })
      .onConflictDoUpdate({
        target: [incidentCandidates.incidentId, incidentCandidates.candidateId],
        set: { recoveredAt: null },
        where: isNotNull(incidentCandidates.recoveredAt),
      })
      .returning()
      .get();
    if (!row) continue;
    changed = true;
    tx.delete(feedChecks)
      .where(and(eq(feedChecks.roomId, incident.roomId), eq(feedChecks.candidateId, m.candidateId), gte(feedChecks.eventId, row.firstEventId)))
      .run();
  }
  const latest = Math.max(...members.map((m) => m.lostAt.getTime()));
  if (latest > incident.lastLossAt.getTime()) {
    tx.update(incidents)
      .set({ lastLossAt: new Date(latest) })
      .where(eq(incidents.id, incident.id))
      .run();
  }
  if (changed) touch(touched, incident.id, 'updated');
}

function onLoss(tx: DbOrTx, rules: IncidentRules, event: TimelineEvent, now: Date, touched: Touched) {
  const candidateId = event.candidateId!;
  if (!sittingOf(tx, event.roomId, [candidateId], now).has(candidateId)) return;
  const open = openIncidentOf(tx, event.roomId);
  if (open) return join(tx, open, [{ candidateId, firstEventId: event.id, lostAt: event.occurredAt }], touched);

  // Sitting candidates of the room with a loss in the window that is still missing: a burst of
  // page reloads (everyone back already) is not an incident.
  const recent = lossesSince(tx, event.roomId, new Date(event.occurredAt.getTime() - rules.windowMs));
  const sitting = sittingOf(tx, event.roomId, [...recent.keys()], now);
  const lost: Member[] = [];
  for (const [id, losses] of recent) {
    if (!sitting.has(id) || !missingOf(tx, losses).length) continue;
    lost.push({ candidateId: id, firstEventId: losses[0]!.id, lostAt: losses[0]!.occurredAt });
  }
  const registered = tx.select({ n: count() }).from(registrations).where(eq(registrations.roomId, event.roomId)).get()?.n ?? 0;
  if (lost.length >= incidentThreshold(rules, registered)) {
    const times = lost.map((m) => m.lostAt.getTime());
    const opened = tx
      .insert(incidents)
      .values({ roomId: event.roomId, startedAt: new Date(Math.min(...times)), lastLossAt: new Date(Math.max(...times)) })
      // The partial unique index allows one open incident per room; the IMMEDIATE transaction
      // means no other process can have opened one since we looked.
      .onConflictDoNothing()
      .returning()
      .get();
    const incident = opened ?? openIncidentOf(tx, event.roomId)!;
    join(tx, incident, lost, touched);
    if (opened) touch(touched, incident.id, 'opened');
    return;
  }
  // Not (yet) an incident: the candidate's own loss, checked after the grace as before.
  if (!autoFlagTypeOf(event)) return;
  if (rules.graceMs <= 0) {
    raiseAutoFlags({ db: tx, event });
    return;
  }
  tx.insert(feedChecks)
    .values({ eventId: event.id, roomId: event.roomId, candidateId, dueAt: new Date(now.getTime() + rules.graceMs) })
    .onConflictDoNothing()
    .run();
}

function onRecovery(tx: DbOrTx, event: TimelineEvent, touched: Touched) {
  const open = openIncidentOf(tx, event.roomId);
  if (!open) return;
  const member = tx
    .select()
    .from(incidentCandidates)
    .where(and(eq(incidentCandidates.incidentId, open.id), eq(incidentCandidates.candidateId, event.candidateId!), isNull(incidentCandidates.recoveredAt)))
    .get();
  if (!member || missingOf(tx, memberLosses(tx, open, member)).length) return;
  tx.update(incidentCandidates)
    .set({ recoveredAt: event.occurredAt })
    .where(and(eq(incidentCandidates.incidentId, open.id), eq(incidentCandidates.candidateId, member.candidateId)))
    .run();
  touch(touched, open.id, 'updated');
  const waiting = tx
    .select({ n: count() })
    .from(incidentCandidates)
    .where(and(eq(incidentCandidates.incidentId, open.id), isNull(incidentCandidates.recoveredAt)))
    .get()!.n;
  if (waiting === 0) clear(tx, open, event.occurredAt, event.occurredAt, touched);
}

/**
 * Ends an open incident. Candidates lost since it started and still missing that did not become
 * members (a decision lost with a crashed process) are taken in first. Members still missing are flagged
 * now, as each would have been alone, for what is still missing; those back are not.
 */
function clear(tx: DbOrTx, incident: Incident, clearedAt: Date, now: Date, touched: Touched) {
  const known = new Set(
    tx
      .select({ id: incidentCandidates.candidateId })
      .from(incidentCandidates)
      .where(eq(incidentCandidates.incidentId, incident.id))
      .all()
      .map((r) => r.id),
  );
  const since = lossesSince(tx, incident.roomId, incident.startedAt);
  const sitting = sittingOf(
    tx,
    incident.roomId,
    [...since.keys()].filter((id) => !known.has(id)),
    now,
  );
  const late = [...since]
    .filter(([id, losses]) => sitting.has(id) && missingOf(tx, losses).length)
    .map(([id, losses]) => ({ candidateId: id, firstEventId: losses[0]!.id, lostAt: losses[0]!.occurredAt }));
  if (late.length) join(tx, incident, late, touched);

  const members = tx.select().from(incidentCandidates).where(eq(incidentCandidates.incidentId, incident.id)).all();
  for (const m of members) {
    if (m.recoveredAt) continue;
    const missing = missingOf(tx, memberLosses(tx, incident, m));
    if (!missing.length) {
      tx.update(incidentCandidates)
        .set({ recoveredAt: clearedAt })
        .where(and(eq(incidentCandidates.incidentId, incident.id), eq(incidentCandidates.candidateId, m.candidateId)))
        .run();
      continue;
    }
    for (const loss of missing) raiseAutoFlags({ db: tx, event: loss });
  }
  // The time the candidates who came back were gone (the last of them); if none came back, the incident's length.
  const lastBack = tx
    .select({ at: max(incidentCandidates.recoveredAt) })
    .from(incidentCandidates)
    .where(eq(incidentCandidates.incidentId, incident.id))
    .get()?.at;
  const lostMs = (lastBack ?? clearedAt).getTime() - incident.startedAt.getTime();
  tx.update(incidents)
    .set({ state: 'cleared', clearedAt, proposedMinutes: Math.max(1, Math.ceil(lostMs / 60_000)) })
    .where(and(eq(incidents.id, incident.id), eq(incidents.state, 'open')))
    .run();
  touch(touched, incident.id, 'cleared');
}

/** When an open incident clears by itself: its timeout, and never before its last member's grace. */
const deadlineOf = (rules: IncidentRules, i: Pick<Incident, 'startedAt' | 'lastLossAt'>) =>
  Math.max(i.startedAt.getTime() + rules.timeoutMs, i.lastLossAt.getTime() + rules.graceMs);

/** Runs the checks that are due: losses past their grace, incidents past their deadline. */
function sweepIn(tx: DbOrTx, rules: IncidentRules, now: Date, touched: Touched) {
  // Deleting claims a check: of two processes sweeping together, one gets each row.
  const due = tx.delete(feedChecks).where(lte(feedChecks.dueAt, now)).returning().all();
  if (due.length) {
    const rows = tx
      .select()
      .from(events)
      .where(
        inArray(
          events.id,
          due.map((d) => d.eventId),
        ),
      )
      .all();
    for (const event of rows) if (missingOf(tx, [event]).length) raiseAutoFlags({ db: tx, event });
  }
  const open = tx.select().from(incidents).where(eq(incidents.state, 'open')).all();
  for (const incident of open) if (deadlineOf(rules, incident) <= now.getTime()) clear(tx, incident, now, now, touched);
}

function finish(tx: DbOrTx, touched: Touched, now: Date) {
  for (const [id, change] of touched) announce(tx, id, change, now);
}

/** The next time something is due, across processes: the earliest check and incident deadline. */
function nextDue(db: DbOrTx, rules: IncidentRules) {
  const check = db
    .select({ at: min(feedChecks.dueAt) })
    .from(feedChecks)
    .get()
    ?.at?.getTime();
  const open = db.select().from(incidents).where(eq(incidents.state, 'open')).all();
  const times = [check, ...open.map((i) => deadlineOf(rules, i))].filter((t): t is number => t != null);
  return times.length ? Math.min(...times) : null;
}

/* ------------------------------------------------------------------ timers */

/** Timers only wake a sweep; node caps a delay at 2^31-1 ms, and a later sweep reschedules. */
const MAX_DELAY_MS = 60 * 60_000;
const timers = new WeakMap<Db, { at: number; timer: NodeJS.Timeout }>();

/** One timer per database in this process, for the earliest due time it knows of. */
function wakeAt(db: Db, rules: IncidentRules, at: number | null) {
  if (at == null) return;
  const current = timers.get(db);
  if (current && current.at <= at) return;
  if (current) clearTimeout(current.timer);
  const timer = setTimeout(
    () => {
      timers.delete(db);
      // A test's database may be closed by then; a production one is not.
      if (!db.$client.open) return;
      try {
        sweepFeeds({ db, rules });
      } catch (err) {
        console.error('feed sweep failed', err);
      }
    },
    Math.min(MAX_DELAY_MS, Math.max(0, at - Date.now()) + 50),
  );
  timer.unref();
  timers.set(db, { at, timer });
}

/* ------------------------------------------------------------------ entry points */

/**
 * Decides what one stored SFU event (participant or track, of a registered candidate) means:
 * a client check, a loss to flag after the grace, a member for an incident, a member back. Runs
 * what is due first, so a timer lost with another process costs at most one event's delay.
 */
export function onFeedEvent({ db, event, now = new Date(), rules = rulesFromEnv() }: { db: Db; event: TimelineEvent; now?: Date; rules?: IncidentRules }) {
  const touched: Touched = new Map();
  const next = db.transaction(
    (tx) => {
      sweepIn(tx, rules, now, touched);
      if (event.candidateId != null) {
        const open = openIncidentOf(tx, event.roomId);
        const member =
          open &&
          tx
            .select({ id: incidentCandidates.candidateId })
            .from(incidentCandidates)
            .where(and(eq(incidentCandidates.incidentId, open.id), eq(incidentCandidates.candidateId, event.candidateId)))
            .get();
        // A member's page reconnecting while LiveKit still holds its lost session pushes that
        // session out: expected after a mass drop, not a second client.
        const replacedInIncident = !!member && event.payload?.disconnectReason === 'DUPLICATE_IDENTITY';
        if (!replacedInIncident) checkClient({ db: tx, event });
        if (isLoss(event)) onLoss(tx, rules, event, now, touched);
        else if (RECOVERY_TYPES.includes(event.type)) onRecovery(tx, event, touched);
      }
      finish(tx, touched, now);
      return nextDue(tx, rules);
    },
    { behavior: 'immediate' },
  );
  wakeAt(db, rules, next);
}

/** Runs what is due now. Cheap when nothing is (two indexed reads, no write lock). */
export function sweepFeeds({ db, now = new Date(), rules = rulesFromEnv() }: { db: Db; now?: Date; rules?: IncidentRules }) {
  const due = nextDue(db, rules);
  if (due == null) return;
  if (due > now.getTime()) return wakeAt(db, rules, due);
  const touched: Touched = new Map();
  const next = db.transaction(
    (tx) => {
      sweepIn(tx, rules, now, touched);
      finish(tx, touched, now);
      return nextDue(tx, rules);
    },
    { behavior: 'immediate' },
  );
  wakeAt(db, rules, next);
}

/* ------------------------------------------------------------------ the invigilator's decision */

const assertUndecided = (incident: Incident) => {
  if (incident.state !== 'cleared') throw new AppError('PRECONDITION_FAILED', 'incidents.stillOpen');
  if (incident.decision) throw new AppError('CONFLICT', 'incidents.alreadyDecided');
};

/**
 * Grants extra time to every candidate the incident covered who is still sitting, through the
 * same path as one candidate's extra time (the countdown moves, the log records it). The
 * incident's decision is taken once: a second invigilator clicking too gets a conflict.
 */
export function grantIncidentTime({ db, caller, incidentId, minutes, now = new Date() }: StaffArgs & { incidentId: number; minutes: number }) {
  const { incident, exam } = assertIncident(db, caller, incidentId);
  assertUndecided(incident);
  const members = db
    .select({ reg: registrations })
    .from(incidentCandidates)
    .innerJoin(registrations, and(eq(registrations.candidateId, incidentCandidates.candidateId), eq(registrations.roomId, incident.roomId)))
    .where(eq(incidentCandidates.incidentId, incident.id))
    .all()
    .map((r) => r.reg as PlacedRegistration);
  const reason = `incident #${incident.id}`;
  return db.transaction(
    (tx) => {
      const taken = tx
        .update(incidents)
        .set({ decision: 'granted', grantedMinutes: minutes, decidedBy: caller.id, decidedAt: now })
        .where(and(eq(incidents.id, incident.id), isNull(incidents.decision)))
        .returning()
        .get();
      if (!taken) throw new AppError('CONFLICT', 'incidents.alreadyDecided');
      let extended = 0;
      for (const r of members) {
        // An exam that ran out unnoticed is over; extra time does not reopen it.
        const reg = settleTimeout(tx, exam, r, now);
        if (reg.finishedAt) continue;
        const out = extendTime({ db: tx, exam, reg, minutes, reason, now });
        if (!out) continue;
        extended++;
        audit(tx, {
          actorId: caller.id,
          action: 'time.added',
          roomId: incident.roomId,
          candidateId: reg.candidateId,
          detail: { minutes, extraMinutes: out.extraMinutes, endsAt: out.endsAt.getTime(), reason, incidentId: incident.id },
          at: now,
        });
      }
      audit(tx, {
        actorId: caller.id,
        action: 'incident.time_granted',
        roomId: incident.roomId,
        detail: { incidentId: incident.id, minutes, extended },
        at: now,
      });
      announce(tx, incident.id, 'decided', now);
      return { extended, minutes };
    },
    { behavior: 'immediate' },
  );
}

/** The invigilator decides no extra time is due (the banner goes; the log keeps why it went). */
export function declineIncidentTime({ db, caller, incidentId, now = new Date() }: StaffArgs & { incidentId: number }) {
  const { incident } = assertIncident(db, caller, incidentId);
  assertUndecided(incident);
  return db.transaction(
    (tx) => {
      const taken = tx
        .update(incidents)
        .set({ decision: 'declined', decidedBy: caller.id, decidedAt: now })
        .where(and(eq(incidents.id, incident.id), isNull(incidents.decision)))
        .returning()
        .get();
      if (!taken) throw new AppError('CONFLICT', 'incidents.alreadyDecided');
      audit(tx, { actorId: caller.id, action: 'incident.time_declined', roomId: incident.roomId, detail: { incidentId: incident.id }, at: now });
      announce(tx, incident.id, 'decided', now);
      return { declined: true };
    },
    { behavior: 'immediate' },
  );
}
