import { adminFromRequest, csvResponse } from '@/server/admin-http';
import { getDb } from '@/server/db';
import { requestLocale } from '@/server/http';
import { ZAuditFilter } from '@/server/routers/admin/audit';
import { auditExport } from '@/server/services/admin/audit-log';
import { piecesStream } from '@/server/services/admin/exports';

export const dynamic = 'force-dynamic';

/** The audit log as CSV, with the page's filters as query parameters (examId, actorId, action, from, to). */
export async function GET(req: Request) {
  const admin = adminFromRequest(req);
  if (admin instanceof Response) return admin;
  const q = new URL(req.url).searchParams;
  const num = (k: string) => (q.get(k) ? Number(q.get(k)) : undefined);
  const date = (k: string) => (q.get(k) ? new Date(q.get(k)!) : undefined);
  const parsed = ZAuditFilter.safeParse({
    examId: num('examId'),
    actorId: num('actorId'),
    action: q.get('action') || undefined,
    from: date('from'),
    to: date('to'),
  });
  if (!parsed.success) return new Response(null, { status: 400 });
  const locale = requestLocale(req);
  const file = auditExport({ db: getDb(), filter: parsed.data, locale });
  return csvResponse(file.fileName, piecesStream(file.pieces));
}
