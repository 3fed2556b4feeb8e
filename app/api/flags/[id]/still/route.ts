import { authFromRequest, isStaff } from '@/server/auth/caller';
import { getDb } from '@/server/db';
import { fileHeaders, idParam } from '@/server/http';
import { flagStill } from '@/server/services/invigilate';

export const dynamic = 'force-dynamic';

export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  const db = getDb();
  const { user } = authFromRequest(req, db);
  if (!user) return new Response(null, { status: 401 });
  const id = idParam((await params).id);
  const still = id && isStaff(user) ? flagStill({ db, caller: user, flagId: id }) : null;
  // The same answer for "missing" and "not yours": the id space is not to be probed.
  if (!still) return new Response(null, { status: 404 });
  return new Response(new Uint8Array(still), { headers: fileHeaders({ contentType: 'image/jpeg', fileName: `flag-${id}.jpg`, inline: true }) });
}
