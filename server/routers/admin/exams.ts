import { router } from '../../trpc/init';

export const adminExamsRouter = router({});
