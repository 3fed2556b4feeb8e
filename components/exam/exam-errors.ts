import type { FailureKind } from './answers-queue';

type MaybeTrpcError = { data?: { appCode?: string | null; httpStatus?: number } | null };

/** The catalogue key of a server refusal (`exam.notStarted`), or null. */
export const appCodeOf = (err: unknown): string | null => (err as MaybeTrpcError | null)?.data?.appCode ?? null;

/**
 * How a failed request should be treated: a request that never got an answer (no `data`) is the
 * network, a 5xx may pass, anything else the server refused on purpose.
 */
export function failureKind(err: unknown): FailureKind {
  const data = (err as MaybeTrpcError | null)?.data;
  if (!data) return 'offline';
  if ((data.httpStatus ?? 500) >= 500) return 'retry';
  return 'fatal';
}
