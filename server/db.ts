import { openDb, type Db } from '@/db/client';
import { env } from './env';

const g = globalThis as unknown as { __examDb?: Db };

/** The app's database handle, opened and migrated on first use, shared across route bundles. */
export function getDb(): Db {
  g.__examDb ??= openDb(env.DATABASE_PATH);
  return g.__examDb;
}
