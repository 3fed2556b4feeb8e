import { tracked } from '@trpc/server';
import { z } from 'zod';
import { whileAllowed } from '../trpc/stream-guard';
import { MESSAGE_AUDIENCES, MESSAGE_PRIORITIES } from '@/db/schema';
import {
  acknowledge,
  assertMayFollow,
  candidateStream,
  composeOptions,
  findCandidates,
  listMessages,
  markRead,
  messageStats,
  sendSystemMessage,
  sentMessages,
  unreadCount,
} from '../services/messages';
import { candidateProcedure, router, staffProcedure } from '../trpc/init';

/** Invigilators and support send within their limits (checked in the service); admins send anywhere. */
const senderProcedure = staffProcedure('invigilator', 'support');

const id = z.number().int().positive();

export const ZMessageInput = z.object({ messageId: id });
export type TMessageInput = z.infer<typeof ZMessageInput>;

/** Which of examId / roomId / candidateId is required depends on the audience: the service says which one is missing. */
export const ZSendMessageInput = z.object({
  audience: z.enum(MESSAGE_AUDIENCES),
  examId: id.optional(),
  roomId: id.optional(),
  candidateId: id.optional(),
  title: z.string().trim().min(1).max(100),
  body: z.string().trim().min(1).max(5000),
  priority: z.enum(MESSAGE_PRIORITIES).default('normal'),
  mustAcknowledge: z.boolean().default(false),
});
export type TSendMessageInput = z.infer<typeof ZSendMessageInput>;

export const ZOnMineInput = z
  .object({
    /** tRPC fills this from the last tracked id when an SSE connection resumes. */
    lastEventId: z.coerce.number().int().nonnegative().nullish(),
  })
  .optional();

export const ZFindCandidatesInput = z.object({
  roomId: id.optional(),
  search: z.string().trim().max(40).optional(),
});

export const messagesRouter = router({
  list: candidateProcedure.query(({ ctx }) => listMessages({ db: ctx.db, candidateId: ctx.caller.id })),
  unreadCount: candidateProcedure.query(({ ctx }) => unreadCount({ db: ctx.db, candidateId: ctx.caller.id })),
  markRead: candidateProcedure
    .input(ZMessageInput)
    .mutation(({ ctx, input }) => markRead({ db: ctx.db, bus: ctx.bus, candidateId: ctx.caller.id, messageId: input.messageId })),
  acknowledge: candidateProcedure
    .input(ZMessageInput)
    .mutation(({ ctx, input }) => acknowledge({ db: ctx.db, bus: ctx.bus, candidateId: ctx.caller.id, messageId: input.messageId })),

  /** Every message addressed to the caller, live; resumes after `lastEventId` with nothing missed or repeated. */
  onMine: candidateProcedure.input(ZOnMineInput).subscription(({ ctx, input, signal }) => {
    const stream = candidateStream({ db: ctx.db, bus: ctx.bus, candidateId: ctx.caller.id, lastEventId: input?.lastEventId, signal });
    return (async function* () {
      for await (const { id, message } of stream) yield tracked(String(id), message);
    })();
  }),

  send: senderProcedure.input(ZSendMessageInput).mutation(({ ctx, input }) => sendSystemMessage({ db: ctx.db, bus: ctx.bus, caller: ctx.caller, input })),

  sent: senderProcedure.query(({ ctx }) => sentMessages({ db: ctx.db, caller: ctx.caller })),

  composeOptions: senderProcedure.query(({ ctx }) => composeOptions({ db: ctx.db, caller: ctx.caller })),

  findCandidates: senderProcedure
    .input(ZFindCandidatesInput)
    .query(({ ctx, input }) => findCandidates({ db: ctx.db, caller: ctx.caller, roomId: input.roomId, search: input.search })),

  /** Live delivered / read / acknowledged counts of one message: the current counts first, then each change. */
  onStats: senderProcedure.input(ZMessageInput).subscription(async ({ ctx, input, signal }) => {
    // Checked before the stream starts, so a refusal is an error response, not a broken stream.
    assertMayFollow({ db: ctx.db, caller: ctx.caller, messageId: input.messageId });
    const live = ctx.bus.listen(`messages:stats:${input.messageId}`, signal);
    const stream = (async function* () {
      const now = messageStats(ctx.db, input.messageId);
      if (now) yield now;
      for await (const stats of live) yield stats;
    })();
    return whileAllowed(stream, () => assertMayFollow({ db: ctx.db, caller: ctx.caller, messageId: input.messageId }));
  }),
});
