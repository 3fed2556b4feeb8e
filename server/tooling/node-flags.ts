import { fileURLToPath } from 'node:url';

/**
 * Node flags for the app server. A larger young generation: every live stream allocates a
 * little per event, and a broadcast to thousands of streams otherwise spends a third of its
 * time in scavenges (`npm run bench:realtime`: 5,000 candidates reached in 2.0 s with it,
 * 2.2 s without). A deeper accept queue (listen-backlog.cjs): thousands of tabs reconnecting
 * after a restart wait in the kernel's queue instead of being dropped. Shared by `npm run
 * demo`/`dev` and the benchmark, which measures the server as deployed.
 */
export const APP_NODE_FLAGS = ['--max-semi-space-size=64', '--require', fileURLToPath(new URL('./listen-backlog.cjs', import.meta.url))];
