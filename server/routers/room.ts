import { tracked } from '@trpc/server';
import { z } from 'zod';
import { inIdOrder } from '../events/bus';
import { whileAllowed } from '../trpc/stream-guard';
import { assertRoom } from '../services/access';
import { listInvigilatorRooms, roomEventsAfter, roomView, tileUpdateFor, watchToken } from '../services/rooms';
import { router, staffProcedure } from '../trpc/init';

const invigilatorProcedure = staffProcedure('invigilator');

export const ZRoomInput = z.object({ roomId: z.number().int().positive() });
export type TRoomInput = z.infer<typeof ZRoomInput>;

export const ZOnRoomEventsInput = ZRoomInput.extend({
  /** tRPC fills this from the last tracked id when an SSE connection resumes. */
  lastEventId: z.coerce.number().int().nonnegative().nullish(),
});

export const roomRouter = router({
  listMine: invigilatorProcedure.query(({ ctx }) => listInvigilatorRooms({ db: ctx.db, caller: ctx.caller })),

  byId: invigilatorProcedure.input(ZRoomInput).query(({ ctx, input }) => roomView({ db: ctx.db, caller: ctx.caller, roomId: input.roomId })),

  watchToken: invigilatorProcedure.input(ZRoomInput).mutation(({ ctx, input }) => watchToken({ db: ctx.db, caller: ctx.caller, roomId: input.roomId })),

  onEvents: invigilatorProcedure.input(ZOnRoomEventsInput).subscription(async ({ ctx, input, signal }) => {
    // Checked before the stream starts, so a refusal is a FORBIDDEN response, not a broken stream.
    assertRoom(ctx.db, ctx.caller, input.roomId);
    // Listen first, then backfill: an event stored between the two is seen at least once,
    // and the id check below makes it exactly once.
    const live = ctx.bus.listen(`room:${input.roomId}`, signal);
    await live.ready;
    const stream = (async function* () {
      let cursor = input.lastEventId ?? 0;
      for (const event of roomEventsAfter({ db: ctx.db, roomId: input.roomId, afterId: cursor })) {
        cursor = event.id;
        yield tracked(String(event.id), tileUpdateFor({ db: ctx.db, event }));
      }
      const between = (afterId: number, upTo: number) => roomEventsAfter({ db: ctx.db, roomId: input.roomId, afterId }).filter((e) => e.id <= upTo);
      for await (const event of inIdOrder(live, { bus: ctx.bus, after: cursor, between })) {
        if (event.id <= cursor) continue;
        cursor = event.id;
        yield tracked(String(event.id), tileUpdateFor({ db: ctx.db, event }));
      }
    })();
    // An invigilator unassigned from the room stops receiving it at the next check.
    return whileAllowed(stream, () => assertRoom(ctx.db, ctx.caller, input.roomId));
  }),
});
