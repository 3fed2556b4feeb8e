import 'server-only';
import { notFound } from 'next/navigation';
import type { Db } from '@/db/client';
import { authFromRequest, type UserCaller } from './auth/caller';
import { getDb } from './db';
import { fileHeaders } from './http';
import { AppError } from './errors';
import { examOrThrow } from './services/admin/common';

/** For the back office's route handlers (downloads): the admin, or the response to send instead. */
export function adminFromRequest(req: Request, db?: Db): UserCaller | Response {
  const { user } = authFromRequest(req, db);
  if (!user) return new Response(null, { status: 401 });
  if (user.role !== 'admin') return new Response(null, { status: 403 });
  return user;
}

/** A CSV download (see `toCsv`): whole, or streamed for large exports. */
export function csvResponse(fileName: string, csv: BodyInit): Response {
  return new Response(csv, { headers: fileHeaders({ contentType: 'text/csv; charset=utf-8', fileName }) });
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
