import { getDb } from '@/server/db';
import { getBus } from '@/server/events/bus';
import { handleLivekitWebhook } from '@/server/livekit/webhook';

export const dynamic = 'force-dynamic';

export async function POST(req: Request) {
  const { status } = await handleLivekitWebhook({
    db: getDb(),
    bus: getBus(),
    rawBody: await req.text(),
    authorization: req.headers.get('authorization'),
  });
  return new Response(null, { status });
}
