/** Shared input styling of the rooms pages. */
export const field =
  'rounded-md border border-slate-300 bg-white px-3 py-2 text-sm shadow-sm focus:border-blue-500 focus:outline-none focus:ring-1 focus:ring-blue-500 disabled:bg-slate-50';

export type FieldErrors = Record<string, string>;

/** The zod field errors the server words, from a tRPC error. */
export const fieldErrorsOf = (err: unknown): FieldErrors =>
  ((err as { data?: { fieldErrors?: FieldErrors | null } } | null)?.data?.fieldErrors ?? {}) as FieldErrors;
