import { z } from 'zod';
import * as distribute from '../../services/admin/distribute';
import * as rooms from '../../services/admin/rooms';
import { adminProcedure, router } from '../../trpc/init';

const id = z.number().int().positive();
const name = z.string().trim().min(1).max(50);
const capacity = z.number().int().min(1).max(rooms.ROOM_CAPACITY_MAX);

export const ZRoomsListInput = z.object({ examId: id });
export const ZRoomCreateInput = z.object({ examId: id, name, capacity });
export const ZRoomUpdateInput = z.object({ roomId: id, name: name.optional(), capacity: capacity.optional() });
export const ZRoomInput = z.object({ roomId: id });
export const ZDistributeInput = z.object({ examId: id, mode: z.enum(['unplaced', 'rebalance']) });
export const ZPlaceInput = z.object({ examId: id, candidateId: id, roomId: id, seat: z.number().int().min(1).max(rooms.ROOM_CAPACITY_MAX).optional() });
export const ZUnplaceInput = z.object({ examId: id, candidateId: id });
export const ZFindCandidatesInput = z.object({ examId: id, q: z.string().trim().min(1).max(50) });
export const ZAssignmentInput = z.object({ roomId: id, userId: id });
export const ZSetChiefInput = z.object({ examId: id, userId: id.nullable() });

export type TRoomCreateInput = z.infer<typeof ZRoomCreateInput>;
export type TDistributeInput = z.infer<typeof ZDistributeInput>;
export type TPlaceInput = z.infer<typeof ZPlaceInput>;

/** admin.rooms.*: an exam's rooms, placing candidates in them, and who invigilates. */
export const adminRoomsRouter = router({
  list: adminProcedure.input(ZRoomsListInput).query(({ ctx, input }) => rooms.listRooms({ db: ctx.db, examId: input.examId })),
  invigilators: adminProcedure.query(({ ctx }) => rooms.invigilatorOptions({ db: ctx.db })),
  create: adminProcedure.input(ZRoomCreateInput).mutation(({ ctx, input }) => rooms.createRoom({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  update: adminProcedure.input(ZRoomUpdateInput).mutation(({ ctx, input }) => rooms.updateRoom({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  archive: adminProcedure
    .input(ZRoomInput)
    .mutation(({ ctx, input }) => rooms.setRoomArchived({ db: ctx.db, actorId: ctx.caller.id, roomId: input.roomId, archived: true })),
  unarchive: adminProcedure
    .input(ZRoomInput)
    .mutation(({ ctx, input }) => rooms.setRoomArchived({ db: ctx.db, actorId: ctx.caller.id, roomId: input.roomId, archived: false })),
  delete: adminProcedure.input(ZRoomInput).mutation(({ ctx, input }) => rooms.deleteRoom({ db: ctx.db, actorId: ctx.caller.id, roomId: input.roomId })),

  distribute: adminProcedure.input(ZDistributeInput).mutation(({ ctx, input }) => distribute.distribute({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  place: adminProcedure.input(ZPlaceInput).mutation(({ ctx, input }) => distribute.place({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  unplace: adminProcedure.input(ZUnplaceInput).mutation(({ ctx, input }) => distribute.unplace({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  findCandidates: adminProcedure.input(ZFindCandidatesInput).query(({ ctx, input }) => distribute.findCandidates({ db: ctx.db, ...input })),

  assignInvigilator: adminProcedure
    .input(ZAssignmentInput)
    .mutation(({ ctx, input }) => rooms.assignInvigilator({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  unassign: adminProcedure.input(ZAssignmentInput).mutation(({ ctx, input }) => rooms.unassignInvigilator({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  setChief: adminProcedure.input(ZSetChiefInput).mutation(({ ctx, input }) => rooms.setChief({ db: ctx.db, actorId: ctx.caller.id, ...input })),
});
