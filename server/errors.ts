import type { Messages } from './i18n/messages';

/** "a.b.c" for every string leaf of a catalogue. */
type Leaves<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${P}${K}` : Leaves<T[K], `${P}${K}.`>;
}[keyof T & string];

/**
 * Every message an error can carry: a key missing from the catalogue is a type error, so no
 * user ever sees a raw key. (The English catalogue is held to the same keys in messages.ts.)
 */
export type ErrorKey = Leaves<Messages['errors']>;

/**
 * The one error type services throw. `code` picks the HTTP status, `key` names the message in
 * the catalogue (errors.<key>), `params` fill it in.
 */
export type AppErrorCode = 'BAD_REQUEST' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'NOT_FOUND' | 'CONFLICT' | 'TOO_MANY_REQUESTS' | 'PRECONDITION_FAILED';

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    readonly key: ErrorKey,
    readonly params: Record<string, string | number | Date> = {},
  ) {
    super(key);
    this.name = 'AppError';
  }
}
