import { router } from '../../trpc/init';

export const adminStaffRouter = router({});
