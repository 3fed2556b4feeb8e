import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export type RedisServer = {
  url: string;
  port: number;
  process: ChildProcess;
  stop: () => Promise<void>;
};

/** A TCP port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** A UDP port nobody is bound to right now (the OS picks it). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket('udp4');
    sock.unref();
    sock.on('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

/** Resolves once something accepts TCP connections on the port. */
async function waitForPort(port: number, ms: number, child: ChildProcess, spawnError: () => Error | undefined) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const failed = spawnError();
    if (failed) throw new Error(`cannot start redis-server (apt-get install redis-server): ${failed.message}`);
    if (child.exitCode !== null) throw new Error(`redis-server exited with ${child.exitCode}`);
    const up = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`redis-server did not listen on ${port} within ${ms} ms`);
}

/**
 * A private, throw-away `redis-server` (Debian's package): loopback only, a free port (or the
 * given one, to restart on the same address), a temp working dir, no RDB/AOF persistence.
 * What it holds (the event bus's pub/sub, LiveKit's node and room maps) is rebuilt by its
 * users after a restart, so nothing is worth writing to disk.
 */
export async function startRedis({ port }: { port?: number } = {}): Promise<RedisServer> {
  const bin = ['/usr/bin/redis-server', '/usr/local/bin/redis-server'].find((p) => fs.existsSync(p)) ?? 'redis-server';
  const p = port ?? (await freePort());
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-'));
  const args = ['--port', String(p), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--loglevel', 'warning'];
  const child = spawn(bin, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  let spawnError: Error | undefined;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    // No redis-server on PATH: 'exit' never comes, and an unheard 'error' would crash the caller.
    child.once('error', (err) => ((spawnError = err), resolve()));
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null && !spawnError) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitForPort(p, 10_000, child, () => spawnError);
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis://127.0.0.1:${p}`, port: p, process: child, stop };
}
