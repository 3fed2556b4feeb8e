'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { useLive } from '@/components/live/live-provider';
import { trpc } from '@/components/providers/trpc';
import type { AnswersQueue } from './answers-queue';

type TabClaim = { instanceId: string; at: number };

const channelName = (examId: number, candidateId: number) => `exam.page.${examId}.${candidateId}`;

/**
 * One page holds a candidate's exam at a time: this page claims it while `active` (entered a
 * written exam), and becomes read-only once a newer page claims it. Within one browser the other
 * tabs hear it at once (BroadcastChannel); other browsers and devices through their live stream
 * (`holder:<examId>`), or at the latest from the reply to their next save. A page that lost the
 * exam hands its unsaved edits to the server and turns read-only (`queue.handOver`; the queue's
 * state says `handedOver`).
 */
export function useExamPage({ examId, candidateId, queue, active }: { examId: number; candidateId: number; queue: AnswersQueue; active: boolean }) {
  const [instanceId] = useState(() => crypto.randomUUID());
  /** The claim was answered (or failed for good): edits made from now on carry this page's floor. */
  const [ready, setReady] = useState(false);
  const epoch = useRef<number | null>(null);
  /** The newest epoch another page claimed before this page's own claim was answered. */
  const foreign = useRef(0);
  const utils = trpc.useUtils();
  const claim = trpc.exam.claimPage.useMutation({ retry: 3 });
  const claimRef = useRef(claim.mutateAsync);
  claimRef.current = claim.mutateAsync;

  useEffect(() => {
    if (!active) return;
    let cancelled = false;
    const mine: TabClaim = { instanceId, at: Date.now() };
    const tabs = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(channelName(examId, candidateId));
    if (tabs) {
      tabs.onmessage = (e: MessageEvent<TabClaim>) => {
        const other = e.data;
        // Two tabs opened in the same millisecond: the id breaks the tie the same way in both.
        if (other.instanceId !== instanceId && (other.at > mine.at || (other.at === mine.at && other.instanceId > instanceId))) queue.handOver();
      };
      tabs.postMessage(mine);
    }
    claimRef
      .current({ examId, instanceId })
      .then((r) => {
        if (cancelled) return;
        epoch.current = r.epoch;
        queue.claimed(r);
        if (foreign.current > r.epoch) queue.handOver();
      })
      .catch(() => {
        // Not claimed (the server unreachable for now): this page still saves, numbered as before.
      })
      .finally(() => {
        if (!cancelled) setReady(true);
      });
    return () => {
      cancelled = true;
      tabs?.close();
    };
  }, [active, examId, candidateId, instanceId, queue]);

  useLive(active ? `holder:${examId}` : null, {
    onData: (event) => {
      if (event.type === 'claimed') {
        if (event.instanceId === instanceId) return;
        if (epoch.current == null) foreign.current = Math.max(foreign.current, event.epoch);
        else if (event.epoch > epoch.current) queue.handOver();
      } else if (!queue.getState().handedOver) {
        // An older page's flush stored answers after this page loaded them: show them here.
        void utils.client.exam.questions
          .query({ examId })
          .then((material) => queue.refresh(material.answers))
          .catch(() => {});
      }
    },
  });

  /** Opens the exam here again: the page reloads and claims it anew (the other page turns read-only). */
  const takeOver = useCallback(() => window.location.reload(), []);

  return { ready, takeOver };
}
