/** Next calls this once at server start: migrations are applied before the first request; the network probe starts. */
export async function register() {
  if (process.env.NEXT_RUNTIME === 'nodejs') {
    const { getDb } = await import('./server/db');
    const { ensureSetupToken } = await import('./server/services/admin/bootstrap');
    // A new installation: print the one-time token /setup asks for.
    ensureSetupToken({ db: getDb() });
    const { env } = await import('./server/env');
    if (env.NETWORK_PROBE_PORT) {
      const { startProbeResponder } = await import('./server/network-probe');
      const where = `${env.NETWORK_PROBE_BIND}:${env.NETWORK_PROBE_PORT}/udp`;
      await startProbeResponder({ host: env.NETWORK_PROBE_BIND, port: env.NETWORK_PROBE_PORT }).then(
        () => console.log(`network probe answering on ${where}`),
        // The app works without it: pages then learn of a silent outage's end from LiveKit's retries.
        (err: unknown) => console.error(`network probe not started on ${where}: ${(err as Error).message}`),
      );
    }
  }
}
