/** Next calls this once at server start: migrations are applied before the first request. */
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { getDb } = await import('./server/db');
    const { ensureSetupToken } = await import('./server/services/admin/bootstrap');
    // A new installation: print the one-time token /setup asks for.
    ensureSetupToken({ db: getDb() });
  }
}
