import { router } from '../../trpc/init';
import { adminAuditRouter } from './audit';
import { adminCandidatesRouter } from './candidates';
import { adminDashboardRouter } from './dashboard';
import { adminExamsRouter } from './exams';
import { adminPhotosRouter } from './photos';
import { adminRoomsRouter } from './rooms';
import { adminStaffRouter } from './staff';

/**
 * The back office. Every procedure is built on `adminProcedure` (role admin); services check
 * rows (the exam exists, is not archived, has not started where that matters).
 */
export const adminRouter = router({
  audit: adminAuditRouter,
  candidates: adminCandidatesRouter,
  dashboard: adminDashboardRouter,
  exams: adminExamsRouter,
  photos: adminPhotosRouter,
  rooms: adminRoomsRouter,
  staff: adminStaffRouter,
});
