import { z } from 'zod';
import { AppError } from '../../errors';
import { listCandidates, setCandidatePassword, setPasswordLogin, unregisterCandidate, updateCandidate } from '../../services/admin/candidates';
import { commitImport, previewImport } from '../../services/admin/import';
import { MAX_IMPORT_BYTES } from '../../services/admin/import-parse';
import { adminProcedure, router } from '../../trpc/init';

const id = z.number().int().positive();

/** Base64 of at most 10 MB (4 characters per 3 bytes, plus padding). */
const BASE64_MAX = Math.ceil(MAX_IMPORT_BYTES / 3) * 4;

export const ZPreviewImportInput = z.object({
  examId: id,
  fileName: z.string().trim().min(1).max(255),
  contentBase64: z
    .string()
    .min(1)
    .max(BASE64_MAX + 4),
});
export type TPreviewImportInput = z.infer<typeof ZPreviewImportInput>;

export const ZCommitImportInput = z.object({ examId: id, importId: id });
export type TCommitImportInput = z.infer<typeof ZCommitImportInput>;

export const ZListCandidatesInput = z.object({
  examId: id,
  q: z.string().trim().max(60).optional(),
  placed: z.enum(['all', 'placed', 'unplaced']).default('all'),
  page: z.number().int().min(1).default(1),
  pageSize: z.number().int().min(1).max(200).default(50),
});
export type TListCandidatesInput = z.infer<typeof ZListCandidatesInput>;

/** Shapes only: the formats (ID check character, phone, e-mail) are the service's, each with its own message. */
export const ZUpdateCandidateInput = z.object({
  candidateId: id,
  examId: id.optional(),
  name: z.string().max(100),
  idNumber: z.string().max(40),
  phone: z.string().max(40).default(''),
  email: z.string().max(254).default(''),
});
export type TUpdateCandidateInput = z.infer<typeof ZUpdateCandidateInput>;

export const ZSetPasswordLoginInput = z.object({ candidateId: id, enabled: z.boolean(), examId: id.optional() });
export type TSetPasswordLoginInput = z.infer<typeof ZSetPasswordLoginInput>;

export const ZSetPasswordInput = z.object({ candidateId: id, examId: id.optional(), password: z.string().max(200).optional() });
export type TSetPasswordInput = z.infer<typeof ZSetPasswordInput>;

export const ZUnregisterInput = z.object({ examId: id, candidateId: id });
export type TUnregisterInput = z.infer<typeof ZUnregisterInput>;

function decodeBase64(s: string) {
  const clean = s.replace(/^data:[^,]*,/, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) throw new AppError('BAD_REQUEST', 'adminCandidates.unreadableFile');
  return Buffer.from(clean, 'base64');
}

export const adminCandidatesRouter = router({
  previewImport: adminProcedure
    .input(ZPreviewImportInput)
    .mutation(({ ctx, input }) =>
      previewImport({ db: ctx.db, examId: input.examId, actorId: ctx.caller.id, fileName: input.fileName, content: decodeBase64(input.contentBase64) }),
    ),
  commitImport: adminProcedure
    .input(ZCommitImportInput)
    .mutation(({ ctx, input }) => commitImport({ db: ctx.db, examId: input.examId, importId: input.importId, actorId: ctx.caller.id })),
  list: adminProcedure.input(ZListCandidatesInput).query(({ ctx, input }) => listCandidates({ db: ctx.db, ...input })),
  update: adminProcedure.input(ZUpdateCandidateInput).mutation(({ ctx, input }) => {
    const { candidateId, examId, ...fields } = input;
    return updateCandidate({ db: ctx.db, actorId: ctx.caller.id, candidateId, examId, fields });
  }),
  setPasswordLogin: adminProcedure
    .input(ZSetPasswordLoginInput)
    .mutation(({ ctx, input }) => setPasswordLogin({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  setPassword: adminProcedure.input(ZSetPasswordInput).mutation(({ ctx, input }) => setCandidatePassword({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  unregister: adminProcedure.input(ZUnregisterInput).mutation(({ ctx, input }) => unregisterCandidate({ db: ctx.db, actorId: ctx.caller.id, ...input })),
});
