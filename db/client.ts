import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import * as schema from './schema';

export type Db = BetterSQLite3Database<typeof schema> & { $client: Database.Database };

// Resolved from the working directory: Next bundles this module, so its own location is not stable.
const migrationsFolder = path.join(process.cwd(), 'db', 'migrations');

/** Opens (creating if needed) a SQLite file in WAL mode and applies the committed migrations. */
export function openDb(file: string, opts: { migrationsFolder?: string } = {}): Db {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new Database(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('busy_timeout = 5000');
  const db = drizzle(sqlite, { schema }) as Db;
  // Migrations run in one transaction, where `PRAGMA foreign_keys` is ignored: a migration that
  // rebuilds a table (drop and rename) would cascade-delete its children. So keys are off while
  // migrating, checked afterwards, and on for everything else.
  sqlite.pragma('foreign_keys = OFF');
  migrate(db, { migrationsFolder: opts.migrationsFolder ?? migrationsFolder });
  const broken = sqlite.pragma('foreign_key_check') as unknown[];
  if (broken.length > 0) throw new Error(`migration left ${broken.length} broken foreign keys: ${JSON.stringify(broken.slice(0, 5))}`);
  sqlite.pragma('foreign_keys = ON');
  return db;
}

/** A transaction handle: services that write take either, so callers can compose them atomically. */
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
export type DbOrTx = Db | Tx;
