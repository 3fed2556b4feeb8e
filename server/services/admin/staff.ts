import { and, asc, eq, isNull, ne, sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { chiefInvigilators, invigilatorAssignments, sessions, supportAgents, users } from '@/db/schema';
import type { Actor } from './common';
import { AppError } from '../../errors';
import { dropLostRooms, type RemoveStaff } from '../../livekit/room-service';
import { watchableLivekitRooms } from '../access';
import { audit } from '../audit';
import { generatePassword, hashPassword } from '../auth';
import { setCapacity, upsertDesk } from '../help';
import { insertUser } from '../setup';

/** Staff accounts (invigilator, support, admin). Candidates are managed with their exams. */
export const STAFF_ROLES = ['invigilator', 'support', 'admin'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
export const USERNAME_PATTERN = /^[a-z0-9._-]{3,32}$/;

export type StaffView = {
  id: number;
  role: StaffRole;
  name: string;
  username: string | null;
  archivedAt: Date | null;
  createdAt: Date;
  /** Support agents' desk settings (null for other roles). */
  agent: { capacity: number; accepting: boolean; lead: boolean } | null;
  /** Rooms assigned (invigilators). */
  rooms: number;
};

const DESK_DEFAULT = { capacity: 5, accepting: true };

function staffOrThrow(db: DbOrTx, userId: number) {
  const user = db.select().from(users).where(eq(users.id, userId)).get();
  if (!user || user.role === 'candidate') throw new AppError('NOT_FOUND', 'admin.userNotFound');
  return user as typeof user & { role: StaffRole };
}

function activeAdmins(db: DbOrTx) {
  return db
    .select({ n: sql<number>`count(*)` })
    .from(users)
    .where(and(eq(users.role, 'admin'), isNull(users.archivedAt)))
    .get()!.n;
}

export function listStaff({ db, role, q, includeArchived = false }: { db: Db; role?: StaffRole; q?: string; includeArchived?: boolean }): StaffView[] {
  const term = q?.trim() ? `%${q.trim().replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
  return db
    .select({
      id: users.id,
      role: users.role,
      name: users.name,
      username: users.username,
      archivedAt: users.archivedAt,
      createdAt: users.createdAt,
      capacity: supportAgents.capacity,
      accepting: supportAgents.accepting,
      lead: supportAgents.lead,
      rooms: sql<number>`(select count(*) from ${invigilatorAssignments} a where a.user_id = ${users.id})`,
    })
    .from(users)
    .leftJoin(supportAgents, eq(supportAgents.userId, users.id))
    .where(
      and(
        ne(users.role, 'candidate'),
        role ? eq(users.role, role) : undefined,
        includeArchived ? undefined : isNull(users.archivedAt),
        term ? sql`(${users.name} like ${term} escape '\\' or ${users.username} like ${term} escape '\\')` : undefined,
      ),
    )
    .orderBy(asc(users.role), asc(users.username), asc(users.id))
    .limit(1000)
    .all()
    .map((u) => ({
      id: u.id,
      role: u.role as StaffRole,
      name: u.name,
      username: u.username,
      archivedAt: u.archivedAt,
      createdAt: u.createdAt,
      agent:
        u.role === 'support'
          ? { capacity: u.capacity ?? DESK_DEFAULT.capacity, accepting: u.accepting ?? DESK_DEFAULT.accepting, lead: u.lead ?? false }
          : null,
      rooms: Number(u.rooms),
    }));
}

export async function createStaff({
  db,
  actorId,
  role,
  name,
  username,
  password,
  now = new Date(),
}: Actor & { role: StaffRole; name: string; username: string; password: string }) {
  const taken = () => {
    if (db.select({ id: users.id }).from(users).where(eq(users.username, username)).get())
      throw new AppError('CONFLICT', 'adminStaff.usernameTaken', { username });
  };
  taken();
  // Hash before the transaction: better-sqlite3 transactions are synchronous.
  const passwordHash = await hashPassword(password);
  return db.transaction((tx) => {
    taken();
    const user = insertUser(tx, { role, name, username, passwordHash });
    if (role === 'support') upsertDesk(tx, user.id, DESK_DEFAULT);
    audit(tx, { actorId, action: 'staff.created', detail: { userId: user.id, username, role }, at: now });
    return { id: user.id, role, name, username };
  });
}

export function updateStaff({ db, actorId, userId, name, role, now = new Date() }: Actor & { userId: number; name?: string; role?: StaffRole }) {
  return db.transaction((tx) => {
    const user = staffOrThrow(tx, userId);
    const set: { name?: string; role?: StaffRole } = {};
    if (name != null && name !== user.name) set.name = name;
    if (role != null && role !== user.role) {
      if (userId === actorId) throw new AppError('CONFLICT', 'adminStaff.cannotChangeOwnRole');
      if (user.role === 'admin' && !user.archivedAt && activeAdmins(tx) <= 1) throw new AppError('CONFLICT', 'adminStaff.lastAdmin');
      if (user.role === 'invigilator') {
        const assigned =
          tx
            .select({ x: sql`1` })
            .from(invigilatorAssignments)
            .where(eq(invigilatorAssignments.userId, userId))
            .limit(1)
            .get() ??
          tx
            .select({ x: sql`1` })
            .from(chiefInvigilators)
            .where(eq(chiefInvigilators.userId, userId))
            .limit(1)
            .get();
        // A room would keep an "invigilator" who is not one; unassign first, visibly.
        if (assigned) throw new AppError('CONFLICT', 'adminStaff.hasAssignments', { name: user.name });
      }
      set.role = role;
    }
    if (!Object.keys(set).length) return { ok: true as const };
    tx.update(users).set(set).where(eq(users.id, userId)).run();
    if (set.role === 'support')
      tx.insert(supportAgents)
        .values({ userId, ...DESK_DEFAULT })
        .onConflictDoNothing()
        .run();
    // A new role must not ride on an old session.
    if (set.role) tx.delete(sessions).where(eq(sessions.userId, userId)).run();
    audit(tx, { actorId, action: 'staff.updated', detail: { userId, before: { name: user.name, role: user.role }, after: set }, at: now });
    return { ok: true as const };
  });
}

/** Sets a new password (the given one, or a generated one returned once) and ends the account's sessions. */
export async function resetPassword({ db, actorId, userId, password, now = new Date() }: Actor & { userId: number; password?: string }) {
  staffOrThrow(db, userId);
  const plain = password ?? generatePassword(12);
  const passwordHash = await hashPassword(plain);
  db.transaction((tx) => {
    staffOrThrow(tx, userId);
    tx.update(users).set({ passwordHash }).where(eq(users.id, userId)).run();
    if (userId !== actorId) tx.delete(sessions).where(eq(sessions.userId, userId)).run();
    audit(tx, { actorId, action: 'staff.password_reset', detail: { userId, generated: password == null }, at: now });
  });
  return { password: plain, generated: password == null };
}

/** Archived accounts cannot log in (auth refuses them) and drop out of pickers; their history stays. */
export function setStaffArchived({
  db,
  actorId,
  userId,
  archived,
  now = new Date(),
  removeStaff,
}: Actor & { userId: number; archived: boolean; removeStaff?: RemoveStaff }) {
  const before = watchableLivekitRooms(db, userId);
  const result = db.transaction((tx) => {
    const user = staffOrThrow(tx, userId);
    if ((user.archivedAt != null) === archived) return { ok: true as const };
    if (archived) {
      if (userId === actorId) throw new AppError('CONFLICT', 'adminStaff.cannotArchiveSelf');
      if (user.role === 'admin' && activeAdmins(tx) <= 1) throw new AppError('CONFLICT', 'adminStaff.lastAdmin');
    }
    tx.update(users)
      .set({ archivedAt: archived ? now : null })
      .where(eq(users.id, userId))
      .run();
    // Their sessions end; the desk's auto-assign skips archived agents (help.ts agentLoads).
    if (archived) tx.delete(sessions).where(eq(sessions.userId, userId)).run();
    audit(tx, { actorId, action: archived ? 'staff.archived' : 'staff.unarchived', detail: { userId, username: user.username }, at: now });
    return { ok: true as const };
  });
  // Their grids, still connected to the SFU, are taken out of every room.
  dropLostRooms(before, watchableLivekitRooms(db, userId), userId, removeStaff);
  return result;
}

/**
 * A support agent's desk: how many open threads auto-assign may give them, whether it gives them
 * any, and whether they lead the 400 line (the lead view; left as it is when not given).
 */
export function setAgent({
  db,
  actorId,
  userId,
  capacity,
  accepting,
  lead,
  now = new Date(),
}: Actor & { userId: number; capacity: number; accepting: boolean; lead?: boolean }) {
  db.transaction((tx) => {
    const user = staffOrThrow(tx, userId);
    if (user.role !== 'support') throw new AppError('CONFLICT', 'adminStaff.notSupport', { name: user.name });
    if (user.archivedAt) throw new AppError('CONFLICT', 'adminStaff.archived', { name: user.name });
    upsertDesk(tx, userId, { capacity, accepting, ...(lead != null ? { lead } : {}) });
    audit(tx, { actorId, action: 'staff.agent_updated', detail: { userId, capacity, accepting, ...(lead != null ? { lead } : {}) }, at: now });
  });
  // The same capacity again: the help desk's own path, which hands queued threads to the agent
  // if they now have room (and announces it to the desk).
  setCapacity({ db, agentId: userId, capacity, now });
  return { capacity, accepting, ...(lead != null ? { lead } : {}) };
}
