import { cookies } from 'next/headers';
import { getDb } from '@/server/db';
import { SESSION_COOKIE, userFromSession } from '@/server/services/auth';
import { flagStill } from '@/server/services/invigilate';

export const dynamic = 'force-dynamic';

export async function GET(_req: Request, { params }: { params: Promise<{ id: string }> }) {
  const db = getDb();
  const user = userFromSession({ db, token: (await cookies()).get(SESSION_COOKIE)?.value });
  if (!user) return new Response(null, { status: 401 });
  const id = Number((await params).id);
  const still = Number.isInteger(id) && id > 0 ? flagStill({ db, userId: user.id, role: user.role, flagId: id }) : null;
  // The same answer for "missing" and "not yours": the id space is not to be probed.
  if (!still) return new Response(null, { status: 404 });
  return new Response(new Uint8Array(still), {
    headers: { 'content-type': 'image/jpeg', 'cache-control': 'private, no-store', 'x-content-type-options': 'nosniff' },
  });
}
