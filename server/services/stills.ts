import { AppError } from '../errors';

/** The largest still kept as evidence on a flag, from an invigilator's view or the candidate's own camera. */
export const STILL_MAX_BYTES = 400 * 1024;

/** A `data:image/jpeg;base64,…` URL as JPEG bytes, or a clear refusal. */
export function decodeStill(dataUrl: string): Buffer {
  const base64 = dataUrl.slice(dataUrl.indexOf(',') + 1);
  // Checked on the encoded length first: nothing oversized is decoded.
  if (Math.floor((base64.length * 3) / 4) - 2 > STILL_MAX_BYTES) throw new AppError('BAD_REQUEST', 'flags.stillTooLarge', { maxKb: STILL_MAX_BYTES / 1024 });
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length > STILL_MAX_BYTES) throw new AppError('BAD_REQUEST', 'flags.stillTooLarge', { maxKb: STILL_MAX_BYTES / 1024 });
  if (bytes.length < 3 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff) throw new AppError('BAD_REQUEST', 'flags.stillInvalid');
  return bytes;
}
