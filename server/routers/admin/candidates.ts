import { router } from '../../trpc/init';

export const adminCandidatesRouter = router({});
