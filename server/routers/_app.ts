import { router } from '../trpc/init';
import { adminRouter } from './admin';
import { authRouter } from './auth';
import { candidateRouter } from './candidate';
import { examRouter } from './exam';
import { faceRouter } from './face';
import { helpRouter } from './help';
import { invigilateRouter } from './invigilate';
import { messagesRouter } from './messages';
import { recordingsRouter } from './recordings';
import { phoneRouter } from './phone';
import { roomRouter } from './room';
import { systemRouter } from './system';

export const appRouter = router({
  admin: adminRouter,
  auth: authRouter,
  candidate: candidateRouter,
  exam: examRouter,
  face: faceRouter,
  help: helpRouter,
  invigilate: invigilateRouter,
  messages: messagesRouter,
  recordings: recordingsRouter,
  phone: phoneRouter,
  room: roomRouter,
  system: systemRouter,
});

export type AppRouter = typeof appRouter;
