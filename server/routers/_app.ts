import { router } from '../trpc/init';
import { authRouter } from './auth';
import { examRouter } from './exam';
import { roomRouter } from './room';

export const appRouter = router({
  auth: authRouter,
  exam: examRouter,
  room: roomRouter,
});

export type AppRouter = typeof appRouter;
