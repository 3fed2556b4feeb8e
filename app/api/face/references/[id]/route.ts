import { getDb } from '@/server/db';
import { photoResponse } from '@/server/http/photos';

export const dynamic = 'force-dynamic';

/** A candidate's reference photo, for staff who may see that candidate (access.mayReadCandidatePhoto). */
export async function GET(req: Request, { params }: { params: Promise<{ id: string }> }) {
  return photoResponse({ req, db: getDb(), id: (await params).id });
}
