import type { Db } from '@/db/client';

/**
 * The app's database handle for route handlers and the tRPC context, pointed at a test
 * database. Test files mock `@/server/db` with this module and call `useAppDb` first.
 */
const g = globalThis as unknown as { __securityTestDb?: Db };

export function useAppDb(db: Db | undefined) {
  g.__securityTestDb = db;
}

export function getDb(): Db {
  if (!g.__securityTestDb) throw new Error('app-db: no test database set (call useAppDb first)');
  return g.__securityTestDb;
}
