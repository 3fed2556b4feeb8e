import path from 'node:path';
import { defineConfig } from 'vitest/config';
import { e2eProcessEnv } from './tests/helpers/e2e-env.ts';

// `server-only` throws outside Next's server build; tests import server modules directly.
const alias = { '@': import.meta.dirname, 'server-only': path.join(import.meta.dirname, 'tests/helpers/server-only.ts') };

export default defineConfig({
  resolve: { alias },
  test: {
    projects: [
      {
        resolve: { alias },
        test: {
          name: 'unit',
          include: ['tests/unit/**/*.test.ts'],
          environment: 'node',
          setupFiles: [path.join(import.meta.dirname, 'tests/helpers/unit-setup.ts')],
        },
      },
      {
        resolve: { alias },
        test: {
          name: 'e2e',
          include: ['tests/e2e/**/*.test.ts'],
          environment: 'node',
          env: { ...e2eProcessEnv },
          globalSetup: [path.join(import.meta.dirname, 'tests/helpers/e2e-global-setup.ts')],
          // One browser and one SFU are shared; journeys run one file at a time.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
