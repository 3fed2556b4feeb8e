'use client';

import type { inferRouterOutputs } from '@trpc/server';
import { useCallback, useState } from 'react';
import type { AppRouter } from '@/server/routers/_app';

export type ExamSession = inferRouterOutputs<AppRouter>['exam']['session'];

/** Pre-exam steps done on this device; remembered so a reload mid-exam goes straight back in. */
export type ExamSteps = { cameraOk?: boolean; noticeRead?: boolean; devicesConfirmed?: boolean };

const key = (examId: number, candidateId: number) => `exam.steps.${examId}.${candidateId}`;

function read(examId: number, candidateId: number): ExamSteps {
  try {
    const raw = window.localStorage.getItem(key(examId, candidateId));
    return raw ? (JSON.parse(raw) as ExamSteps) : {};
  } catch {
    return {};
  }
}

export function useExamSteps(examId: number, candidateId: number) {
  const [steps, setSteps] = useState<ExamSteps>(() => (typeof window === 'undefined' ? {} : read(examId, candidateId)));
  const mark = useCallback(
    (step: keyof ExamSteps) =>
      setSteps((prev) => {
        const next = { ...prev, [step]: true };
        try {
          window.localStorage.setItem(key(examId, candidateId), JSON.stringify(next));
        } catch {
          // Not remembered: after a reload the candidate repeats a step, nothing worse.
        }
        return next;
      }),
    [examId, candidateId],
  );
  return { steps, mark };
}
