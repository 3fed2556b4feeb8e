// Guardrails for the layering (see SECURITY.md and the house style): the browser bundle never
// imports server code, HTTP stays out of services, and only server/ and db/ reach the database.
import tseslint from 'typescript-eslint';

const serverCode = {
  // Except the live stream's protocol (topic names, header, limits), which both ends share and which imports only types itself.
  // And the face models' configuration, which the server's worker and the candidate's page share,
  // and the face signals' names and ranking, which the page raises and the server folds.
  group: [
    '@/server/**',
    '!@/server/live/',
    '@/server/live/**',
    '!@/server/live/types',
    '!@/server/face/',
    '@/server/face/**',
    '!@/server/face/human-config',
    '!@/server/face/signals',
    '!@/server/face/similarity',
    // Pure rules both sides apply: the natural order of room names, the help desk's first-response SLA.
    '!@/server/natural-order',
    '!@/server/help-sla',
    '../server/*',
    '../../server/*',
  ],
  allowTypeImports: true,
  message: 'Components run in the browser: import only types from server/.',
};
const dbCode = {
  group: ['@/db/client', '@/db/migrate*', '@/db/seed*', 'better-sqlite3', 'drizzle-orm', 'drizzle-orm/*'],
  allowTypeImports: true,
  message: 'Only server/ and db/ touch the database.',
};

export default tseslint.config(
  { ignores: ['.next/**', 'node_modules/**', 'tests/.artifacts/**', 'tests/.scratch/**', '.data/**', '.livekit/**', 'next-env.d.ts'] },
  {
    files: ['**/*.{ts,tsx,mts,mjs}'],
    languageOptions: { parser: tseslint.parser },
    plugins: { '@typescript-eslint': tseslint.plugin },
  },
  {
    files: ['components/**/*.{ts,tsx}'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [serverCode, dbCode] }] },
  },
  {
    // Pages and route handlers: caller -> service -> response; no queries of their own.
    files: ['app/**/*.{ts,tsx}'],
    rules: { '@typescript-eslint/no-restricted-imports': ['error', { patterns: [dbCode] }] },
  },
  {
    // Services are domain logic: no Request/Response, no cookies or headers of their own.
    files: ['server/services/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'next/headers', message: 'Resolve the caller at the entry point (server/auth/caller.ts) and pass it in.' },
            { name: 'next/server', message: 'HTTP stays in app/ route handlers.' },
          ],
        },
      ],
    },
  },
);
