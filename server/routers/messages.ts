import { z } from 'zod';
import { MESSAGE_AUDIENCES, MESSAGE_PRIORITIES } from '@/db/schema';
import { acknowledge, composeOptions, findCandidates, listMessages, markRead, sendSystemMessage, sentMessages, unreadCount } from '../services/messages';
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

  send: senderProcedure.input(ZSendMessageInput).mutation(({ ctx, input }) => sendSystemMessage({ db: ctx.db, bus: ctx.bus, caller: ctx.caller, input })),

  sent: senderProcedure.query(({ ctx }) => sentMessages({ db: ctx.db, caller: ctx.caller })),

  composeOptions: senderProcedure.query(({ ctx }) => composeOptions({ db: ctx.db, caller: ctx.caller })),

  findCandidates: senderProcedure
    .input(ZFindCandidatesInput)
    .query(({ ctx, input }) => findCandidates({ db: ctx.db, caller: ctx.caller, roomId: input.roomId, search: input.search })),
});
