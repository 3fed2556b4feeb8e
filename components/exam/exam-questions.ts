'use client';

import { trpc } from '@/components/providers/trpc';
import { appCodeOf } from './exam-errors';

/** Refusals that no retry can change. */
const FINAL = new Set(['exam.alreadyFinished', 'exam.notRegistered', 'exam.notEntered']);

/**
 * The question material, asked for only once the start time has come on server time. Until it
 * arrives it is retried with backoff: a poor connection, a server restart, or a clock a fraction
 * of a second ahead of the server's (refused as "not started"). Loaded once: answers then live in
 * the answers queue, so a refetch must never replace them.
 */
export function useQuestionMaterial(examId: number, started: boolean) {
  return trpc.exam.questions.useQuery(
    { examId },
    {
      enabled: started,
      staleTime: Infinity,
      gcTime: Infinity,
      refetchOnWindowFocus: false,
      refetchOnReconnect: false,
      retry: (_count, err) => !FINAL.has(appCodeOf(err) ?? ''),
      retryDelay: (attempt) => Math.min(1000 * 2 ** attempt, 15_000),
    },
  );
}

export type QuestionMaterial = NonNullable<ReturnType<typeof useQuestionMaterial>['data']>;
export type Sheet = QuestionMaterial['sheets'][number];
