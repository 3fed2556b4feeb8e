import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import http from 'node:http';

const root = path.join(import.meta.dirname, '..', '..');
const nextBin = path.join(root, 'node_modules', 'next', 'dist', 'bin', 'next');

/**
 * One `next start` of the last build, without an SFU: what the realtime benchmark and the
 * scale-out journey need (several of them side by side, each killed and restarted at will).
 */
export type AppProcess = {
  url: string;
  port: number;
  child: ChildProcess;
  /** SIGTERM (SIGKILL after 5 s), or SIGKILL at once with `{ hard: true }`; resolves once it exited. */
  stop: (opts?: { hard?: boolean }) => Promise<void>;
};

export type AppOptions = {
  port: number;
  dbPath: string;
  logFile: string;
  /** e.g. REDIS_URL; merged over the defaults. */
  env?: Record<string, string>;
  /** Extra node flags (e.g. --cpu-prof). */
  nodeArgs?: string[];
  /** Open-file limit for the app (one socket per SSE stream). */
  nofile?: number;
  timeoutMs?: number;
  /** What must answer (any status below 500) before the app counts as up; `/login` by default. */
  readyPath?: string;
  /** Where the build to start lives (its `.next`); the repository by default. */
  dir?: string;
  /** The address to listen on; 127.0.0.1 by default. */
  host?: string;
};

export async function startApp(o: AppOptions): Promise<AppProcess> {
  const host = o.host ?? '127.0.0.1';
  const url = `http://${host}:${o.port}`;
  const log = fs.openSync(o.logFile, 'a');
  // A shell raises the open-file limit for the app only, then becomes it (exec keeps the pid).
  const nofile = o.nofile ?? 0;
  const dir = o.dir ?? root;
  const next = o.dir ? path.join(o.dir, 'node_modules', 'next', 'dist', 'bin', 'next') : nextBin;
  const script = nofile ? `ulimit -n ${nofile} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"` : 'exec "$@"';
  const child = spawn('bash', ['-c', script, 'app', process.execPath, ...(o.nodeArgs ?? []), next, 'start', '-p', String(o.port), '-H', host], {
    cwd: dir,
    env: {
      ...process.env,
      DATABASE_PATH: o.dbPath,
      APP_PORT: String(o.port),
      NODE_ENV: 'production',
      NEXT_TELEMETRY_DISABLED: '1',
      ...o.env,
    },
    stdio: ['ignore', log, log],
  });
  fs.closeSync(log);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async ({ hard = false }: { hard?: boolean } = {}) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(hard ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  try {
    await answering(`${url}${o.readyPath ?? '/login'}`, o.timeoutMs ?? 60_000);
  } catch (err) {
    await stop({ hard: true });
    throw new Error(`${(err as Error).message}; see ${o.logFile}`);
  }
  return { url, port: o.port, child, stop };
}

/**
 * Polls until the URL answers (any status below 500). A fresh socket per try (node:http, no
 * pool): after a restart, the bench must see the new process the moment it listens, not a pool's
 * view of the old one.
 */
async function answering(url: string, ms: number) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const status = await new Promise<number>((resolve) => {
      const req = http.get(url, { agent: false, timeout: 10_000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(0));
    });
    if (status && status < 500) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${url} did not answer within ${ms} ms`);
}

/** Resident memory of a process and its descendants, in MB (Linux /proc). */
export function treeRssMb(pid: number): number {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
    } catch {
      // gone meanwhile
    }
  }
  let kb = 0;
  const visit = (p: number) => {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${p}/status`, 'utf8'));
      kb += Number(m?.[1] ?? 0);
    } catch {
      return;
    }
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return Math.round(kb / 1024);
}

/** A session cookie value and the row that makes it valid, without a (slow, argon2) login. */
export function newSessionToken() {
  const token = randomBytes(32).toString('base64url');
  return { token, tokenHash: createHash('sha256').update(token).digest('hex') };
}
