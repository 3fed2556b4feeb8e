import type { Db } from '@/db/client';
import type { StaffCaller, UserCaller } from '../auth/caller';
import { AppError } from '../errors';
import type { EventBus } from '../events/bus';
import type { LiveItem } from '../events/resumable';
import { assertRoom, type RoomScope } from '../services/access';
import { assertExamPage, examPageStream } from '../services/exam-page';
import { commandStream, commandRoomOf } from '../services/exams';
import { assertTypingAccess, deskScope } from '../services/help';
import { deskOpened } from '../services/help-presence';
import { deskStream, mineStream } from '../services/help-streams';
import { assertMayFollow, candidateStream, messageStats } from '../services/messages';
import { roomStream } from '../services/rooms';
import { KEYED_KINDS, type KeyedKind, type LiveData, type LiveKind, type LiveTopic } from './types';

/** What a topic is opened with: the account (checked again while it runs), the database and the bus. */
export type LiveContext = { db: Db; bus: EventBus; caller: UserCaller };

type Opened<K extends LiveKind> = {
  items: AsyncIterable<LiveItem<LiveData[K]>>;
  /** Runs again every 30 s while the topic is open; a throw stops the topic (refused). */
  recheck: () => void;
};

type TopicDef<K extends LiveKind> = {
  /** Roles that may open it at all (admins are staff, named where allowed). */
  roles: readonly UserCaller['role'][];
  /**
   * Checks row-level access (throws AppError) and opens the stream after the cursor (null: as a
   * page load). Access is checked before anything listens, so a refusal costs nothing.
   */
  open: (ctx: LiveContext, id: number, after: number | null, signal: AbortSignal) => Promise<Opened<K>>;
};

const CANDIDATE = ['candidate'] as const;

/**
 * Every live topic, who may open it and how. Roles here mirror the procedure builders'; row
 * scope is decided by the access module (server/services/access.ts) through the services.
 */
const TOPICS: { [K in LiveKind]: TopicDef<K> } = {
  commands: {
    roles: CANDIDATE,
    open: async ({ db, bus, caller }, examId, after, signal) => {
      const items = await commandStream({ db, bus, candidateId: caller.id, examId, afterId: after ?? 0, signal });
      return { items, recheck: () => void commandRoomOf({ db, candidateId: caller.id, examId }) };
    },
  },
  holder: {
    roles: CANDIDATE,
    open: async ({ db, bus, caller }, examId, _after, signal) => {
      const ref = { db, candidateId: caller.id, examId };
      return { items: examPageStream({ ...ref, bus, signal }), recheck: () => assertExamPage(ref) };
    },
  },
  messages: {
    roles: CANDIDATE,
    open: async ({ db, bus, caller }, _id, after, signal) => ({
      items: await candidateStream({ db, bus, candidateId: caller.id, lastEventId: after, signal }),
      recheck: () => {},
    }),
  },
  help: {
    roles: CANDIDATE,
    open: async ({ db, bus, caller }, _id, after, signal) => ({
      items: await mineStream({ db, bus, candidateId: caller.id, afterId: after ?? 0, signal }),
      recheck: () => {},
    }),
  },
  typing: {
    roles: ['candidate', 'support', 'invigilator', 'admin'],
    open: async ({ db, bus, caller }, threadId, _after, signal) => {
      const check = () => assertTypingAccess({ db, caller, threadId });
      const side = check();
      const live = bus.listen(`help:typing:${threadId}`, signal);
      const items = (async function* () {
        for await (const typing of live) if (typing.side !== side) yield { data: typing };
      })();
      return { items, recheck: check };
    },
  },
  room: {
    roles: ['invigilator', 'admin'],
    open: async ({ db, bus, caller }, roomId, after, signal) => {
      const check = () => void assertRoom(db, caller, roomId);
      check();
      // An invigilator unassigned from the room stops receiving it at the next check.
      return { items: await roomStream({ db, bus, roomId, afterId: after ?? 0, signal }), recheck: check };
    },
  },
  desk: {
    roles: ['support', 'invigilator', 'admin'],
    open: async ({ db, bus, caller }, _id, after, signal) => {
      const scope: RoomScope = deskScope({ db, caller });
      const items = await deskStream({ db, bus, scope, afterId: after, signal });
      // The support lead's view shows who is at the desk: an open desk topic is a desk on screen.
      deskOpened(caller.id, signal);
      // An invigilator's rooms can change under an open desk: the scope is refreshed in place.
      const recheck = () => {
        const fresh = deskScope({ db, caller });
        if (scope.all || fresh.all) return;
        scope.roomIds.clear();
        for (const id of fresh.roomIds) scope.roomIds.add(id);
      };
      return { items, recheck };
    },
  },
  stats: {
    roles: ['invigilator', 'support', 'admin'],
    open: async ({ db, bus, caller }, messageId, _after, signal) => {
      // `roles` above let staff only through.
      const check = () => assertMayFollow({ db, caller: caller as StaffCaller, messageId });
      check();
      const live = bus.listen(`messages:stats:${messageId}`, signal);
      const items = (async function* () {
        const now = messageStats(db, messageId);
        if (now) yield { data: now };
        for await (const stats of live) yield { data: stats };
      })();
      return { items, recheck: check };
    },
  },
};

const TOPIC_RE = /^(commands|room|typing|stats|holder):([1-9]\d{0,9})$|^(messages|help|desk)$/;

/** A topic's kind and id, or null for anything that is not a topic. */
export function parseTopic(raw: string): { topic: LiveTopic; kind: LiveKind; id: number } | null {
  const m = TOPIC_RE.exec(raw);
  if (!m) return null;
  if (m[3]) return { topic: raw as LiveTopic, kind: m[3] as LiveKind, id: 0 };
  const id = Number(m[2]);
  if (!Number.isSafeInteger(id) || !(KEYED_KINDS as readonly string[]).includes(m[1]!)) return null;
  return { topic: raw as LiveTopic, kind: m[1] as KeyedKind, id };
}

/** Opens one topic for the caller: the role check here, row scope in the topic's own open. */
export async function openTopic<K extends LiveKind>(ctx: LiveContext, kind: K, id: number, after: number | null, signal: AbortSignal): Promise<Opened<K>> {
  const def = TOPICS[kind] as TopicDef<K>;
  if (!def.roles.includes(ctx.caller.role)) throw new AppError('FORBIDDEN', 'auth.wrongRole');
  return def.open(ctx, id, after, signal);
}
