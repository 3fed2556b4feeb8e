import { z } from 'zod';
import { acknowledge, listMessages, markRead, unreadCount } from '../services/messages';
import { candidateProcedure, router } from '../trpc/init';

export const ZMessageInput = z.object({ messageId: z.number().int().positive() });
export type TMessageInput = z.infer<typeof ZMessageInput>;

export const messagesRouter = router({
  list: candidateProcedure.query(({ ctx }) => listMessages({ db: ctx.db, candidateId: ctx.user.id })),
  unreadCount: candidateProcedure.query(({ ctx }) => unreadCount({ db: ctx.db, candidateId: ctx.user.id })),
  markRead: candidateProcedure.input(ZMessageInput).mutation(({ ctx, input }) => markRead({ db: ctx.db, candidateId: ctx.user.id, messageId: input.messageId })),
  acknowledge: candidateProcedure
    .input(ZMessageInput)
    .mutation(({ ctx, input }) => acknowledge({ db: ctx.db, candidateId: ctx.user.id, messageId: input.messageId })),
});
