import { getDb } from '@/server/db';
import { metricsResponse } from '@/server/http/ops';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Prometheus metrics: METRICS_TOKEN as a bearer token, or from this machine when none is set. */
export function GET(req: Request) {
  return metricsResponse({ req, db: getDb });
}
