import { candidateIdentity } from '@/server/livekit/tokens';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { flags } from '@/db/schema';
import { getBus } from '@/server/events/bus';
import { handleLivekitWebhook } from '@/server/livekit/webhook';
import { makeSittingScenario } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { signWebhook, webhookBody, type WebhookBodyOpts } from '../helpers/unit-support';

const fx = useTestDb();

const GRACE_MS = 150;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));
let clock = 1_900_000_000;

async function deliver(o: Omit<WebhookBodyOpts, 'createdAt'>) {
  const rawBody = webhookBody({ ...o, createdAt: ++clock });
  return handleLivekitWebhook({ db: fx.db, bus: getBus(), rawBody, authorization: await signWebhook(rawBody), autoFlagGraceMs: GRACE_MS });
}

async function sitting() {
  const { room, candidates } = await makeSittingScenario(fx.db, { candidates: 1 });
  const c = candidates[0]!;
  const identity = candidateIdentity(c.id, 'pc');
  const at = { room: room.livekitRoom, identity };
  await deliver({ event: 'participant_joined', ...at });
  for (const source of ['SCREEN_SHARE', 'CAMERA', 'MICROPHONE']) await deliver({ event: 'track_published', ...at, track: { source } });
  const typesOf = () =>
    fx.db
      .select()
      .from(flags)
      .where(eq(flags.candidateId, c.id))
      .all()
      .map((f) => f.type)
      .sort();
  return { at, typesOf };
}

describe('flags from what LiveKit sees wait out a grace period', () => {
  it('a candidate reloading the exam page (gone and back within the grace) raises no flag', async () => {
    const { at, typesOf } = await sitting();
    for (const source of ['SCREEN_SHARE', 'CAMERA', 'MICROPHONE']) await deliver({ event: 'track_unpublished', ...at, track: { source } });
    await deliver({ event: 'participant_left', ...at });
    await deliver({ event: 'participant_joined', ...at });
    for (const source of ['SCREEN_SHARE', 'CAMERA', 'MICROPHONE']) await deliver({ event: 'track_published', ...at, track: { source } });
    await wait(GRACE_MS * 3);
    expect(typesOf()).toEqual([]);
  });

  it('a candidate who stays gone is flagged once, for leaving, not once per track', async () => {
    const { at, typesOf } = await sitting();
    for (const source of ['SCREEN_SHARE', 'CAMERA', 'MICROPHONE']) await deliver({ event: 'track_unpublished', ...at, track: { source } });
    await deliver({ event: 'participant_left', ...at });
    expect(typesOf()).toEqual([]);
    await wait(GRACE_MS * 3);
    expect(typesOf()).toEqual(['left_room']);
  });

  it('a camera that stays unpublished while the candidate is connected is flagged after the grace', async () => {
    const { at, typesOf } = await sitting();
    await deliver({ event: 'track_unpublished', ...at, track: { source: 'CAMERA' } });
    await wait(GRACE_MS * 3);
    expect(typesOf()).toEqual(['camera_lost']);
  });
});
