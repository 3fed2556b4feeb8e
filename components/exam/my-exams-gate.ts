import type { inferRouterOutputs } from '@trpc/server';
import type { DisplayState } from '@/components/checks/use-display-state';
import type { AppRouter } from '@/server/routers/_app';

export type MyExam = inferRouterOutputs<AppRouter>['exam']['listMine'][number];
export type EntryState = MyExam['entry'];

export type BlockReason = 'notYetOpen' | 'closed' | 'lot' | 'notice' | 'extended';
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
  }
  if (displays === 'extended') return { kind: 'blocked', reason: 'extended' };
  return { kind: 'open', reentry: exam.enteredAt != null };
}
