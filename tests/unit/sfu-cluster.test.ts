import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startSfuCluster, type SfuCluster } from '@/server/livekit/cluster';
import { parseLivekitUrls } from '@/server/env';
import { sfuConfig, type SfuOptions } from '@/server/livekit/sfu';
import { freePort, freeUdpPort } from '../helpers/redis';

const base: SfuOptions = {
  apiKey: 'k',
  apiSecret: 'cluster-secret-0123456789abcdef0123456789',
  port: 7880,
  tcpPort: 7881,
  udpPort: 7882,
  webhookUrl: 'http://127.0.0.1:3000/api/livekit/webhook',
  workDir: '/tmp/unused',
};

describe('the generated livekit-server config', () => {
  it('stays a single loopback node without Redis by default', () => {
    const config = sfuConfig(base);
    expect(config).toContain('port: 7880\n');
    expect(config).toContain('  node_ip: 127.0.0.1\n');
    expect(config).not.toMatch(/^(redis|region|node_selector|prometheus):/m);
  });

  it("enables livekit-server's own Prometheus port when given one", () => {
    expect(sfuConfig({ ...base, prometheusPort: 6789 })).toMatch(/^prometheus:\n {2}port: 6789$/m);
  });

  it('names the node by region and shares the Redis in distributed mode, placing by room count', () => {
    const config = sfuConfig({ ...base, cluster: { redisUrl: 'redis://:s%40cret@10.0.0.5:6380/2', region: 'sfu-2' } });
    expect(config).toContain('region: "sfu-2"\n');
    expect(config).toContain('redis:\n  address: "10.0.0.5:6380"\n  password: "s@cret"\n  db: 2\n');
    expect(config).toContain('node_selector:\n  kind: any\n  sort_by: rooms\n  algorithm: lowest\n');
  });

  it('offers media on the LAN address with --lan, signalling staying on loopback', () => {
    const config = sfuConfig({ ...base, lanAddress: '192.168.1.20' });
    expect(config).toContain('bind_addresses: ["127.0.0.1"]\n');
    expect(config).toContain('  node_ip: 192.168.1.20\n');
    expect(config).toContain('    includes: ["127.0.0.1/32","192.168.1.20/32"]\n');
  });
});

describe('a supervised SFU', () => {
  let cluster: SfuCluster | undefined;
  const workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sfu-supervised-'));
  afterAll(async () => {
    await cluster?.stop();
    fs.rmSync(workDir, { recursive: true, force: true });
  });

  it('is started again after kill -9, with a line in the log, and serves metrics again', async () => {
    const lines: string[] = [];
    const ports = { port: await freePort(), tcpPort: await freePort(), udpPort: await freeUdpPort(), prometheusPort: await freePort() };
    cluster = await startSfuCluster({ ...base, nodes: 1, ports, workDir, supervise: true, log: (l) => lines.push(l) });
    const node = cluster.nodes[0]!;
    const metrics = async () => {
      try {
        return (await fetch(`http://127.0.0.1:${ports.prometheusPort}/metrics`, { signal: AbortSignal.timeout(1000) })).ok;
      } catch {
        return false;
      }
    };
    expect(await metrics()).toBe(true);
    const first = node.handle.process.pid;

    node.handle.process.kill('SIGKILL');
    const deadline = Date.now() + 30_000;
    while (node.restarts === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));

    expect(node.restarts).toBe(1);
    expect(node.handle.process.pid).not.toBe(first);
    expect(lines[0]).toMatch(/^SFU sfu-1 \(livekit-server\) exited unexpectedly \(SIGKILL\); starting it again in 1 s/);
    expect(lines[1]).toBe(`SFU sfu-1 is back on ${node.url} (restart 1)`);
    expect((await fetch(node.url.replace('ws', 'http'))).ok).toBe(true);
    expect(await metrics()).toBe(true);
  }, 60_000);
});

describe('LIVEKIT_URLS', () => {
  it('names plain URLs sfu-1, sfu-2, ... in order and keeps given names', () => {
    expect(parseLivekitUrls('ws://a:7880, wss://b.example.com')).toEqual([
      { name: 'sfu-1', url: 'ws://a:7880' },
      { name: 'sfu-2', url: 'wss://b.example.com' },
    ]);
    expect(parseLivekitUrls('east=https://e.example.com,west=ws://w:7880')).toEqual([
      { name: 'east', url: 'wss://e.example.com' },
      { name: 'west', url: 'ws://w:7880' },
    ]);
  });

  it.each([
    ['', 'no URL'],
    ['ws://a,not a url', 'not a URL'],
    ['ftp://a', 'not a ws(s)'],
    ['x=ws://a,x=ws://b', 'same name'],
  ])('refuses %j', (list, message) => {
    expect(() => parseLivekitUrls(list)).toThrow(message);
  });
});
