import path from 'node:path';
import { startSfu, type SfuHandle, type SfuOptions } from './sfu';

/** The ports of one node; node i of a cluster gets each base port plus i times the stride. */
export type SfuPorts = { port: number; tcpPort: number; udpPort: number; prometheusPort?: number };

export type SfuClusterOptions = Pick<SfuOptions, 'apiKey' | 'apiSecret' | 'webhookUrl' | 'logLevel' | 'extraAddresses' | 'lanAddress'> & {
  /** How many livekit-server processes; more than one needs `redisUrl`. */
  nodes: number;
  /** Node 1's ports (the others' follow with `stride`), or every node's (tests take free ports). */
  ports: SfuPorts | SfuPorts[];
  /** Added to every port per node (default 10: 7880, 7890, ...). */
  stride?: number;
  /** The Redis the nodes share (LiveKit's distributed mode); required with two nodes or more. */
  redisUrl?: string;
  /** Gets one folder per node (`sfu-1/livekit.yaml`, `sfu-1/livekit.log`). */
  workDir: string;
  /**
   * Start a node again when it exits on its own (crash, kill -9, OOM), with a growing pause,
   * instead of leaving the exam without media. Off for tests that kill a node to watch the
   * others take over.
   */
  supervise?: boolean;
  /** Where supervision reports exits and restarts. */
  log?: (line: string) => void;
};

export type SfuNode = {
  /** `sfu-1`, ...: the node's LiveKit region, and its name in LIVEKIT_URLS. */
  name: string;
  url: string;
  ports: SfuPorts;
  /** The running process (replaced when supervision restarts it). */
  handle: SfuHandle;
  /** How many times supervision started it again. */
  restarts: number;
};

export type SfuCluster = {
  nodes: SfuNode[];
  /** The value for the app's LIVEKIT_URLS (names follow the order, so plain URLs do). */
  livekitUrls: string;
  stop: () => Promise<void>;
};

/** First pause before a crashed node is started again; doubles per crash in a row, up to the cap. */
const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 30_000;
/** A node that ran this long before it died counts as healthy: the next pause starts small again. */
const HEALTHY_RUN_MS = 60_000;

export const nodePorts = (base: SfuPorts, index: number, stride = 10): SfuPorts => ({
  port: base.port + index * stride,
  tcpPort: base.tcpPort + index * stride,
  udpPort: base.udpPort + index * stride,
  ...(base.prometheusPort ? { prometheusPort: base.prometheusPort + index * stride } : {}),
});

/**
 * One or more livekit-server processes on this machine, as `npm run dev`/`demo` and the tests
 * run them. One node is the embedded default (no Redis, config as before); several share one
 * Redis and the same keys, each with its own signal, TCP, UDP and metrics ports, and its name
 * as its LiveKit region.
 */
export async function startSfuCluster(o: SfuClusterOptions): Promise<SfuCluster> {
  if (o.nodes < 1) throw new Error('an SFU cluster needs at least one node');
  if (o.nodes > 1 && !o.redisUrl) throw new Error('several SFU nodes need a Redis (LiveKit distributed mode)');
  const log = o.log ?? ((line: string) => console.log(line));
  let stopping = false;
  const halt = new AbortController();

  const optionsOf = (name: string, ports: SfuPorts): SfuOptions => ({
    apiKey: o.apiKey,
    apiSecret: o.apiSecret,
    webhookUrl: o.webhookUrl,
    logLevel: o.logLevel,
    extraAddresses: o.extraAddresses,
    lanAddress: o.lanAddress,
    ...ports,
    workDir: o.nodes > 1 ? path.join(o.workDir, name) : o.workDir,
    ...(o.redisUrl && o.nodes > 1 ? { cluster: { redisUrl: o.redisUrl, region: name } } : {}),
  });

  if (Array.isArray(o.ports) && o.ports.length !== o.nodes) throw new Error(`ports for ${o.ports.length} SFU nodes, ${o.nodes} wanted`);
  const portsOf = (i: number) => (Array.isArray(o.ports) ? o.ports[i]! : nodePorts(o.ports, i, o.stride));
  const specs = Array.from({ length: o.nodes }, (_, i) => ({ name: `sfu-${i + 1}`, ports: portsOf(i) }));
  const started = await Promise.allSettled(specs.map((s) => startSfu(optionsOf(s.name, s.ports))));
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((r) => (r.status === 'fulfilled' ? r.value.stop() : null)));
    throw failed.reason;
  }
  const nodes: SfuNode[] = specs.map((s, i) => ({
    ...s,
    handle: (started[i] as PromiseFulfilledResult<SfuHandle>).value,
    url: (started[i] as PromiseFulfilledResult<SfuHandle>).value.url,
    restarts: 0,
  }));

  /** A pause that ends early when the cluster stops. */
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      halt.signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
    });

  /** Waits for the node to die, then starts it again until the cluster stops. */
  const supervise = async (node: SfuNode) => {
    let pause = RESTART_MIN_MS;
    let upSince = Date.now();
    for (;;) {
      const { code, signal } = await node.handle.exited;
      if (stopping) return;
      if (Date.now() - upSince >= HEALTHY_RUN_MS) pause = RESTART_MIN_MS;
      log(
        `SFU ${node.name} (livekit-server) exited unexpectedly (${signal ?? `code ${code}`}); starting it again in ${pause / 1000} s (log: ${node.handle.logFile})`,
      );
      for (;;) {
        await sleep(pause);
        if (stopping) return;
        pause = Math.min(pause * 2, RESTART_MAX_MS);
        try {
          node.handle = await startSfu(optionsOf(node.name, node.ports));
          break;
        } catch (err) {
          if (stopping) return;
          log(`SFU ${node.name} did not start again: ${(err as Error).message.split('\n')[0]}; next try in ${pause / 1000} s`);
        }
      }
      if (stopping) return void (await node.handle.stop());
      node.restarts++;
      upSince = Date.now();
      log(`SFU ${node.name} is back on ${node.url} (restart ${node.restarts})`);
    }
  };
  const supervisors = o.supervise ? nodes.map((node) => supervise(node)) : [];

  return {
    nodes,
    livekitUrls: nodes.map((n) => n.url).join(','),
    stop: async () => {
      stopping = true;
      halt.abort();
      await Promise.all(nodes.map((n) => n.handle.stop()));
      // A restart under way when the cluster stopped stops its new process itself.
      await Promise.all(supervisors);
    },
  };
}
