import { authFromRequest, isStaff } from '@/server/auth/caller';
import { getDb } from '@/server/db';
import { fileHeaders, idParam } from '@/server/http';
import { attemptFrame } from '@/server/services/face-login';

export const dynamic = 'force-dynamic';

/** A frame of a face login attempt, for the staff who may check that candidate's identity. */
export async function GET(req: Request, { params }: { params: Promise<{ id: string; idx: string }> }) {
  const db = getDb();
  const { user } = authFromRequest(req, db);
  if (!user) return new Response(null, { status: 401 });
  const p = await params;
  const id = idParam(p.id);
  const idx = /^[0-9]$/.test(p.idx) ? Number(p.idx) : null;
  const jpeg = id && idx != null && isStaff(user) ? attemptFrame({ db, caller: user, attemptId: id, idx }) : null;
  // The same answer for "missing" and "not yours": the id space is not to be probed.
  if (!jpeg) return new Response(null, { status: 404 });
  return new Response(new Uint8Array(jpeg), { headers: fileHeaders({ contentType: 'image/jpeg', fileName: `face-attempt-${id}-${idx}.jpg`, inline: true }) });
}
