import { z } from 'zod';
import { HELP_CATEGORIES } from '@/db/schema';
import * as help from '../services/help';
import * as lead from '../services/help-lead';
import { authedProcedure, candidateProcedure, router, staffProcedure } from '../trpc/init';

/** Staff who work the desk: support agents, invigilators (their rooms only), admins. */
const deskProcedure = staffProcedure('support', 'invigilator');
/** Managing the desk itself (canned replies): support and admin. */
const supportProcedure = staffProcedure('support');
const adminProcedure = staffProcedure();
/** The 400 line's lead view: admins, and support agents marked as lead (a row of theirs, so checked here on every call). */
const leadProcedure = supportProcedure.use(({ ctx, next }) => {
  lead.assertLead(ctx.db, ctx.caller);
  return next();
});

const id = z.number().int().positive();
export const HELP_BODY_MAX = 2000;
export const HELP_TITLE_MAX = 60;
const body = z.string().trim().min(1).max(HELP_BODY_MAX);

export const ZHelpThreadInput = z.object({ threadId: id });
export const ZHelpOpenInput = z.object({ category: z.enum(HELP_CATEGORIES), body });
export const ZHelpSendInput = z.object({ threadId: id, body, kind: z.enum(['agent', 'note']).optional() });
export const ZHelpMarkReadInput = z.object({ threadId: id, messageId: id });
export const ZHelpQueueInput = z.object({ scope: z.enum(['open', 'mine', 'resolved']).default('open') }).default({ scope: 'open' });
export const ZHelpTransferInput = z.object({ threadId: id, toAgentId: id });
export const ZHelpReassignInput = z.object({ threadId: id, toAgentId: id });
export const ZHelpCannedInput = z.object({ title: z.string().trim().min(1).max(HELP_TITLE_MAX), body });
export const ZHelpCannedUpdateInput = ZHelpCannedInput.extend({ id });

export type THelpOpenInput = z.infer<typeof ZHelpOpenInput>;
export type THelpSendInput = z.infer<typeof ZHelpSendInput>;
export type THelpCannedInput = z.infer<typeof ZHelpCannedInput>;

const leadRouter = router({
  /** Whether this caller may open the lead view (the staff navigation asks). */
  amI: supportProcedure.query(({ ctx }) => lead.isLead(ctx.db, ctx.caller)),
  overview: leadProcedure.query(({ ctx }) => lead.leadOverview({ db: ctx.db, caller: ctx.caller })),
  reassign: leadProcedure.input(ZHelpReassignInput).mutation(({ ctx, input }) => help.reassign({ db: ctx.db, bus: ctx.bus, caller: ctx.caller, ...input })),
});

const cannedRouter = router({
  list: deskProcedure.query(({ ctx }) => help.listCanned({ db: ctx.db })),
  create: supportProcedure.input(ZHelpCannedInput).mutation(({ ctx, input }) => help.createCanned({ db: ctx.db, userId: ctx.caller.id, ...input })),
  update: supportProcedure.input(ZHelpCannedUpdateInput).mutation(({ ctx, input }) => help.updateCanned({ db: ctx.db, ...input })),
  remove: supportProcedure.input(z.object({ id })).mutation(({ ctx, input }) => help.removeCanned({ db: ctx.db, id: input.id })),
});

export const helpRouter = router({
  // ---- candidate ----
  myThreads: candidateProcedure.query(({ ctx }) => help.myThreads({ db: ctx.db, candidateId: ctx.caller.id })),

  open: candidateProcedure
    .input(ZHelpOpenInput)
    .mutation(({ ctx, input }) => help.openThread({ db: ctx.db, bus: ctx.bus, candidateId: ctx.caller.id, ...input })),

  // ---- both sides (row-level checks in the service) ----
  thread: authedProcedure.input(ZHelpThreadInput).query(({ ctx, input }) => help.threadView({ db: ctx.db, caller: ctx.caller, threadId: input.threadId })),

  send: authedProcedure.input(ZHelpSendInput).mutation(({ ctx, input }) => help.send({ db: ctx.db, bus: ctx.bus, caller: ctx.caller, ...input })),

  typing: authedProcedure
    .input(ZHelpThreadInput)
    .mutation(({ ctx, input }) => help.typing({ db: ctx.db, bus: ctx.bus, caller: ctx.caller, threadId: input.threadId })),

  markRead: authedProcedure.input(ZHelpMarkReadInput).mutation(({ ctx, input }) => help.markRead({ db: ctx.db, caller: ctx.caller, ...input })),

  // ---- staff ----
  queue: deskProcedure.input(ZHelpQueueInput).query(({ ctx, input }) => help.queue({ db: ctx.db, caller: ctx.caller, scope: input.scope })),

  claim: deskProcedure
    .input(ZHelpThreadInput)
    .mutation(({ ctx, input }) => help.claim({ db: ctx.db, bus: ctx.bus, caller: ctx.caller, threadId: input.threadId })),

  transfer: deskProcedure.input(ZHelpTransferInput).mutation(({ ctx, input }) => help.transfer({ db: ctx.db, bus: ctx.bus, caller: ctx.caller, ...input })),

  resolve: deskProcedure
    .input(ZHelpThreadInput)
    .mutation(({ ctx, input }) => help.resolve({ db: ctx.db, bus: ctx.bus, caller: ctx.caller, threadId: input.threadId })),

  reopen: deskProcedure
    .input(ZHelpThreadInput)
    .mutation(({ ctx, input }) => help.reopen({ db: ctx.db, bus: ctx.bus, caller: ctx.caller, threadId: input.threadId })),

  agents: deskProcedure.query(({ ctx }) => help.agents({ db: ctx.db })),

  setAccepting: supportProcedure
    .input(z.object({ accepting: z.boolean() }))
    .mutation(({ ctx, input }) => help.setAccepting({ db: ctx.db, bus: ctx.bus, caller: ctx.caller, accepting: input.accepting })),

  setCapacity: adminProcedure
    .input(z.object({ agentId: id, capacity: z.number().int().min(1).max(50) }))
    .mutation(({ ctx, input }) => help.setCapacity({ db: ctx.db, bus: ctx.bus, ...input })),

  canned: cannedRouter,
  lead: leadRouter,

  context: deskProcedure.input(ZHelpThreadInput).query(({ ctx, input }) => help.context({ db: ctx.db, caller: ctx.caller, threadId: input.threadId })),

  roomThreads: deskProcedure
    .input(z.object({ roomId: id }))
    .query(({ ctx, input }) => help.roomThreads({ db: ctx.db, caller: ctx.caller, roomId: input.roomId })),
});
