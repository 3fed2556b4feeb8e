import { fileURLToPath } from 'node:url';

/**
 * Node flags for the app server. A young generation of 16 MB semi-spaces: with one live
 * connection per tab the per-event garbage is small, and `npm run bench:realtime` (5,000
 * candidates, 400 agents) measured RSS 748 MB connected and 1,168 MB after the chat with it,
 * against 839 and 1,293 MB with 64 MB semi-spaces, at the same latency (help p99 126 vs 136-911
 * ms across runs, broadcast 469 vs 400-660 ms). A deeper accept queue (listen-backlog.cjs):
 * thousands of tabs reconnecting after a restart wait in the kernel's queue instead of being
 * dropped. Shared by `npm run demo`/`dev` and the benchmark, which measures the server as deployed.
 */
export const APP_NODE_FLAGS = ['--max-semi-space-size=16', '--require', fileURLToPath(new URL('./listen-backlog.cjs', import.meta.url))];
