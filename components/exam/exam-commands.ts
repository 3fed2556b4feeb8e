'use client';

import { useQueryClient } from '@tanstack/react-query';
import { getQueryKey } from '@trpc/react-query';
import { useCallback, useRef, useState } from 'react';
import { useLive } from '@/components/live/live-provider';
import { trpc } from '@/components/providers/trpc';

export type StaffMessage = { messageId: number; text: string; at: Date };
/** Extra time the candidate has not been told about yet; `key` changes with every grant. */
export type ExtraTimeNotice = { minutes: number; endsAt: Date; key: string };

/*
 * The last extra-time event whose notice this device showed. The subscription replays every
 * extra-time event of the exam after a reload; the countdown takes them all (it only ever moves
 * later), the notice only the ones not yet announced here.
 */
const noticeKey = (examId: number, candidateId: number) => `exam.extraTimeSeen.${examId}.${candidateId}`;

function readNoticeCursor(examId: number, candidateId: number) {
  try {
    return Number(window.localStorage.getItem(noticeKey(examId, candidateId))) || 0;
  } catch {
    return 0;
  }
}

function writeNoticeCursor(examId: number, candidateId: number, id: number) {
  try {
    window.localStorage.setItem(noticeKey(examId, candidateId), String(id));
  } catch {
    // Not remembered: a reload shows the notice once more, nothing worse.
  }
}

/**
 * Staff commands reaching the exam page on the live topic `commands:<examId>` while `active` (entered, not
 * finished): messages queue up until the candidate acknowledges each one, extra time moves the
 * session's end at once, and the end of the exam by staff is handed to `onEnded`. On a
 * reconnect the live connection resumes after the last event seen; a new subscription (a reload) replays the
 * exam's commands, minus the messages already acknowledged, which the server leaves out.
 */
export function useExamCommands({ examId, candidateId, active, onEnded }: { examId: number; candidateId: number; active: boolean; onEnded: () => void }) {
  const utils = trpc.useUtils();
  const queryClient = useQueryClient();
  const [queue, setQueue] = useState<StaffMessage[]>([]);
  const [extraTime, setExtraTime] = useState<ExtraTimeNotice | null>(null);
  // Acknowledged on this page: a replay of the subscription must not bring them back.
  const acknowledged = useRef(new Set<number>());
  const noticeCursor = useRef<number | null>(null);
  const onEndedRef = useRef(onEnded);
  onEndedRef.current = onEnded;

  useLive(active ? `commands:${examId}` : null, {
    onData: (command, id) => {
      const eventId = id ?? 0;
      if (command.type === 'message') {
        if (acknowledged.current.has(command.messageId)) return;
        setQueue((q) => (q.some((m) => m.messageId === command.messageId) ? q : [...q, { messageId: command.messageId, text: command.text, at: command.at }]));
      } else if (command.type === 'extra_time') {
        // Only ever later: an older grant replayed after a newer one must not pull the end back.
        // The answer's time stays that of its fetch: the exam clock pairs it with `serverNow`.
        const updatedAt = queryClient.getQueryState(getQueryKey(trpc.exam.session, { examId }, 'query'))?.dataUpdatedAt;
        utils.exam.session.setData(
          { examId },
          (old) => (old && command.endsAt > old.exam.endsAt ? { ...old, exam: { ...old.exam, endsAt: command.endsAt } } : old),
          { updatedAt },
        );
        void utils.exam.session.invalidate({ examId });
        noticeCursor.current ??= readNoticeCursor(examId, candidateId);
        if (eventId > noticeCursor.current) {
          noticeCursor.current = eventId;
          writeNoticeCursor(examId, candidateId, eventId);
          // Several grants not yet announced (a reload after two) read as one total.
          setExtraTime((prev) => ({ minutes: (prev?.minutes ?? 0) + command.minutes, endsAt: command.endsAt, key: String(eventId) }));
        }
      } else {
        onEndedRef.current();
      }
    },
  });

  const ack = trpc.messages.acknowledge.useMutation({ networkMode: 'always' });
  const { mutateAsync, reset } = ack;
  const acknowledge = useCallback(
    async (messageId: number) => {
      try {
        await mutateAsync({ messageId });
      } catch {
        // Shown in the dialog from the mutation's error; the message stays until it goes through.
        return;
      }
      acknowledged.current.add(messageId);
      setQueue((q) => q.filter((m) => m.messageId !== messageId));
      reset();
    },
    [mutateAsync, reset],
  );

  const dismissExtraTime = useCallback(() => setExtraTime(null), []);

  return {
    /** The message to acknowledge now, and how many are waiting in all (this one included). */
    message: queue[0] ?? null,
    queued: queue.length,
    acknowledge,
    acknowledging: ack.isPending,
    acknowledgeError: ack.error,
    extraTime,
    dismissExtraTime,
  };
}
