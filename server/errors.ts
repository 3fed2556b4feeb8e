/**
 * The one error type services throw. `code` picks the HTTP status, `key` names the message in
 * the catalogue (errors.<key>), `params` fill it in.
 */
export type AppErrorCode =
  | 'BAD_REQUEST'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'TOO_MANY_REQUESTS'
  | 'PRECONDITION_FAILED';

export class AppError extends Error {
  constructor(
    readonly code: AppErrorCode,
    readonly key: string,
    readonly params: Record<string, string | number | Date> = {},
  ) {
    super(key);
    this.name = 'AppError';
  }
}
