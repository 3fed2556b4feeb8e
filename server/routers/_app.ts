import { router } from '../trpc/init';
import { authRouter } from './auth';
import { candidateRouter } from './candidate';
import { examRouter } from './exam';
import { invigilateRouter } from './invigilate';
import { messagesRouter } from './messages';
import { roomRouter } from './room';
import { systemRouter } from './system';

export const appRouter = router({
  auth: authRouter,
  candidate: candidateRouter,
  exam: examRouter,
  invigilate: invigilateRouter,
  messages: messagesRouter,
  room: roomRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;
