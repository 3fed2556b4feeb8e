import { cookies } from 'next/headers';
import { adminFromCookies, csvResponse } from '@/server/admin-http';
import { getDb } from '@/server/db';
import { AppError } from '@/server/errors';
import { LOCALE_COOKIE, toLocale } from '@/server/i18n/config';
import { candidatesCsv } from '@/server/services/admin/candidates';

export const dynamic = 'force-dynamic';

/** An exam's candidate list as a CSV download. */
export async function GET(_req: Request, { params }: { params: Promise<{ examId: string }> }) {
  const admin = await adminFromCookies();
  if (admin instanceof Response) return admin;
  const examId = Number((await params).examId);
  if (!Number.isInteger(examId) || examId <= 0) return new Response(null, { status: 404 });
  const locale = toLocale((await cookies()).get(LOCALE_COOKIE)?.value);
  try {
    const { fileName, csv } = candidatesCsv({ db: getDb(), examId, locale });
    return csvResponse(fileName, csv);
  } catch (err) {
    if (err instanceof AppError && err.code === 'NOT_FOUND') return new Response(null, { status: 404 });
    throw err;
  }
}
