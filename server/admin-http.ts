import { cookies } from 'next/headers';
import { notFound } from 'next/navigation';
import { getDb } from './db';
import { AppError } from './errors';
import { examOrThrow } from './services/admin/common';
import { SESSION_COOKIE, userFromSession, type SessionUser } from './services/auth';

/** For the back office's route handlers (downloads): the admin, or the response to send instead. */
export async function adminFromCookies(): Promise<SessionUser | Response> {
  const user = userFromSession({ db: getDb(), token: (await cookies()).get(SESSION_COOKIE)?.value });
  if (!user) return new Response(null, { status: 401 });
  if (user.role !== 'admin') return new Response(null, { status: 403 });
  return user;
}

/** A CSV download (see `toCsv`): whole, or streamed for large exports. */
export function csvResponse(fileName: string, csv: BodyInit): Response {
  return new Response(csv, {
    headers: {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(fileName)}`,
      'cache-control': 'private, no-store',
    },
  });
}

/** For the back office's exam pages: the exam named by the `[examId]` segment, or the 404 page. */
export async function examFromParams(params: Promise<{ examId: string }>) {
  const examId = Number((await params).examId);
  if (!Number.isInteger(examId) || examId <= 0) notFound();
  try {
    return examOrThrow(getDb(), examId);
  } catch (err) {
    if (err instanceof AppError) notFound();
    throw err;
  }
}
