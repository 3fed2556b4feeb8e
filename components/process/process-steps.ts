import type { inferRouterOutputs } from '@trpc/server';
import type { MyExam } from '@/components/exam/my-exams-gate';
import type { AppRouter } from '@/server/routers/_app';

export type Checks = inferRouterOutputs<AppRouter>['candidate']['checks'];
export type StepKey =
  | 'systemCheck'
  | 'login'
  | 'deviceCheck'
  | 'lot'
  | 'accept'
  | 'enter'
  | 'deviceConfirm'
  | 'waiting'
  | 'confirmInfo'
  | 'adjustCamera'
  | 'readNotice'
  | 'answer'
  | 'submit'
  | 'end'
  | 'upload';
export type StepStatus = 'done' | 'current' | 'todo' | 'failed';
export type Step = { key: StepKey; status: StepStatus; href: string | null; at?: Date };

type Draft = { key: StepKey; done: boolean; failed?: boolean; href: string | null; at?: Date };

/**
 * The first step not done is where the candidate is; a failed step is also where they are.
 * In a sequence, a step with a later step done was passed (staff may have let them through).
 */
function withStatus(drafts: Draft[], sequential = false): Step[] {
  let seenCurrent = false;
  const lastDone = sequential ? drafts.findLastIndex((d) => d.done) : -1;
  return drafts.map(({ done: own, failed, ...s }, i) => {
    const done = own || i < lastDone;
    if (done) return { ...s, status: 'done' };
    if (seenCurrent) return { ...s, status: 'todo' };
    seenCurrent = true;
    return { ...s, status: failed ? 'failed' : 'current' };
  });
}

export function prepareSteps(checks: Checks | undefined): Step[] {
  const device = checks?.device;
  return withStatus([
    { key: 'systemCheck', done: !!checks?.system, href: '/check', at: checks?.system?.createdAt },
    { key: 'login', done: true, href: null },
    {
      key: 'deviceCheck',
      done: !!device?.passed,
      failed: !!device && !device.passed,
      href: '/device-check',
      at: device?.passed ? device.createdAt : undefined,
    },
  ]);
}

/**
 * What happens inside the exam page is not recorded step by step, so those steps count as done
 * once the exam has started (the questions showed) and the exam page is where they are done.
 */
export function examSteps(exam: MyExam): Step[] {
  const inExam = exam.enteredAt && !exam.finishedAt ? `/exams/${exam.id}` : '/exams';
  const started = exam.phase === 'in_progress' || exam.phase === 'finished';
  const finished = !!exam.finishedAt;
  const uploaded = finished && exam.recordings.length > 0 && exam.recordings.every((r) => r.status === 'complete');
  const inside: Draft[] =
    exam.kind === 'interview'
      ? [
          { key: 'deviceConfirm', done: started, href: inExam },
          { key: 'waiting', done: started, href: inExam },
        ]
      : [
          { key: 'confirmInfo', done: started, href: inExam },
          { key: 'adjustCamera', done: started, href: inExam },
          { key: 'readNotice', done: started, href: inExam },
        ];
  return withStatus(
    [
      ...(exam.kind === 'interview' ? [{ key: 'lot' as const, done: exam.lotNumber != null, href: '/exams' }] : []),
      { key: 'accept', done: !!exam.acceptedAt, href: '/exams', at: exam.acceptedAt ?? undefined },
      { key: 'enter', done: !!exam.enteredAt, href: '/exams', at: exam.enteredAt ?? undefined },
      ...inside,
      { key: 'answer', done: finished, href: inExam },
      { key: exam.kind === 'interview' ? 'end' : 'submit', done: finished, href: inExam, at: exam.finishedAt ?? undefined },
      { key: 'upload', done: uploaded, href: '/exams' },
    ],
    true,
  );
}
