import { z } from 'zod';
import * as staff from '../../services/admin/staff';
import { adminProcedure, router } from '../../trpc/init';
import { ZNewPassword, ZUsername } from '../auth';

const id = z.number().int().positive();
const role = z.enum(staff.STAFF_ROLES);
const name = z.string().trim().min(1).max(50);
const password = ZNewPassword;
/** Lower-case only, so the login (which matches usernames exactly) never depends on how it was typed. */
const username = ZUsername;

export const ZStaffListInput = z
  .object({ role: role.optional(), q: z.string().trim().max(50).optional(), includeArchived: z.boolean().optional() })
  .default({});
export const ZStaffCreateInput = z.object({ role, name, username, password });
export const ZStaffUpdateInput = z.object({ userId: id, name: name.optional(), role: role.optional() });
export const ZStaffResetPasswordInput = z.object({ userId: id, password: password.optional() });
export const ZStaffInput = z.object({ userId: id });
export const ZStaffSetAgentInput = z.object({ userId: id, capacity: z.number().int().min(1).max(50), accepting: z.boolean(), lead: z.boolean().optional() });

export type TStaffCreateInput = z.infer<typeof ZStaffCreateInput>;
export type TStaffUpdateInput = z.infer<typeof ZStaffUpdateInput>;

/** admin.staff.*: invigilator, support and admin accounts. */
export const adminStaffRouter = router({
  list: adminProcedure.input(ZStaffListInput).query(({ ctx, input }) => staff.listStaff({ db: ctx.db, ...input })),
  create: adminProcedure.input(ZStaffCreateInput).mutation(({ ctx, input }) => staff.createStaff({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  update: adminProcedure.input(ZStaffUpdateInput).mutation(({ ctx, input }) => staff.updateStaff({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  resetPassword: adminProcedure
    .input(ZStaffResetPasswordInput)
    .mutation(({ ctx, input }) => staff.resetPassword({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  archive: adminProcedure
    .input(ZStaffInput)
    .mutation(({ ctx, input }) => staff.setStaffArchived({ db: ctx.db, actorId: ctx.caller.id, userId: input.userId, archived: true })),
  unarchive: adminProcedure
    .input(ZStaffInput)
    .mutation(({ ctx, input }) => staff.setStaffArchived({ db: ctx.db, actorId: ctx.caller.id, userId: input.userId, archived: false })),
  setAgent: adminProcedure.input(ZStaffSetAgentInput).mutation(({ ctx, input }) => staff.setAgent({ db: ctx.db, actorId: ctx.caller.id, ...input })),
});
