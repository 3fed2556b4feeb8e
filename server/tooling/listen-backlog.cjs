// Preloaded into the app server (`node --require`, see node-flags.ts): a deeper accept queue.
//
// After an app restart every open tab reconnects within seconds (5,000 of them in an exam).
// `next start` listens with Node's default backlog of 511: once the app is busy answering the
// first few hundred, the kernel's accept queue overflows and further SYNs are dropped, and each
// dropped tab waits out TCP's retransmission timer (1, 2, 4, 8, 16 s...) before it even knocks
// again: the last tabs came back a minute late (`npm run bench:realtime`, reconnect storm;
// `nstat TcpExtListenOverflows` counted the drops). With a queue of 4,096 (the kernel caps it at
// net.core.somaxconn) they wait in the queue instead and are served in turn.
'use strict';
const net = require('node:net');

const BACKLOG = Number(process.env.APP_LISTEN_BACKLOG || 4096);
const listen = net.Server.prototype.listen;

net.Server.prototype.listen = function (...args) {
  // Next calls listen(port, hostname); a call that names its own backlog is left alone.
  if (args.length === 2 && typeof args[0] === 'number' && (typeof args[1] === 'string' || args[1] === undefined)) {
    return listen.call(this, args[0], args[1], BACKLOG);
  }
  if (args.length >= 1 && args[0] && typeof args[0] === 'object' && args[0].backlog == null && 'port' in args[0]) {
    return listen.call(this, { ...args[0], backlog: BACKLOG }, ...args.slice(1));
  }
  return listen.apply(this, args);
};
