import path from 'node:path';
import { DEMO_HOTLINE } from '../../db/seed-data.ts';
import { FACE_MODELS_EVALUATION } from '../../server/face/human-config.ts';

/**
 * The e2e stack runs on its own ports and database, so it never collides with `npm run dev`
 * or `npm run demo` on the same machine.
 */
export const E2E = {
  appPort: 3197,
  sfuPort: 7980,
  sfuTcpPort: 7981,
  sfuUdpPort: 7982,
  apiKey: 'e2e-key',
  apiSecret: 'e2e-secret-0123456789abcdef0123456789abcdef',
  artifacts: path.join(import.meta.dirname, '..', '.artifacts'),
} as const;

export const e2eAppUrl = `http://127.0.0.1:${E2E.appPort}`;
export const e2eDbPath = path.join(E2E.artifacts, 'e2e.db');
export const e2eSfuUrl = `ws://127.0.0.1:${E2E.sfuPort}`;

/** The environment the app under test runs with, and the test workers import server code with. */
export const e2eProcessEnv = {
  DATABASE_PATH: e2eDbPath,
  APP_PORT: String(E2E.appPort),
  SFU_PORT: String(E2E.sfuPort),
  SFU_TCP_PORT: String(E2E.sfuTcpPort),
  SFU_UDP_PORT: String(E2E.sfuUdpPort),
  LIVEKIT_API_KEY: E2E.apiKey,
  LIVEKIT_API_SECRET: E2E.apiSecret,
  NEXT_TELEMETRY_DISABLED: '1',
  FACE_MODELS: FACE_MODELS_EVALUATION,
  ...DEMO_HOTLINE,
} as const;
