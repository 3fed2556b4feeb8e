import { desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { deviceChecks, systemChecks, type Exam } from '@/db/schema';
import { AppError } from '../errors';
import { witnessStatuses, type WitnessState } from './phone';

/** The manual's preparation before entry, in its order; entry itself is the card's button. */
export const PATH_STEPS = ['systemCheck', 'deviceCheck', 'phoneWitness', 'notice'] as const;
export type PathStepKey = (typeof PATH_STEPS)[number];
export type PathStep = { key: PathStepKey; required: boolean; done: boolean };

/** The steps the exam office may make required per exam (exams.deviceCheckRequired, exams.phoneWitnessRequired). */
export type ChoosableStep = Extract<PathStepKey, 'deviceCheck' | 'phoneWitness'>;

/** What the server knows of one candidate's preparation; the checks are the candidate's, the witness and notice per exam. */
export type Preparation = { systemChecked: boolean; devicePassed: boolean; witness: WitnessState; accepted: boolean };

/**
 * The candidate's checks, which are not tied to an exam. A device check counts while the latest
 * one passed: a later failed check says the devices do not work now, whatever an older one said.
 * It does not expire otherwise: the check is of this computer's camera and microphone, which do
 * not change between a check the day before and the exam.
 */
export function candidateChecks({ db, candidateId }: { db: DbOrTx; candidateId: number }) {
  const system = db.select({ id: systemChecks.id }).from(systemChecks).where(eq(systemChecks.candidateId, candidateId)).limit(1).get();
  const device = db
    .select({ passed: deviceChecks.passed })
    .from(deviceChecks)
    .where(eq(deviceChecks.candidateId, candidateId))
    .orderBy(desc(deviceChecks.id))
    .limit(1)
    .get();
  return { systemChecked: !!system, devicePassed: !!device?.passed };
}

/** The witness phone of one candidate in one room: live means its camera is published (LiveKit's webhook says so). */
export function witnessOf({ db, roomId, candidateId }: { db: DbOrTx; roomId: number; candidateId: number }): WitnessState {
  return witnessStatuses({ db, roomId, candidateIds: [candidateId] }).get(candidateId)?.state ?? 'unbound';
}

/** The steps of My exams for one exam, in the manual's order. The notice is always required; the system check never blocks. */
export function pathSteps(exam: Pick<Exam, 'deviceCheckRequired' | 'phoneWitnessRequired'>, p: Preparation): PathStep[] {
  return [
    { key: 'systemCheck', required: false, done: p.systemChecked },
    { key: 'deviceCheck', required: exam.deviceCheckRequired, done: p.devicePassed },
    { key: 'phoneWitness', required: exam.phoneWitnessRequired, done: p.witness === 'live' },
    { key: 'notice', required: true, done: p.accepted },
  ];
}

/**
 * The first step the exam office made required that is not done, or null. Entry checks it after
 * the window, the lot and the notice (those have their own errors), and My exams shows the same.
 */
export function blockingStep(steps: PathStep[]): ChoosableStep | null {
  const step = steps.find((s) => (s.key === 'deviceCheck' || s.key === 'phoneWitness') && s.required && !s.done);
  return (step?.key as ChoosableStep | undefined) ?? null;
}

/** Refuses a first entry while a required step is missing; `exam.stepRequired.*` names it and where to do it. */
export function assertRequiredSteps(steps: PathStep[]) {
  const missing = blockingStep(steps);
  if (missing) throw new AppError('PRECONDITION_FAILED', `exam.stepRequired.${missing}`);
}
