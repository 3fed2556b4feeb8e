import { readBodyCapped, WEBHOOK_BODY_MAX } from '@/server/auth/request-guards';
import { getDb } from '@/server/db';
import { getBus } from '@/server/events/bus';
import { handleLivekitWebhook } from '@/server/livekit/webhook';
import { observeWebhookDelay } from '@/server/metrics';

export const dynamic = 'force-dynamic';

export async function POST(req: Request) {
  // Capped before the signature check: an unsigned body must not cost unbounded memory.
  const read = await readBodyCapped(req, WEBHOOK_BODY_MAX);
  if (!read.ok) return new Response(null, { status: 413 });
  const { status, stored } = await handleLivekitWebhook({
    db: getDb(),
    bus: getBus(),
    rawBody: new TextDecoder().decode(read.body),
    authorization: req.headers.get('authorization'),
  });
  // Only events the app keeps carry LiveKit's creation time back (occurredAt).
  if (stored) observeWebhookDelay(stored.occurredAt);
  return new Response(null, { status });
}
