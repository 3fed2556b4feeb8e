import { authFromRequest } from '@/server/auth/caller';
import { getDb } from '@/server/db';
import { fileHeaders, idParam } from '@/server/http';
import { attachmentFor } from '@/server/services/attachments';

export const dynamic = 'force-dynamic';

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  const db = getDb();
  const { user } = authFromRequest(req, db);
  if (!user) return new Response(null, { status: 401 });
  const id = idParam((await params).id);
  const file = id ? attachmentFor({ db, caller: user, attachmentId: id }) : null;
  // The same answer for "missing" and "not yours": the id space is not to be probed.
  if (!file) return new Response(null, { status: 404 });
  // Sheet images are shown inline in the paper; notice files are downloads.
  const inline = file.purpose === 'sheet';
  return new Response(new Uint8Array(file.content), { headers: fileHeaders({ contentType: file.contentType, fileName: file.fileName, inline }) });
}
