import { cookies } from 'next/headers';
import { getDb } from '@/server/db';
import { attachmentFor } from '@/server/services/attachments';
import { SESSION_COOKIE, userFromSession } from '@/server/services/auth';

export const dynamic = 'force-dynamic';

export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  const db = getDb();
  const user = userFromSession({ db, token: (await cookies()).get(SESSION_COOKIE)?.value });
  if (!user) return new Response(null, { status: 401 });
  const id = Number((await params).id);
  const file = Number.isInteger(id) && id > 0 ? attachmentFor({ db, user, attachmentId: id }) : null;
  // The same answer for "missing" and "not yours": the id space is not to be probed.
  if (!file) return new Response(null, { status: 404 });
  return new Response(new Uint8Array(file.content), {
    headers: {
      'content-type': file.contentType,
      'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(file.fileName)}`,
      'cache-control': 'private, no-store',
    },
  });
}
