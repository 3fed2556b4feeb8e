import { getDb } from '@/server/db';
import { getBus } from '@/server/events/bus';
import { liveResponse } from '@/server/http/live';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** The tab's one live connection: every topic its page follows, as server-sent events. */
export function GET(req: Request) {
  return liveResponse({ req, db: getDb(), bus: getBus() });
}
