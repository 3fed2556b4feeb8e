import type { inferRouterOutputs } from '@trpc/server';
import type { DisplayState } from '@/components/checks/use-display-state';
import type { AppRouter } from '@/server/routers/_app';

export type MyExam = inferRouterOutputs<AppRouter>['exam']['listMine'][number];
export type EntryState = MyExam['entry'];

export type BlockReason = 'notYetOpen' | 'closed' | 'lot' | 'notice' | 'deviceCheck' | 'phoneWitness' | 'extended';
export type EnterGate = { kind: 'finished' } | { kind: 'open'; reentry: boolean } | { kind: 'blocked'; reason: BlockReason };

/** Same rule as the server: the window is [opensAt, closesAt), read on the server's clock. */
export function entryStateAt(exam: Pick<MyExam, 'entryOpensAt' | 'entryClosesAt'>, nowMs: number): EntryState {
  if (nowMs < exam.entryOpensAt.getTime()) return 'not_yet_open';
  if (nowMs >= exam.entryClosesAt.getTime()) return 'closed';
  return 'open';
}

/**
 * Whether Enter may be pressed, checked in the server's order so the reason shown is the one
 * the server would give. Someone who already entered may go back in (a reload, a crash) until
 * the exam is over, whatever the window says.
 */
export function enterGate(exam: MyExam, entry: EntryState, displays: DisplayState): EnterGate {
  if (exam.finishedAt) return { kind: 'finished' };
  if (!exam.enteredAt) {
    if (entry === 'not_yet_open') return { kind: 'blocked', reason: 'notYetOpen' };
    if (entry === 'closed') return { kind: 'blocked', reason: 'closed' };
    if (exam.kind === 'interview' && exam.lotNumber == null) return { kind: 'blocked', reason: 'lot' };
    if (!exam.acceptedAt) return { kind: 'blocked', reason: 'notice' };
    // The server's word (exam.blockingStep): the same function refuses the entry itself.
    if (exam.blockingStep) return { kind: 'blocked', reason: exam.blockingStep };
  }
  if (displays === 'extended') return { kind: 'blocked', reason: 'extended' };
  return { kind: 'open', reentry: exam.enteredAt != null };
}

export type PathKey = MyExam['path'][number]['key'] | 'enter';
/** done; to do (required, or entry that is open); optional (not required, not done); blocked (entry not possible yet). */
export type PathState = 'done' | 'todo' | 'optional' | 'blocked';
export type PathView = { key: PathKey; state: PathState; required: boolean };

/** The manual's steps before an exam with their state, ending with entry itself (the card's button). */
export function pathView(exam: MyExam, gate: EnterGate): PathView[] {
  const steps = exam.path.map(({ key, required, done }): PathView => ({ key, required, state: done ? 'done' : required ? 'todo' : 'optional' }));
  const enter: PathState = exam.enteredAt ? 'done' : gate.kind === 'open' ? 'todo' : 'blocked';
  return [...steps, { key: 'enter', required: true, state: enter }];
}

/** Where a step is done: a page of the portal, or a place on the exam's card (`#` anchors). */
export function pathHref(key: PathKey, examId: number): string | null {
  if (key === 'systemCheck') return '/check';
  if (key === 'deviceCheck') return '/device-check';
  if (key === 'phoneWitness') return `/exams#phone-${examId}`;
  return null;
}
