import { adminFromRequest, csvResponse } from '@/server/admin-http';
import { getDb } from '@/server/db';
import { requestLocale } from '@/server/http';
import { AppError } from '@/server/errors';
import { examExport, isExportKind, piecesStream } from '@/server/services/admin/exports';

export const dynamic = 'force-dynamic';

/** An exam's timeline, flags, answers or upload ledger as a CSV download, streamed batch by batch. */
export async function GET(req: Request, { params }: { params: Promise<{ examId: string; kind: string }> }) {
  const admin = adminFromRequest(req);
  if (admin instanceof Response) return admin;
  const { examId: rawId, kind } = await params;
  const examId = Number(rawId);
  if (!isExportKind(kind) || !Number.isInteger(examId) || examId <= 0) return new Response(null, { status: 404 });
  const locale = requestLocale(req);
  let file;
  try {
    file = examExport({ db: getDb(), examId, kind, locale });
  } catch (err) {
    if (err instanceof AppError && err.code === 'NOT_FOUND') return new Response(null, { status: 404 });
    throw err;
  }
  // Streamed: a large exam is never held whole in memory.
  return csvResponse(file.fileName, piecesStream(file.pieces));
}
