'use client';

import { createContext, useContext, useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { KindOf, LiveData, LiveRefused, LiveTopic } from '@/server/live/types';
import { LiveClient, type LiveStatus } from './live-client';

const LiveContext = createContext<LiveClient | null>(null);

/** Owns the tab's one live connection; every `useLive` below shares it. */
export function LiveProvider({ children }: { children: ReactNode }) {
  const [client] = useState(() => new LiveClient());
  useEffect(() => () => client.close(), [client]);
  return <LiveContext.Provider value={client}>{children}</LiveContext.Provider>;
}

export type LiveHandlers<T extends LiveTopic> = {
  onData: (data: LiveData[KindOf<T>], id: number | undefined) => void;
  /** The connection (re)opened with this topic: a page may refresh what it loaded by query. */
  onOpen?: () => void;
  onRefused?: (refusal: LiveRefused) => void;
};

/**
 * Follows one topic of the tab's live connection while `topic` is not null. `after` is the
 * cursor to start from when the topic is first followed (a snapshot's last event id); later
 * reconnects resume after the last id received. Handlers may change on every render.
 */
export function useLive<T extends LiveTopic>(topic: T | null, handlers: LiveHandlers<T>, after: number | null = null) {
  const client = useContext(LiveContext);
  if (!client) throw new Error('useLive needs a LiveProvider');
  const ref = useRef(handlers);
  ref.current = handlers;
  const [refusal, setRefusal] = useState<LiveRefused | null>(null);
  const afterRef = useRef(after);
  afterRef.current = after;

  useEffect(() => {
    if (topic == null) return;
    setRefusal(null);
    return client.subscribe(
      topic,
      {
        onData: (data, id) => ref.current.onData(data as LiveData[KindOf<T>], id),
        onOpen: () => ref.current.onOpen?.(),
        onRefused: (r) => {
          setRefusal(r);
          ref.current.onRefused?.(r);
        },
      },
      afterRef.current,
    );
  }, [client, topic]);

  const status = useSyncExternalStore<LiveStatus | 'idle'>(
    (cb) => client.watch(cb),
    () => (topic == null ? 'idle' : client.status(topic)),
    () => 'idle',
  );
  return { status, refusal };
}
