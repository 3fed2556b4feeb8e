import fs from 'node:fs';
import path from 'node:path';
import { ensureSfuBinary } from '@/server/livekit/sfu';
import { E2E, e2eDbPath } from './e2e-env';
import { buildApp, freshDb, startStack, type StackConfig } from './stack';

const config: StackConfig = { ...E2E, dbPath: e2eDbPath };

/**
 * The real stack for the journeys: a production build of the app, a fresh SQLite file and
 * livekit-server on loopback, with webhooks signed and delivered to the app.
 */
export default async function setup() {
  const t0 = Date.now();
  fs.mkdirSync(path.join(E2E.artifacts, 'screenshots'), { recursive: true });
  freshDb(e2eDbPath);
  ensureSfuBinary();
  buildApp(config, { skip: process.env.E2E_SKIP_BUILD === '1' });
  const stack = await startStack(config);
  console.log(`e2e stack up in ${Date.now() - t0} ms: app ${stack.appUrl}, SFU ${stack.sfuUrl}`);
  return stack.stop;
}
