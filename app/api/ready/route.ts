import { getDb } from '@/server/db';
import { readyResponse } from '@/server/http/ops';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Readiness for load balancers: database writable, Redis (if used) and LiveKit answering. */
export function GET() {
  return readyResponse({ db: getDb });
}
