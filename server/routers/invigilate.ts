import { z } from 'zod';
import { FLAG_STATUSES } from '@/db/schema';
import {
  addPreset,
  addTime,
  candidateTimeline,
  chiefOverview,
  createFlag,
  endExam,
  listFlags,
  listPresets,
  markViewed,
  myChiefExams,
  removePreset,
  resolveFlag,
  roomState,
  sendMessage,
} from '../services/invigilate';
import { mediaServerStatus } from '../services/health';
import { declineIncidentTime, grantIncidentTime } from '../services/feed-incidents';
import { router, staffProcedure } from '../trpc/init';

const invigilatorProcedure = staffProcedure('invigilator');

const id = z.number().int().positive();
/** Free text from staff: surrounding blanks dropped, so "   " is empty and refused. */
const text = (max: number) => z.string().trim().min(1).max(max);

export const ZRoomInput = z.object({ roomId: id });
export type TRoomInput = z.infer<typeof ZRoomInput>;

export const ZCandidateInput = ZRoomInput.extend({ candidateId: id });
export type TCandidateInput = z.infer<typeof ZCandidateInput>;

export const ZTimelineInput = ZCandidateInput.extend({ limit: z.number().int().min(1).max(500).optional() });
export type TTimelineInput = z.infer<typeof ZTimelineInput>;

export const ZFlagsInput = ZRoomInput.extend({ status: z.enum(FLAG_STATUSES).optional() });
export type TFlagsInput = z.infer<typeof ZFlagsInput>;

/**
 * A JPEG as a data URL. The length cap only bounds what is parsed; the service refuses a
 * decoded image above 400 kB with its own message.
 */
export const ZStill = z
  .string()
  .max(2_000_000)
  .regex(/^data:image\/jpeg;base64,[A-Za-z0-9+/]+={0,2}$/);

export const ZCreateFlagInput = ZCandidateInput.extend({ note: text(500), still: ZStill.optional() });
export type TCreateFlagInput = z.infer<typeof ZCreateFlagInput>;

export const ZResolveFlagInput = z.object({
  flagId: id,
  resolution: z.enum(['confirmed', 'dismissed']),
  note: text(500).optional(),
});
export type TResolveFlagInput = z.infer<typeof ZResolveFlagInput>;

export const ZExamInput = z.object({ examId: id });
export type TExamInput = z.infer<typeof ZExamInput>;

export const ZAddPresetInput = ZExamInput.extend({ text: text(300) });
export type TAddPresetInput = z.infer<typeof ZAddPresetInput>;

export const ZRemovePresetInput = z.object({ presetId: id });
export type TRemovePresetInput = z.infer<typeof ZRemovePresetInput>;

export const ZSendMessageInput = ZRoomInput.extend({ candidateId: id.optional(), text: text(1000) });
export type TSendMessageInput = z.infer<typeof ZSendMessageInput>;

export const ZAddTimeInput = ZCandidateInput.extend({ minutes: z.number().int().min(1).max(120), reason: text(300) });
export type TAddTimeInput = z.infer<typeof ZAddTimeInput>;

export const ZEndExamInput = ZCandidateInput.extend({ reason: text(300) });
export type TEndExamInput = z.infer<typeof ZEndExamInput>;

export const ZMarkViewedInput = ZRoomInput.extend({ candidateIds: z.array(id).min(1).max(40) });
export type TMarkViewedInput = z.infer<typeof ZMarkViewedInput>;

export const ZIncidentInput = z.object({ incidentId: id });
export type TIncidentInput = z.infer<typeof ZIncidentInput>;

export const ZGrantIncidentTimeInput = ZIncidentInput.extend({ minutes: z.number().int().min(1).max(120) });
export type TGrantIncidentTimeInput = z.infer<typeof ZGrantIncidentTimeInput>;

/**
 * The invigilator console. Who may call: invigilators and admins (the builder); which rooms,
 * candidates and flags: the services (assigned room, chief of the exam, or admin).
 */
export const invigilateRouter = router({
  roomState: invigilatorProcedure.input(ZRoomInput).query(({ ctx, input }) => roomState({ db: ctx.db, caller: ctx.caller, ...input })),

  timeline: invigilatorProcedure.input(ZTimelineInput).query(({ ctx, input }) => candidateTimeline({ db: ctx.db, caller: ctx.caller, ...input })),

  flags: invigilatorProcedure.input(ZFlagsInput).query(({ ctx, input }) => listFlags({ db: ctx.db, caller: ctx.caller, ...input })),

  createFlag: invigilatorProcedure.input(ZCreateFlagInput).mutation(({ ctx, input }) => createFlag({ db: ctx.db, caller: ctx.caller, ...input })),

  resolveFlag: invigilatorProcedure.input(ZResolveFlagInput).mutation(({ ctx, input }) => resolveFlag({ db: ctx.db, caller: ctx.caller, ...input })),

  presets: invigilatorProcedure.input(ZExamInput).query(({ ctx, input }) => listPresets({ db: ctx.db, caller: ctx.caller, ...input })),

  addPreset: invigilatorProcedure.input(ZAddPresetInput).mutation(({ ctx, input }) => addPreset({ db: ctx.db, caller: ctx.caller, ...input })),

  removePreset: invigilatorProcedure.input(ZRemovePresetInput).mutation(({ ctx, input }) => removePreset({ db: ctx.db, caller: ctx.caller, ...input })),

  sendMessage: invigilatorProcedure.input(ZSendMessageInput).mutation(({ ctx, input }) => sendMessage({ db: ctx.db, caller: ctx.caller, ...input })),

  addTime: invigilatorProcedure.input(ZAddTimeInput).mutation(({ ctx, input }) => addTime({ db: ctx.db, caller: ctx.caller, ...input })),

  endExam: invigilatorProcedure.input(ZEndExamInput).mutation(({ ctx, input }) => endExam({ db: ctx.db, caller: ctx.caller, ...input })),

  markViewed: invigilatorProcedure.input(ZMarkViewedInput).mutation(({ ctx, input }) => markViewed({ db: ctx.db, caller: ctx.caller, ...input })),

  grantIncidentTime: invigilatorProcedure
    .input(ZGrantIncidentTimeInput)
    .mutation(({ ctx, input }) => grantIncidentTime({ db: ctx.db, caller: ctx.caller, ...input })),

  declineIncidentTime: invigilatorProcedure
    .input(ZIncidentInput)
    .mutation(({ ctx, input }) => declineIncidentTime({ db: ctx.db, caller: ctx.caller, ...input })),

  chiefOverview: invigilatorProcedure.input(ZExamInput).query(({ ctx, input }) => chiefOverview({ db: ctx.db, caller: ctx.caller, ...input })),

  myChiefExams: invigilatorProcedure.query(({ ctx }) => myChiefExams({ db: ctx.db, caller: ctx.caller })),

  /** Whether the media server answers this app (cached for a few seconds server-side), for the console's banner. */
  mediaServer: invigilatorProcedure.query(() => mediaServerStatus()),
});
