import { healthResponse } from '@/server/http/ops';

export const dynamic = 'force-dynamic';
export const runtime = 'nodejs';

/** Liveness for load balancers: the process answers. No login, no database. */
export function GET() {
  return healthResponse();
}
