import { afterEach, beforeEach } from 'vitest';
import { createTestDb } from './db';

export type TestDb = ReturnType<typeof createTestDb>;

/**
 * A fresh test database and an AbortController for the test's live connections, made before each
 * test and released after it (the controller aborted, the database removed). Read `db` and
 * `stop` only inside tests and hooks: they change from one test to the next.
 */
export function useTestDb(): { readonly db: TestDb; readonly stop: AbortController } {
  let db: TestDb | undefined;
  let stop: AbortController | undefined;
  beforeEach(() => {
    db = createTestDb();
    stop = new AbortController();
  });
  afterEach(() => {
    stop?.abort();
    db?.cleanup();
  });
  return {
    get db() {
      if (!db) throw new Error('useTestDb: db is only available inside a test');
      return db;
    },
    get stop() {
      if (!stop) throw new Error('useTestDb: stop is only available inside a test');
      return stop;
    },
  };
}
