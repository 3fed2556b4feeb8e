import { EventEmitter, on } from 'node:events';
import type { HelpEvent, Message, TimelineEvent } from '@/db/schema';

/** Someone is typing in a help thread: shown for a few seconds, never stored. */
export type HelpTyping = { threadId: number; side: 'candidate' | 'agent'; userId: number; name: string };

/** A system message's reach so far, for the sender's live counts. */
export type MessageStats = { messageId: number; recipients: number; delivered: number; read: number; acknowledged: number };

/** What the bus carries, by channel. Rows are persisted before they are emitted. */
export interface BusChannels {
  [channel: `room:${number}`]: TimelineEvent;
  /** Staff commands for one candidate (messages, extra time, end of exam), for their exam page. */
  [channel: `candidate:${number}`]: TimelineEvent;
  /** Every help-desk event (agents' queue and consoles; invigilators filter by room). */
  'help:desk': HelpEvent;
  /** Help-desk events of one candidate's threads, notes excluded (the candidate's Help panel). */
  [channel: `help:candidate:${number}`]: HelpEvent;
  /** Typing indicators of one thread (not persisted, not resumable). */
  [channel: `help:typing:${number}`]: HelpTyping;
  /** A new system message (each candidate's stream keeps those addressed to them). */
  'messages:new': Message;
  /** Delivered / read / acknowledged counts of one system message, for its sender. */
  [channel: `messages:stats:${number}`]: MessageStats;
}

export interface EventBus {
  emit<K extends keyof BusChannels>(channel: K, payload: BusChannels[K]): void;
  /** An async iterator of payloads on a channel, ended by the signal. Listening starts at once. */
  listen<K extends keyof BusChannels>(channel: K, signal?: AbortSignal): AsyncIterable<BusChannels[K]>;
}

class InProcessBus implements EventBus {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open subscription: an invigilator room page each.
    this.emitter.setMaxListeners(0);
  }

  emit<K extends keyof BusChannels>(channel: K, payload: BusChannels[K]) {
    this.emitter.emit(channel, payload);
  }

  listen<K extends keyof BusChannels>(channel: K, signal?: AbortSignal) {
    // `on` registers its listener here, synchronously, so nothing emitted after this call is
    // missed, even before the caller starts iterating.
    const it = on(this.emitter, channel, { signal });
    return (async function* () {
      try {
        for await (const [payload] of it) yield payload as BusChannels[K];
      } catch (err) {
        if ((err as Error).name !== 'AbortError') throw err;
      }
    })();
  }
}

const g = globalThis as unknown as { __examBus?: EventBus };

/** One bus per process, shared by every route bundle (tRPC, webhook). */
export function getBus(): EventBus {
  g.__examBus ??= new InProcessBus();
  return g.__examBus;
}
