import type { DbOrTx } from './client';

/**
 * A query built and prepared once per database, for the hot paths: the session lookup of every
 * request, and what every open live connection runs when it (re)connects and re-checks. Drizzle
 * otherwise builds the SQL and SQLite prepares it again on each call, which is most of the cost
 * of these small queries when 5,000 tabs reconnect at once. Values go in as placeholders.
 */
export function prepared<T>(build: (db: DbOrTx) => T): (db: DbOrTx) => T {
  const cache = new WeakMap<DbOrTx, T>();
  return (db) => {
    let statement = cache.get(db);
    if (!statement) cache.set(db, (statement = build(db)));
    return statement;
  };
}
