'use client';

import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { trpc } from '@/components/providers/trpc';
import { AnswersQueue, type AnswerItem, type AnswerValue } from './answers-queue';
import { failureKind } from './exam-errors';

export const answersStorageKey = (examId: number, candidateId: number) => `exam.answers.${examId}.${candidateId}`;

/**
 * The React side of the answers queue: one queue per exam page, started from the server's saved
 * answers once the paper has loaded, retried at once when the browser comes back online.
 */
export function useAnswersQueue({ examId, candidateId, serverAnswers }: { examId: number; candidateId: number; serverAnswers: AnswerItem[] | undefined }) {
  // 'always': offline, a save must fail at once so the queue shows "queued" and retries itself.
  const save = trpc.exam.saveAnswers.useMutation({ networkMode: 'always' });
  const saveRef = useRef(save.mutateAsync);
  saveRef.current = save.mutateAsync;

  const [queue] = useState(
    () =>
      new AnswersQueue({
        key: answersStorageKey(examId, candidateId),
        storage: typeof window === 'undefined' ? null : window.localStorage,
        save: (items, epoch) => saveRef.current({ examId, epoch, answers: items }),
        classify: failureKind,
      }),
  );

  const started = useRef(false);
  useEffect(() => {
    if (!serverAnswers || started.current) return;
    started.current = true;
    queue.init(serverAnswers);
  }, [queue, serverAnswers]);

  useEffect(() => {
    const online = () => queue.online();
    window.addEventListener('online', online);
    return () => window.removeEventListener('online', online);
  }, [queue]);

  // No dispose on unmount: a save still pending when the page goes away should still be sent.
  const subscribe = useCallback((l: () => void) => queue.subscribe(l), [queue]);
  const state = useSyncExternalStore(subscribe, queue.getState, queue.getState);
  const edit = useCallback((questionId: string, value: AnswerValue) => queue.edit(questionId, value), [queue]);
  return { state, edit, queue };
}
