import { EventEmitter } from 'node:events';
import type { HelpEvent, Message, TimelineEvent } from '@/db/schema';
import { env } from '../env';
import { iterateLocal } from './local';
import { RedisBus } from './redis-bus';

/** Someone is typing in a help thread: shown for a few seconds, never stored. */
export type HelpTyping = { threadId: number; side: 'candidate' | 'agent'; userId: number; name: string };

/** A system message's reach so far, for the sender's live counts. */
export type MessageStats = { messageId: number; recipients: number; delivered: number; read: number; acknowledged: number };

/** A candidate's exam pages (server/services/exam-page.ts): another page claimed the exam, or an older page's flush stored answers. */
export type ExamPageEvent = { type: 'claimed'; epoch: number; instanceId: string } | { type: 'answers' };

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
  /** Which page holds one registration's exam (not persisted, not resumable). */
  [channel: `exam:page:${number}`]: ExamPageEvent;
}

/**
 * A live listener. `ready` settles once events emitted by OTHER processes are delivered too:
 * at once in-process; after Redis acknowledged the SUBSCRIBE with REDIS_URL. Events this process
 * emits are delivered from the moment `listen` returns, with either bus.
 *
 * Why it matters: a subscription listens, then backfills from the database. An event stored by
 * another process after the backfill read and published before the SUBSCRIBE took effect would
 * reach neither. Awaiting `ready` before the backfill closes that window (one Redis round trip,
 * and only for the first listener of a channel in a process: later ones find it subscribed).
 */
export type BusSubscription<T> = AsyncIterable<T> & { ready: Promise<void> };

export interface EventBus {
  emit<K extends keyof BusChannels>(channel: K, payload: BusChannels[K]): void;
  /** An async iterator of payloads on a channel, ended by the signal. Listening starts at once. */
  listen<K extends keyof BusChannels>(channel: K, signal?: AbortSignal): BusSubscription<BusChannels[K]>;
  /**
   * Whether rows may arrive out of id order. In one process they cannot: a row is emitted right
   * after its commit, and commits are serial. Across processes (Redis) they can: B's row N+1
   * may reach a stream before A's row N, and a stream that skips ids below its cursor would
   * lose N. Streams then read the gap from the database (`inIdOrder` in resumable.ts).
   */
  readonly reorders: boolean;
}

class InProcessBus implements EventBus {
  private readonly emitter = new EventEmitter();
  readonly reorders = false;

  constructor() {
    // One listener per open subscription: an invigilator room page each.
    this.emitter.setMaxListeners(0);
  }

  emit<K extends keyof BusChannels>(channel: K, payload: BusChannels[K]) {
    this.emitter.emit(channel, payload);
  }

  listen<K extends keyof BusChannels>(channel: K, signal?: AbortSignal) {
    return Object.assign(iterateLocal<BusChannels[K]>(this.emitter, channel, signal), { ready: Promise.resolve() });
  }
}

/** The bus of one process without Redis: events never leave it. */
export function createInProcessBus(): EventBus {
  return new InProcessBus();
}

const g = globalThis as unknown as { __examBus?: EventBus };

/**
 * One bus per process, shared by every route bundle (tRPC, webhook): Redis pub/sub when
 * REDIS_URL is set (several app processes deliver each other's events), else in-process.
 */
export function getBus(): EventBus {
  g.__examBus ??= env.REDIS_URL ? new RedisBus({ url: env.REDIS_URL }) : new InProcessBus();
  return g.__examBus;
}

/** Closes the process's bus (its Redis connections, if any); the next getBus() makes a new one. */
export async function closeBus() {
  const bus = g.__examBus;
  g.__examBus = undefined;
  if (bus instanceof RedisBus) await bus.close();
}
