import { z } from 'zod';
import { listInvigilatorRooms, roomView, watchToken } from '../services/rooms';
import { router, staffProcedure } from '../trpc/init';

const invigilatorProcedure = staffProcedure('invigilator');

export const ZRoomInput = z.object({ roomId: z.number().int().positive() });
export type TRoomInput = z.infer<typeof ZRoomInput>;

export const roomRouter = router({
  listMine: invigilatorProcedure.query(({ ctx }) => listInvigilatorRooms({ db: ctx.db, caller: ctx.caller })),

  byId: invigilatorProcedure.input(ZRoomInput).query(({ ctx, input }) => roomView({ db: ctx.db, caller: ctx.caller, roomId: input.roomId })),

  watchToken: invigilatorProcedure.input(ZRoomInput).mutation(({ ctx, input }) => watchToken({ db: ctx.db, caller: ctx.caller, roomId: input.roomId })),
});
