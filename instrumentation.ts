/** Next calls this once at server start: migrations are applied before the first request. */
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { getDb } = await import('./server/db');
    getDb();
  }
}
