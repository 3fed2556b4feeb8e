import { z } from 'zod';
import { RECORDING_TRACKS } from '@/db/schema';
import { AppError } from '../errors';
import { candidateLedger, finishRecording, myRecordings, roomBacklog, startRecording } from '../services/recordings';
import { phoneCaller } from '../auth/caller';
import { recordersOf } from '../services/access';
import { publicProcedure, router, staffProcedure } from '../trpc/init';

const id = z.number().int().positive();

export const ZStartRecordingInput = z.object({
  examId: id,
  track: z.enum(RECORDING_TRACKS),
  clientKey: z.uuid(),
  /** What MediaRecorder reports; the service keeps it only if it is one of the recording media types. */
  mimeType: z
    .string()
    .trim()
    .max(200)
    .regex(/^[ -~]+$/),
  startedAt: z.coerce.date(),
});
export type TStartRecordingInput = z.infer<typeof ZStartRecordingInput>;

export const ZFinishRecordingInput = z.object({
  recordingId: id,
  /** Bounded again by the service, by what the candidate's exam can hold. */
  chunks: z.number().int().min(0).max(10_000_000),
  endedAt: z.coerce.date(),
});
export type TFinishRecordingInput = z.infer<typeof ZFinishRecordingInput>;

export const ZLedgerInput = z.object({ examId: id, candidateId: id });
export const ZRoomBacklogInput = z.object({ roomId: id });

/**
 * The candidate's PC (their login session) or their bound phone (its device cookie). Which
 * tracks each may record is checked per recording: screen/camera from the PC, witness from the phone.
 */
const recorderProcedure = publicProcedure.use(({ ctx, next }) => {
  const recorders = recordersOf([ctx.caller, phoneCaller(ctx.phone)]);
  if (!recorders.length) throw new AppError('UNAUTHORIZED', 'auth.required');
  return next({ ctx: { ...ctx, recorders } });
});

export const recordingsRouter = router({
  start: recorderProcedure.input(ZStartRecordingInput).mutation(({ ctx, input }) => startRecording({ db: ctx.db, recorders: ctx.recorders, ...input })),
  finish: recorderProcedure.input(ZFinishRecordingInput).mutation(({ ctx, input }) => finishRecording({ db: ctx.db, recorders: ctx.recorders, ...input })),
  mine: recorderProcedure
    .input(z.object({ examId: id.optional() }).optional())
    .query(({ ctx, input }) => myRecordings({ db: ctx.db, recorders: ctx.recorders, examId: input?.examId })),
  ledger: staffProcedure('invigilator')
    .input(ZLedgerInput)
    .query(({ ctx, input }) => candidateLedger({ db: ctx.db, caller: ctx.caller, ...input })),
  roomBacklog: staffProcedure('invigilator')
    .input(ZRoomBacklogInput)
    .query(({ ctx, input }) => roomBacklog({ db: ctx.db, caller: ctx.caller, ...input })),
});
