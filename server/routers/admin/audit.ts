import { router } from '../../trpc/init';

export const adminAuditRouter = router({});
