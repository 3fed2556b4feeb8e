import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { deviceChecks, systemChecks, users, type DisplayState } from '@/db/schema';
import { AppError } from '../errors';
import { maskIdNumber } from './exams';

export function profile({ db, candidateId }: { db: Db; candidateId: number }) {
  const u = db.select().from(users).where(eq(users.id, candidateId)).get();
  if (!u) throw new AppError('NOT_FOUND', 'auth.required');
  return { name: u.name, idNumber: maskIdNumber(u.idNumber ?? ''), phone: u.phone ?? '', email: u.email ?? '' };
}

/** Contact details only: name and ID number are the registration's and not the candidate's to change. */
export function updateProfile({ db, candidateId, phone, email }: { db: Db; candidateId: number; phone: string; email: string }) {
  db.update(users).set({ phone, email }).where(eq(users.id, candidateId)).run();
  return profile({ db, candidateId });
}

export function recordSystemCheck(opts: {
  db: Db;
  candidateId: number;
  clockOffsetMs: number;
  roundTripMs: number;
  appVersion: string;
  displays: DisplayState;
  mediaSupported: boolean;
  userAgent: string;
}) {
  const { db, ...values } = opts;
  return db.insert(systemChecks).values(values).returning().get();
}

export function recordDeviceCheck(opts: {
  db: Db;
  candidateId: number;
  passed: boolean;
  camera: string;
  microphone: string;
  peakLevel: number;
  recordedMs: number;
  speakersOk: boolean;
}) {
  const { db, ...values } = opts;
  return db.insert(deviceChecks).values(values).returning().get();
}

/** The latest system and device checks, for the process page (and staff, later). */
export function latestChecks({ db, candidateId }: { db: Db; candidateId: number }) {
  const system = db.select().from(systemChecks).where(eq(systemChecks.candidateId, candidateId)).orderBy(desc(systemChecks.id)).limit(1).get();
  const device = db.select().from(deviceChecks).where(eq(deviceChecks.candidateId, candidateId)).orderBy(desc(deviceChecks.id)).limit(1).get();
  return { system: system ?? null, device: device ?? null };
}

/**
 * Marks the exam-process page as seen. Only the first call changes anything, so the page may call
 * it on every visit; `firstTime` tells that visit apart (the page then welcomes the candidate).
 */
export function markProcessSeen({ db, candidateId, now = new Date() }: { db: Db; candidateId: number; now?: Date }) {
  const changed = db
    .update(users)
    .set({ processSeenAt: now })
    .where(and(eq(users.id, candidateId), isNull(users.processSeenAt)))
    .run().changes;
  return { firstTime: changed > 0 };
}
