import { router } from '../../trpc/init';

export const adminDashboardRouter = router({});
