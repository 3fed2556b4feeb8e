import { candidateIdentity } from '@/server/livekit/tokens';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { flags } from '@/db/schema';
import { getBus } from '@/server/events/bus';
import { handleLivekitWebhook } from '@/server/livekit/webhook';
import { rulesFromEnv, sweepFeeds } from '@/server/services/feed-incidents';
import { makeSittingScenario } from '../fixtures/factories';
import { useTestDb } from '../helpers/unit-db';
import { signWebhook, webhookBody, type WebhookBodyOpts } from '../helpers/unit-support';

const fx = useTestDb();

const GRACE_MS = 15_000;
const rules = { ...rulesFromEnv(), graceMs: GRACE_MS };

/**
 * Events are handled at `at` (LiveKit's time of the event, too), and what is due is run by a
 * sweep at a time the test names: no test waits for the grace. The clock runs half an hour
 * ahead, so the process's own timers (due then) never fire during a test.
 */
let at = Date.now() + 30 * 60_000;

async function deliver(o: Omit<WebhookBodyOpts, 'createdAt'>, grace = GRACE_MS) {
  at += 1000;
  const rawBody = webhookBody({ ...o, createdAt: Math.floor(at / 1000) });
  return handleLivekitWebhook({ db: fx.db, bus: getBus(), rawBody, authorization: await signWebhook(rawBody), autoFlagGraceMs: grace, now: new Date(at) });
}

const sweepAfter = (ms: number) => sweepFeeds({ db: fx.db, now: new Date(at + ms), rules });

async function sitting() {
  const { room, candidates } = await makeSittingScenario(fx.db, { candidates: 1 });
  const c = candidates[0]!;
  const identity = candidateIdentity(c.id, 'pc');
  const where = { room: room.livekitRoom, identity };
  await deliver({ event: 'participant_joined', ...where });
  for (const source of ['SCREEN_SHARE', 'CAMERA', 'MICROPHONE']) await deliver({ event: 'track_published', ...where, track: { source } });
  const typesOf = () =>
    fx.db
      .select()
      .from(flags)
      .where(eq(flags.candidateId, c.id))
      .all()
      .map((f) => f.type)
      .sort();
  return { where, typesOf };
}

describe('flags from what LiveKit sees wait out a grace period', () => {
  it('a candidate reloading the exam page (gone and back within the grace) raises no flag', async () => {
    const { where, typesOf } = await sitting();
    for (const source of ['SCREEN_SHARE', 'CAMERA', 'MICROPHONE']) await deliver({ event: 'track_unpublished', ...where, track: { source } });
    await deliver({ event: 'participant_left', ...where });
    await deliver({ event: 'participant_joined', ...where });
    for (const source of ['SCREEN_SHARE', 'CAMERA', 'MICROPHONE']) await deliver({ event: 'track_published', ...where, track: { source } });
    sweepAfter(GRACE_MS * 3);
    expect(typesOf()).toEqual([]);
  });

  it('a candidate who stays gone is flagged once, for leaving, not once per track', async () => {
    const { where, typesOf } = await sitting();
    for (const source of ['SCREEN_SHARE', 'CAMERA', 'MICROPHONE']) await deliver({ event: 'track_unpublished', ...where, track: { source } });
    await deliver({ event: 'participant_left', ...where });
    sweepAfter(GRACE_MS - 1000);
    expect(typesOf()).toEqual([]);
    sweepAfter(GRACE_MS * 3);
    expect(typesOf()).toEqual(['left_room']);
  });

  it('a camera that stays unpublished while the candidate is connected is flagged after the grace', async () => {
    const { where, typesOf } = await sitting();
    await deliver({ event: 'track_unpublished', ...where, track: { source: 'CAMERA' } });
    sweepAfter(GRACE_MS * 3);
    expect(typesOf()).toEqual(['camera_lost']);
  });

  it('the process’s own timer raises the flag when no other event comes', async () => {
    at = Date.now() - 5000;
    const { where, typesOf } = await sitting();
    await deliver({ event: 'participant_left', ...where }, 100);
    expect(typesOf()).toEqual([]);
    await expect.poll(typesOf, { timeout: 10_000 }).toEqual(['left_room']);
  });
});
