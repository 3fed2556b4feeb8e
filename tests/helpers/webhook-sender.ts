/**
 * A second app process for tests: opens the database file given, waits for "go" on stdin, then
 * delivers signed LiveKit webhooks through the real handler as fast as it can and prints one
 * JSON line with what happened. Two of these started together hit one SQLite file at the same
 * time, as two app processes behind a load balancer do during a mass drop.
 *
 *   tsx tests/helpers/webhook-sender.ts <db file> <json: { bodies: string[], now: number, rules }>
 */
import { createHash } from 'node:crypto';
import readline from 'node:readline';
import { AccessToken } from 'livekit-server-sdk';
import { openDb } from '@/db/client';
import { env } from '@/server/env';
import { createInProcessBus } from '@/server/events/bus';
import { handleLivekitWebhook } from '@/server/livekit/webhook';
import type { IncidentRules } from '@/server/services/feed-incidents';

/** As LiveKit signs a delivery (and unit-support's signWebhook, which brings the whole router with it). */
async function signWebhook(rawBody: string) {
  const at = new AccessToken(env.LIVEKIT_API_KEY, env.LIVEKIT_API_SECRET);
  at.sha256 = createHash('sha256').update(rawBody).digest('base64');
  return at.toJwt();
}

const [file, spec] = process.argv.slice(2);
const { bodies, now, rules } = JSON.parse(spec!) as { bodies: string[]; now: number; rules: IncidentRules };
const db = openDb(file!);
const bus = createInProcessBus();
let failed = 0;
const logError = console.error;
console.error = (...args: unknown[]) => {
  if (args[0] === 'feed decision failed') failed++;
  logError(...args);
};
const signed = await Promise.all(bodies.map(async (rawBody) => ({ rawBody, authorization: await signWebhook(rawBody) })));
process.stdout.write('ready\n');
await new Promise<void>((resolve) => readline.createInterface({ input: process.stdin }).once('line', () => resolve()));
let stored = 0;
for (const { rawBody, authorization } of signed) {
  const res = await handleLivekitWebhook({ db, bus, rawBody, authorization, rules, now: new Date(now) });
  if (res.stored) stored++;
}
process.stdout.write(`${JSON.stringify({ stored, failed })}\n`);
db.$client.close();
process.exit(0);
