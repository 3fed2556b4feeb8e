import { z } from 'zod';
import { ATTACHMENT_PURPOSES, EXAM_KINDS, QUESTION_KINDS } from '@/db/schema';
import {
  addExamPreset,
  archiveExam,
  createExam,
  deleteAttachment,
  deleteExam,
  examById,
  examPresets,
  listAttachments,
  listExams,
  removeExamPreset,
  unarchiveExam,
  updateExam,
  uploadAttachment,
} from '../../services/admin/exams';
import { examInstructions, INSTRUCTIONS_CAPTION_MAX, removeInstructions, setInstructionsCaption, uploadInstructions } from '../../services/admin/instructions';
import { createSheet, deleteSheet, listSheets, moveSheet, updateSheet } from '../../services/admin/sheets';
import { adminProcedure, router } from '../../trpc/init';
import { ZAddPresetInput } from '../invigilate';

const id = z.number().int().positive();
const text = (max: number) => z.string().trim().min(1).max(max);

export const ZExamIdInput = z.object({ examId: id });
export type TExamIdInput = z.infer<typeof ZExamIdInput>;

export const ZListExamsInput = z.object({ includeArchived: z.boolean().default(false) }).default({ includeArchived: false });
export type TListExamsInput = z.infer<typeof ZListExamsInput>;

/**
 * The exam's fields. Shapes only: ranges and the order of the times are the service's, each
 * with its own message (the seed calls the service directly and gets the same checks).
 */
const examFields = {
  title: text(200),
  kind: z.enum(EXAM_KINDS),
  entryOpensAt: z.date(),
  entryClosesAt: z.date(),
  startsAt: z.date(),
  durationMinutes: z.number().int(),
  notice: z.string().trim().max(20_000),
  retentionDays: z.number().int(),
  deviceCheckRequired: z.boolean(),
  phoneWitnessRequired: z.boolean(),
  cameraRecheckOnReturn: z.boolean(),
};

export const ZCreateExamInput = z.object({
  ...examFields,
  notice: examFields.notice.optional(),
  retentionDays: examFields.retentionDays.optional(),
  deviceCheckRequired: examFields.deviceCheckRequired.optional(),
  phoneWitnessRequired: examFields.phoneWitnessRequired.optional(),
  cameraRecheckOnReturn: examFields.cameraRecheckOnReturn.optional(),
});
export type TCreateExamInput = z.infer<typeof ZCreateExamInput>;

export const ZUpdateExamInput = z.object(examFields).partial().extend({ examId: id });
export type TUpdateExamInput = z.infer<typeof ZUpdateExamInput>;

const ZQuestion = z.object({
  id: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]{1,40}$/),
  kind: z.enum(QUESTION_KINDS),
  prompt: text(5000),
  options: z.array(z.string().trim().max(500)).max(26).optional(),
  points: z.number().min(0).max(1000).optional(),
  answer: z.union([z.string().trim().max(500), z.array(z.string().trim().max(500)).max(26)]).optional(),
});

const sheetFields = { title: text(200), body: z.string().max(50_000), questions: z.array(ZQuestion).max(500) };

export const ZCreateSheetInput = z.object({ examId: id, ...sheetFields });
export type TCreateSheetInput = z.infer<typeof ZCreateSheetInput>;

export const ZUpdateSheetInput = ZCreateSheetInput.extend({ sheetId: id });
export type TUpdateSheetInput = z.infer<typeof ZUpdateSheetInput>;

export const ZSheetInput = z.object({ examId: id, sheetId: id });
export type TSheetInput = z.infer<typeof ZSheetInput>;

export const ZMoveSheetInput = ZSheetInput.extend({ direction: z.enum(['up', 'down']) });
export type TMoveSheetInput = z.infer<typeof ZMoveSheetInput>;

export const ZListAttachmentsInput = ZExamIdInput.extend({ purpose: z.enum(ATTACHMENT_PURPOSES).optional() });
export type TListAttachmentsInput = z.infer<typeof ZListAttachmentsInput>;

/** base64 of at most `mb` MB (the service refuses a larger decoded file with its own message). */
const base64Of = (mb: number) =>
  z
    .string()
    .max(Math.ceil((mb * 1024 * 1024 * 4) / 3) + 4)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/);

