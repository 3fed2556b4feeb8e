'use client';

import { useRouter } from 'next/navigation';
import { useCallback, useRef, useState } from 'react';
import { trpc } from '@/components/providers/trpc';
import { failureKind } from './exam-errors';

export type FinishReason = 'submitted' | 'ended' | 'timeout';

const waitForRetry = (ms: number) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(t);
      window.removeEventListener('online', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    window.addEventListener('online', done);
  });

/**
 * Ends the candidate's exam: answers first (a submit must carry the last edit), then the finish
 * on the server, then the media stops and the page moves to the "done" screen. A time-out keeps
 * trying until it goes through (the connection may be down exactly then); a submit or an end
 * asked for by the candidate tries once and shows why it failed.
 */
export function useExamFinish({ examId, flushAnswers, leave }: { examId: number; flushAnswers?: () => Promise<void>; leave: () => Promise<void> }) {
  const router = useRouter();
  const utils = trpc.useUtils();
  const finish = trpc.exam.finish.useMutation({ networkMode: 'always' });
  const [busy, setBusy] = useState<FinishReason | null>(null);
  const [error, setError] = useState<unknown>(null);
  const running = useRef(false);
  // Time ran out while a submit was under way: if that submit fails, the time-out takes over.
  const timeoutWaiting = useRef(false);
  const runRef = useRef<(reason: FinishReason) => Promise<void>>(async () => {});
  const refs = useRef({ flushAnswers, leave, mutate: finish.mutateAsync });
  refs.current = { flushAnswers, leave, mutate: finish.mutateAsync };

  const complete = useCallback(async () => {
    await refs.current.leave().catch(() => {});
    await Promise.all([utils.exam.session.invalidate({ examId }), utils.exam.listMine.invalidate()]);
    router.replace(`/exams/${examId}/done`);
  }, [examId, router, utils]);

  const run = useCallback(
    async (reason: FinishReason) => {
      if (running.current) {
        if (reason === 'timeout') timeoutWaiting.current = true;
        return;
      }
      running.current = true;
      setBusy(reason);
      setError(null);
      for (let attempt = 0; ; attempt++) {
        try {
          await refs.current.flushAnswers?.().catch((err: unknown) => {
            // Saves refused for good (the server already closed the exam): finish regardless.
            if (reason !== 'timeout' || failureKind(err) !== 'fatal') throw err;
          });
          await refs.current.mutate({ examId, reason });
          await complete();
          return;
        } catch (err) {
          if (reason !== 'timeout') {
            setError(err);
            setBusy(null);
            running.current = false;
            if (timeoutWaiting.current) void runRef.current('timeout');
            return;
          }
          // Shown while it keeps trying, so the candidate knows to stay on the page.
          setError(err);
          await waitForRetry(Math.min(2000 * 2 ** attempt, 15_000));
        }
      }
    },
    [examId, complete],
  );
  runRef.current = run;

  return { run, busy, error };
}
