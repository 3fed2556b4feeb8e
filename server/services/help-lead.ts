import { asc, eq, gte, inArray } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { helpThreads, invigilatorAssignments, supportAgents, users } from '@/db/schema';
import type { UserCaller } from '../auth/caller';
import { AppError } from '../errors';
import { firstResponseBreached, SLA_RED_MS } from '../help-sla';
import { APP_TIME_ZONE } from '../i18n/config';
import { byRoomName, compareNatural } from '../natural-order';
import { agents, queue, type AgentView, type StaffThreadSummary } from './help';
import { deskOnline } from './help-presence';

/*
 * The support lead's view of the 400 line: who is at the desk and how loaded, the queue, late
 * first responses today, and the invigilators' rooms with candidates asking for help.
 */

export type LeadAgent = Omit<AgentView, 'capacity' | 'accepting'> & {
  /** An active support agent; or someone else still holding conversations: an admin at the desk, an archived agent. */
  kind: 'agent' | 'admin' | 'archived';
  /** Null unless an active support agent (no desk settings that apply). */
  capacity: number | null;
  accepting: boolean | null;
  /** Has the help desk open now (help-presence.ts). */
  online: boolean;
  lead: boolean;
  /** Their open conversations, oldest first. */
  threads: StaffThreadSummary[];
};

export type LeadRoom = {
  id: number;
  name: string;
  examName: string | null;
  invigilators: { id: number; name: string }[];
  threads: StaffThreadSummary[];
};

export type LeadOverview = {
  agents: LeadAgent[];
  /** Waiting for an agent, longest first. */
  queue: StaffThreadSummary[];
  /** Threads queued today (exam-office time) whose first response came, or is still due, after the red mark. */
  breachesToday: number;
  slaMs: number;
  rooms: LeadRoom[];
};

/** Whether the caller runs the 400 line: admins, and support agents marked as lead in the staff page. */
export function isLead(db: DbOrTx, caller: Pick<UserCaller, 'id' | 'role'>): boolean {
  if (caller.role === 'admin') return true;
  if (caller.role !== 'support') return false;
  return !!db.select({ lead: supportAgents.lead }).from(supportAgents).where(eq(supportAgents.userId, caller.id)).get()?.lead;
}

export function assertLead(db: DbOrTx, caller: Pick<UserCaller, 'id' | 'role'>) {
  if (!isLead(db, caller)) throw new AppError('FORBIDDEN', 'deskLead.notLead');
}

/** Midnight of `now`'s day in the exam office's time zone. */
export function startOfDay(now: Date, timeZone = APP_TIME_ZONE): Date {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    })
      .formatToParts(now)
      .map((p) => [p.type, Number(p.value)]),
  ) as Record<string, number>;
  const wall = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  const offset = wall - Math.floor(now.getTime() / 1000) * 1000;
  return new Date(Date.UTC(parts.year!, parts.month! - 1, parts.day!) - offset);
}

export function leadOverview({ db, caller, now = new Date() }: { db: Db; caller: UserCaller; now?: Date }): LeadOverview {
  const open = queue({ db, caller, scope: 'open' });
  const leads = new Set(
    db
      .select({ id: supportAgents.userId })
      .from(supportAgents)
      .where(eq(supportAgents.lead, true))
      .all()
      .map((r) => r.id),
  );
  const threadsOf = (id: number) => open.filter((t) => t.status === 'assigned' && t.agent?.id === id);
  const list: LeadAgent[] = agents({ db }).map((a) => ({
    ...a,
    kind: 'agent' as const,
    online: deskOnline(a.id),
    lead: leads.has(a.id),
    threads: threadsOf(a.id),
  }));
  // Anyone else holding conversations (an admin at the desk, an agent archived since) is shown
  // too: those conversations must be movable.
  for (const t of open) {
    if (t.status !== 'assigned' || !t.agent || list.some((a) => a.id === t.agent!.id)) continue;
    const user = db.select({ role: users.role, archivedAt: users.archivedAt }).from(users).where(eq(users.id, t.agent.id)).get();
    const threads = threadsOf(t.agent.id);
    list.push({
      id: t.agent.id,
      name: t.agent.name,
      kind: user?.role === 'admin' && !user.archivedAt ? 'admin' : 'archived',
      capacity: null,
      accepting: null,
      openThreads: threads.length,
      online: deskOnline(t.agent.id),
      lead: false,
      threads,
    });
  }
  list.sort((a, b) => Number(b.online) - Number(a.online) || compareNatural(a.name, b.name) || a.id - b.id);

  const today = db
    .select({ status: helpThreads.status, queuedAt: helpThreads.queuedAt, firstResponseAt: helpThreads.firstResponseAt, resolvedAt: helpThreads.resolvedAt })
    .from(helpThreads)
    .where(gte(helpThreads.queuedAt, startOfDay(now)))
    .all();

  return {
    agents: list,
    queue: open.filter((t) => t.status === 'queued'),
    breachesToday: today.filter((t) => firstResponseBreached(t, now.getTime())).length,
    slaMs: SLA_RED_MS,
    rooms: roomsAsking(db, open),
  };
}

/** The rooms whose candidates have an open help thread, with the room's invigilators, in natural order. */
function roomsAsking(db: Db, open: StaffThreadSummary[]): LeadRoom[] {
  const byRoom = new Map<number, LeadRoom>();
  for (const t of open) {
    if (t.roomId == null) continue;
    let room = byRoom.get(t.roomId);
    if (!room) byRoom.set(t.roomId, (room = { id: t.roomId, name: t.roomName ?? '', examName: t.examName, invigilators: [], threads: [] }));
    room.threads.push(t);
  }
  if (!byRoom.size) return [];
  for (const s of db
    .select({ roomId: invigilatorAssignments.roomId, id: users.id, name: users.name })
    .from(invigilatorAssignments)
    .innerJoin(users, eq(users.id, invigilatorAssignments.userId))
    .where(inArray(invigilatorAssignments.roomId, [...byRoom.keys()]))
    .orderBy(asc(users.name), asc(users.id))
    .all()) {
    byRoom.get(s.roomId)!.invigilators.push({ id: s.id, name: s.name });
  }
  return [...byRoom.values()].sort(byRoomName);
}
