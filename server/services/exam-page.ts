import { eq, sql } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { answers } from '@/db/schema';
import { AppError } from '../errors';
import type { EventBus } from '../events/bus';
import { registrationRow, saveAnswers, type AnswerSave } from './exams';

/**
 * Which page holds a candidate's exam (one tab, one browser, one device at a time), and how the
 * answers of a page that lost it still count.
 *
 * A page claims the exam when it opens; the newest claim holds it. Each claim gets an epoch
 * above every earlier one, and the page numbers its edits from `epoch * REVISION_STRIDE`. So a
 * newer page's edits always carry higher revisions than anything an older page typed, and the
 * one rule saveAnswers already has — a save is stored only if its revision is above the stored
 * one — settles every race between the older page's last flush and the newer page's first
 * edits, in whatever order they arrive:
 * - the older page's unsaved edits are still stored (above what the server had for that question);
 * - a question the newer page has edited keeps the newer page's answer, before or after the flush.
 */
export const REVISION_STRIDE = 2 ** 20;

/**
 * Epochs follow the server's clock in seconds, so they keep rising across a restart (the map
 * below is process memory); the map only separates claims within one second. With a stride of
 * 2^20 edits per question per page, revisions stay exact in a double for about 270 years.
 */
const EPOCH_ORIGIN_MS = Date.UTC(2026, 0, 1);
const lastEpoch = new Map<number, number>();

export const epochOf = (revision: number) => Math.floor(revision / REVISION_STRIDE);

function placedRegistration(db: Db, candidateId: number, examId: number) {
  const row = registrationRow({ db, candidateId, examId });
  if (!row) throw new AppError('NOT_FOUND', 'exam.notRegistered');
  return row.reg;
}

/** The highest epoch known for a registration: the last claim here, or the newest stored revision. */
function currentEpoch(db: Db, registrationId: number) {
  const top = db
    .select({ revision: sql<number | null>`max(${answers.revision})` })
    .from(answers)
    .where(eq(answers.registrationId, registrationId))
    .get()?.revision;
  return Math.max(lastEpoch.get(registrationId) ?? 0, epochOf(top ?? 0));
}

/**
 * A page opens the exam: it becomes the holder, and every other page of this candidate's exam
 * (other tabs, browsers, devices) is told through its live stream. Returns the page's epoch and
 * the revision floor its edits count on from.
 */
export function claimExamPage({
  db,
  bus,
  candidateId,
  examId,
  instanceId,
  now = new Date(),
}: {
  db: Db;
  bus: EventBus;
  candidateId: number;
  examId: number;
  instanceId: string;
  now?: Date;
}) {
  const reg = placedRegistration(db, candidateId, examId);
  const byClock = Math.max(0, Math.floor((now.getTime() - EPOCH_ORIGIN_MS) / 1000));
  const epoch = Math.max(byClock, currentEpoch(db, reg.id) + 1);
  lastEpoch.set(reg.id, epoch);
  bus.emit(`exam:page:${reg.id}`, { type: 'claimed', epoch, instanceId });
  return { epoch, floor: epoch * REVISION_STRIDE };
}

/**
 * saveAnswers for a page that claimed the exam (`epoch`). Saves from a page that has lost the
 * exam are accepted by the usual revision rule (its flush); the reply tells it it has lost
 * (`superseded`, in case its live stream missed the claim), and the holder is told to re-read
 * what the flush stored.
 */
export function savePageAnswers({
  db,
  bus,
  candidateId,
  examId,
  epoch,
  items,
  now = new Date(),
}: {
  db: Db;
  bus: EventBus;
  candidateId: number;
  examId: number;
  epoch: number | undefined;
  items: AnswerSave[];
  now?: Date;
}) {
  const result = saveAnswers({ db, candidateId, examId, items, now });
  if (epoch === undefined) return { ...result, superseded: false };
  const reg = placedRegistration(db, candidateId, examId);
  const superseded = epoch < currentEpoch(db, reg.id);
  if (superseded) {
    const stored = new Map(result.saved.map((s) => [s.questionId, s.revision]));
    if (items.some((i) => stored.get(i.questionId) === i.revision)) bus.emit(`exam:page:${reg.id}`, { type: 'answers' });
  }
  return { ...result, superseded };
}

/** The holder topic's stream: claims and flushes of this candidate's exam, live only (nothing to resume). */
export function examPageStream({ db, bus, candidateId, examId, signal }: { db: Db; bus: EventBus; candidateId: number; examId: number; signal?: AbortSignal }) {
  const reg = placedRegistration(db, candidateId, examId);
  const live = bus.listen(`exam:page:${reg.id}`, signal);
  return (async function* () {
    for await (const data of live) yield { data };
  })();
}

/** The holder topic's row check, again while it runs. */
export const assertExamPage = ({ db, candidateId, examId }: { db: Db; candidateId: number; examId: number }) =>
  void placedRegistration(db, candidateId, examId);
