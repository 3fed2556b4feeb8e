import { adminFromRequest, csvResponse } from '@/server/admin-http';
import { getDb } from '@/server/db';
import { requestLocale } from '@/server/http';
import { AppError } from '@/server/errors';
import { candidatesCsv } from '@/server/services/admin/candidates';

export const dynamic = 'force-dynamic';

/** An exam's candidate list as a CSV download. */
export async function GET(req: Request, { params }: { params: Promise<{ examId: string }> }) {
  const admin = adminFromRequest(req);
  if (admin instanceof Response) return admin;
  const examId = Number((await params).examId);
  if (!Number.isInteger(examId) || examId <= 0) return new Response(null, { status: 404 });
  const locale = requestLocale(req);
  try {
    const { fileName, csv } = candidatesCsv({ db: getDb(), examId, locale });
    return csvResponse(fileName, csv);
  } catch (err) {
    if (err instanceof AppError && err.code === 'NOT_FOUND') return new Response(null, { status: 404 });
    throw err;
  }
}
