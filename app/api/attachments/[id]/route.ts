import { authFromRequest } from '@/server/auth/caller';
import { getDb } from '@/server/db';
import { attachmentResponse } from '@/server/http/attachments';

export const dynamic = 'force-dynamic';

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  const db = getDb();
  const { user } = authFromRequest(req, db);
  return attachmentResponse({ db, caller: user, id: (await params).id, range: req.headers.get('range') });
}
