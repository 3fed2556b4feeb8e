import { systemInfo } from '../services/system';
import { publicProcedure, router } from '../trpc/init';

export const systemRouter = router({
  /** The server's clock, for the client's offset measurement (NTP-style, lowest round trip wins). */
  time: publicProcedure.query(() => ({ now: Date.now() })),
  info: publicProcedure.query(() => systemInfo()),
});
