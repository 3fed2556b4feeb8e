import 'server-only';
import { cookies } from 'next/headers';
import type { Db } from '@/db/client';
import type { PhoneDevice, Role } from '@/db/schema';
import { getDb } from '../db';
import { readCookie } from '../http';
import { SESSION_COOKIE, userFromSession } from '../services/auth';
import { PHONE_SESSION_COOKIE, phoneSession, type PhoneSession } from '../services/phone';

/**
 * Who is calling. Every entry point (the tRPC context, pages, route handlers, the upload
 * endpoint) resolves its caller here and nowhere else; services take the caller and ask
 * `server/services/access.ts` what it may reach.
 */
export type StaffRole = Exclude<Role, 'candidate'>;

/** A logged-in account (a login session cookie). */
export type UserCaller = {
  kind: 'user';
  id: number;
  role: Role;
  name: string;
  username: string | null;
  idNumber: string | null;
};
export type CandidateCaller = UserCaller & { role: 'candidate' };
export type StaffCaller = UserCaller & { role: StaffRole };

/** A bound witness phone: a device session for one candidate's one exam, not a login. */
export type PhoneCaller = { kind: 'phone'; deviceId: number; candidateId: number; examId: number; device: PhoneDevice };

export type Caller = UserCaller | PhoneCaller;

/** The first argument of a staff service: the database and the caller the procedure builders vouched for. */
export type StaffArgs = { db: Db; caller: StaffCaller; now?: Date };

/**
 * What one request's cookies vouch for. A browser may carry both a login and a phone session
 * (a phone that is also logged in as the candidate); each endpoint says which one it accepts.
 */
export type RequestAuth = {
  user: UserCaller | null;
  /** The phone session's state: a revoked phone is told so, not treated as a stranger. */
  phone: PhoneSession;
  /** The raw login cookie, for logout. */
  sessionToken: string | undefined;
};

export const isStaff = (c: UserCaller): c is StaffCaller => c.role !== 'candidate';
export const isCandidate = (c: UserCaller): c is CandidateCaller => c.role === 'candidate';

export function phoneCaller(session: PhoneSession): PhoneCaller | null {
  if (session.kind !== 'active') return null;
  const d = session.device;
  return { kind: 'phone', deviceId: d.id, candidateId: d.candidateId, examId: d.examId, device: d };
}

function resolve(db: Db, sessionToken: string | undefined, phoneToken: string | undefined): RequestAuth {
  return { user: userFromSession({ db, token: sessionToken }), phone: phoneSession(db, phoneToken), sessionToken };
}

/** From a request's Cookie header (the tRPC context, route handlers, the upload endpoint). */
export function authFromRequest(req: Request, db: Db = getDb()): RequestAuth {
  const header = req.headers.get('cookie');
  return resolve(db, readCookie(header, SESSION_COOKIE), readCookie(header, PHONE_SESSION_COOKIE));
}

/** From Next's request scope (server components and layouts). */
export async function authFromCookies(db: Db = getDb()): Promise<RequestAuth> {
  const jar = await cookies();
  return resolve(db, jar.get(SESSION_COOKIE)?.value, jar.get(PHONE_SESSION_COOKIE)?.value);
}
