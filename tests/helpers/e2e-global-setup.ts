import fs from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { ensureSfuBinary } from '@/server/livekit/sfu';
import { ensureClips } from '../sim/clips';
import { ensureSimBinary } from '../sim/fleet';
import { createSimNet, type SimNet } from '../sim/netns';
import { E2E, e2eDbPath } from './e2e-env';
import { buildApp, freshDb, startStack, type StackConfig } from './stack';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The simulator's network namespace (see tests/sim/netns.ts), or null without root. */
    simNet: Omit<SimNet, 'remove' | 'blackout' | 'setLink'> | null;
  }
}

/**
 * The real stack for the journeys: a production build of the app, a fresh SQLite file and
 * livekit-server on loopback, with webhooks signed and delivered to the app.
 */
export default async function setup(project: TestProject) {
  const t0 = Date.now();
  fs.mkdirSync(path.join(E2E.artifacts, 'screenshots'), { recursive: true });
  freshDb(e2eDbPath);
  ensureSfuBinary();
  ensureSimBinary();
  ensureClips();
  buildApp({ ...E2E, dbPath: e2eDbPath }, { skip: process.env.E2E_SKIP_BUILD === '1' });
  // The simulator's candidates reach the SFU through a namespace of their own (root only: CI is).
  const net = process.getuid?.() === 0 ? createSimNet() : null;
  const config: StackConfig = { ...E2E, dbPath: e2eDbPath, sfuExtraAddresses: net ? [net.hostAddress] : [] };
  const stack = await startStack(config).catch((err: unknown) => {
    net?.remove();
    throw err;
  });
  project.provide(
    'simNet',
    net && { name: net.name, hostAddress: net.hostAddress, fleetAddress: net.fleetAddress, hostInterface: net.hostInterface, nsInterface: net.nsInterface },
  );
  console.log(`e2e stack up in ${Date.now() - t0} ms: app ${stack.appUrl}, SFU ${stack.sfuUrl}${net ? `, simulator network ${net.name}` : ''}`);
  return async () => {
    await stack.stop();
    net?.remove();
  };
}
