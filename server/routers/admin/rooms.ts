import { router } from '../../trpc/init';

export const adminRoomsRouter = router({});
