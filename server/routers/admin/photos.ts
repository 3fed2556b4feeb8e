import { z } from 'zod';
import { referenceStatus, removeReferencePhoto } from '../../services/face-references';
import { commitPhotoPackage } from '../../services/photo-package';

/** What the package route streams back, for the page that reads it. */
export type { PhotoPackagePreview } from '../../services/photo-package';
import { adminProcedure, router } from '../../trpc/init';

/**
 * Reference photos in the back office. The bytes themselves travel through route handlers
 * (app/api/admin/photo-packages, app/api/admin/candidates/[id]/photo): a package can be
 * hundreds of MB, more than a tRPC body should carry as base64.
 */

const id = z.number().int().positive();

export const ZPhotoStatusInput = z.object({ candidateId: id });
export type TPhotoStatusInput = z.infer<typeof ZPhotoStatusInput>;

export const ZRemovePhotoInput = z.object({ candidateId: id, examId: id.optional() });
export type TRemovePhotoInput = z.infer<typeof ZRemovePhotoInput>;

export const ZCommitPackageInput = z.object({ importId: id });
export type TCommitPackageInput = z.infer<typeof ZCommitPackageInput>;

export const adminPhotosRouter = router({
  status: adminProcedure.input(ZPhotoStatusInput).query(({ ctx, input }) => referenceStatus({ db: ctx.db, ...input })),
  remove: adminProcedure.input(ZRemovePhotoInput).mutation(({ ctx, input }) => removeReferencePhoto({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  commitPackage: adminProcedure.input(ZCommitPackageInput).mutation(({ ctx, input }) => commitPhotoPackage({ db: ctx.db, actorId: ctx.caller.id, ...input })),
});
