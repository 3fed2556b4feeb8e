'use client';

import { useCallback, useEffect, useRef, useState } from 'react';
import { useLive } from '@/components/live/live-provider';
import { trpc } from '@/components/providers/trpc';
import { TYPING_SEND_EVERY_MS, TYPING_SHOW_MS } from './constants';

/**
 * Both halves of the typing indicator for one thread: who on the other side is typing (from
 * the live topic `typing:<threadId>`, which leaves out our own side), and a throttled `notify` for our keystrokes.
 * Typing signals are not stored: a dropped connection just misses a few seconds of "typing…".
 */
export function useTyping(threadId: number | null) {
  const [typist, setTypist] = useState<string | null>(null);
  const hideTimer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const clear = useCallback(() => {
    if (hideTimer.current) clearTimeout(hideTimer.current);
    hideTimer.current = null;
    setTypist(null);
  }, []);

  useEffect(() => clear, [threadId, clear]);

  useLive(threadId != null ? `typing:${threadId}` : null, {
    onData: (typing) => {
      setTypist(typing.name);
      if (hideTimer.current) clearTimeout(hideTimer.current);
      hideTimer.current = setTimeout(() => setTypist(null), TYPING_SHOW_MS);
    },
  });

  const { mutate } = trpc.help.typing.useMutation();
  const lastSent = useRef(0);
  const notify = useCallback(() => {
    if (threadId == null) return;
    const now = Date.now();
    if (now - lastSent.current < TYPING_SEND_EVERY_MS) return;
    lastSent.current = now;
    mutate({ threadId });
  }, [threadId, mutate]);

  return { typist, notify, clear };
}