/** Notice files and sheet images; the spoken instructions have their own procedures (one per exam). */
export const ZUploadAttachmentInput = ZExamIdInput.extend({
  fileName: text(255),
  purpose: z.enum(ATTACHMENT_PURPOSES.filter((p) => p !== 'instructions') as ['notice', 'sheet']),
  contentBase64: base64Of(10),
});
export type TUploadAttachmentInput = z.infer<typeof ZUploadAttachmentInput>;

export const ZAttachmentInput = ZExamIdInput.extend({ attachmentId: id });
export type TAttachmentInput = z.infer<typeof ZAttachmentInput>;

export const ZUploadInstructionsInput = ZExamIdInput.extend({ fileName: text(255), contentBase64: base64Of(20) });
export type TUploadInstructionsInput = z.infer<typeof ZUploadInstructionsInput>;

export const ZInstructionsCaptionInput = ZExamIdInput.extend({ caption: z.string().trim().max(INSTRUCTIONS_CAPTION_MAX) });
export type TInstructionsCaptionInput = z.infer<typeof ZInstructionsCaptionInput>;

export const ZRemovePresetInput = ZExamIdInput.extend({ presetId: id });
export type TRemovePresetInput = z.infer<typeof ZRemovePresetInput>;

const sheetsRouter = router({
  list: adminProcedure.input(ZExamIdInput).query(({ ctx, input }) => listSheets({ db: ctx.db, ...input })),
  create: adminProcedure.input(ZCreateSheetInput).mutation(({ ctx, input }) => createSheet({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  update: adminProcedure.input(ZUpdateSheetInput).mutation(({ ctx, input }) => updateSheet({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  delete: adminProcedure.input(ZSheetInput).mutation(({ ctx, input }) => deleteSheet({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  move: adminProcedure.input(ZMoveSheetInput).mutation(({ ctx, input }) => moveSheet({ db: ctx.db, actorId: ctx.caller.id, ...input })),
});

const attachmentsRouter = router({
  list: adminProcedure.input(ZListAttachmentsInput).query(({ ctx, input }) => listAttachments({ db: ctx.db, ...input })),
  upload: adminProcedure.input(ZUploadAttachmentInput).mutation(({ ctx, input }) => uploadAttachment({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  delete: adminProcedure.input(ZAttachmentInput).mutation(({ ctx, input }) => deleteAttachment({ db: ctx.db, actorId: ctx.caller.id, ...input })),
});

const instructionsRouter = router({
  get: adminProcedure.input(ZExamIdInput).query(({ ctx, input }) => examInstructions({ db: ctx.db, ...input })),
  upload: adminProcedure.input(ZUploadInstructionsInput).mutation(({ ctx, input }) => uploadInstructions({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  remove: adminProcedure.input(ZExamIdInput).mutation(({ ctx, input }) => removeInstructions({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  setCaption: adminProcedure
    .input(ZInstructionsCaptionInput)
    .mutation(({ ctx, input }) => setInstructionsCaption({ db: ctx.db, actorId: ctx.caller.id, ...input })),
});

const presetsRouter = router({
  list: adminProcedure.input(ZExamIdInput).query(({ ctx, input }) => examPresets({ db: ctx.db, caller: ctx.caller, ...input })),
  add: adminProcedure.input(ZAddPresetInput).mutation(({ ctx, input }) => addExamPreset({ db: ctx.db, caller: ctx.caller, ...input })),
  remove: adminProcedure.input(ZRemovePresetInput).mutation(({ ctx, input }) => removeExamPreset({ db: ctx.db, caller: ctx.caller, ...input })),
});

export const adminExamsRouter = router({
  list: adminProcedure.input(ZListExamsInput).query(({ ctx, input }) => listExams({ db: ctx.db, ...input })),
  byId: adminProcedure.input(ZExamIdInput).query(({ ctx, input }) => examById({ db: ctx.db, ...input })),
  create: adminProcedure.input(ZCreateExamInput).mutation(({ ctx, input }) => createExam({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  update: adminProcedure.input(ZUpdateExamInput).mutation(({ ctx, input }) => updateExam({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  archive: adminProcedure.input(ZExamIdInput).mutation(({ ctx, input }) => archiveExam({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  unarchive: adminProcedure.input(ZExamIdInput).mutation(({ ctx, input }) => unarchiveExam({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  delete: adminProcedure.input(ZExamIdInput).mutation(({ ctx, input }) => deleteExam({ db: ctx.db, actorId: ctx.caller.id, ...input })),
  sheets: sheetsRouter,
  attachments: attachmentsRouter,
  instructions: instructionsRouter,
  presets: presetsRouter,
});
