/**
 * The one live stream of a tab (`GET /api/live`): its topics and what each carries. Shared by the
 * server and the browser (types only), so an event's shape is checked end to end.
 *
 * A topic is a kind plus, for some, one id: `commands:<examId>`, `holder:<examId>`, `room:<roomId>`,
 * `typing:<threadId>`, `stats:<messageId>`, or just `messages`, `help`, `desk`.
 */
import type { ExamPageEvent, MessageStats, HelpTyping } from '../events/bus';
import type { CandidateCommand } from '../services/exams';
import type { DeskUpdate, MineUpdate, PositionUpdate } from '../services/help';
import type { CandidateMessage } from '../services/messages';
import type { TileUpdate } from '../services/rooms';

export interface LiveData {
  /** A candidate's exam page: staff commands in that exam (tracked). */
  commands: CandidateCommand;
  /** A candidate's system messages (tracked). */
  messages: CandidateMessage;
  /** A candidate's own help threads (tracked) and queue positions (untracked). */
  help: MineUpdate | PositionUpdate;
  /** Someone typing in one help thread, on the other side (untracked). */
  typing: HelpTyping;
  /** An invigilator's grid: the room's events with the candidate's tile (tracked). */
  room: TileUpdate;
  /** The help desk, within the staff member's scope (tracked). */
  desk: DeskUpdate;
  /** A sent system message's live counts (untracked). */
  stats: MessageStats;
  /** A candidate's exam page: which page holds the exam (untracked). */
  holder: ExamPageEvent;
}

export type LiveKind = keyof LiveData;
/** Kinds that name one row (exam, room, thread, message); the others stand alone. */
export const KEYED_KINDS = ['commands', 'room', 'typing', 'stats', 'holder'] as const satisfies readonly LiveKind[];
export type KeyedKind = (typeof KEYED_KINDS)[number];
export type LiveTopic = Exclude<LiveKind, KeyedKind> | `${KeyedKind}:${number}`;
export type KindOf<T extends LiveTopic> = T extends `${infer K extends KeyedKind}:${number}` ? K : T & LiveKind;

/** At most this many topics on one connection (a page needs three or four). */
export const MAX_TOPICS = 8;

/** Server-sent frames besides topic data: `open` lists the topics the server accepted; `refused` names one it would not open or stopped. */
export type LiveOpen = { topics: LiveTopic[] };
export type LiveRefused = { topic: LiveTopic; code: string; key: string; message: string };

/** The request header carrying each topic's cursor on a (re)connect: `room:3=120,messages=88`. */
export const CURSORS_HEADER = 'last-event-id';

export const encodeCursors = (cursors: Iterable<[LiveTopic, number]>) => [...cursors].map(([t, n]) => `${t}=${n}`).join(',');
