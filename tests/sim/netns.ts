/**
 * A network of the test's own for the simulated candidates: a network namespace joined to this
 * one by a veth pair on a /30 of 198.18.0.0/15 (RFC 2544's range for benchmarks). The fleet runs
 * inside it and the SFU also listens on the host end, so the candidates' media crosses only this
 * pair. Without it, pion (which offers no loopback ICE candidates) would send media to the
 * machine's own network address. Needs root (CI runs as root); removed by `remove()`, and
 * namespaces left by a killed run are removed by the next one.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

const PREFIX = 'exsim';

export type SimNet = {
  name: string;
  /** The host end: the SFU's address as the fleet sees it. */
  hostAddress: string;
  /** The fleet's own address inside the namespace. */
  fleetAddress: string;
  /** The host end of the veth pair, whose counters show what crossed it. */
  hostInterface: string;
  /** The namespace's end of the pair. */
  nsInterface: string;
  remove: () => void;
};

function ip(args: string[], { check = true } = {}) {
  const res = spawnSync('ip', args, { encoding: 'utf8' });
  if (res.error) throw new Error(`cannot run ip (Debian package iproute2): ${res.error.message}`);
  if (check && res.status !== 0) throw new Error(`ip ${args.join(' ')}: ${res.stderr.trim()}`);
  return res.stdout;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Namespaces (and their veth ends) of runs whose process is gone. */
function removeStale() {
  for (const line of ip(['netns', 'list'], { check: false }).split('\n')) {
    const m = new RegExp(`^(${PREFIX}-(\\d+)-(\\d+))\\b`).exec(line.trim());
    if (m && !alive(Number(m[2]))) {
      ip(['link', 'del', `${PREFIX}h${m[2]}${m[3]}`.slice(0, 15)], { check: false });
      ip(['netns', 'del', m[1]!], { check: false });
    }
  }
}

let made = 0;

export function createSimNet(): SimNet {
  if (process.getuid?.() !== 0) throw new Error('the simulator network needs root (ip netns); run as root, or set SIM_NETNS=0 to use the host network');
  removeStale();
  const used = ip(['-4', '-o', 'addr', 'show']);
  // The first free /30: 198.18.<k>.0 with k from 1.
  let k = 1;
  while (used.includes(`198.18.${k}.1/30`)) k++;
  if (k > 255) throw new Error('no free 198.18.k.0/30 subnet for the simulator network');
  const id = `${process.pid}-${++made}`;
  const name = `${PREFIX}-${id}`;
  const hostIf = `${PREFIX}h${id.replace('-', '')}`.slice(0, 15);
  const nsIf = `${PREFIX}n${id.replace('-', '')}`.slice(0, 15);
  const hostAddress = `198.18.${k}.1`;
  const fleetAddress = `198.18.${k}.2`;
  const remove = () => {
    ip(['link', 'del', hostIf], { check: false });
    ip(['netns', 'del', name], { check: false });
  };
  try {
    ip(['netns', 'add', name]);
    ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
    ip(['link', 'set', nsIf, 'netns', name]);
    ip(['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
    ip(['link', 'set', hostIf, 'up']);
    ip(['-n', name, 'addr', 'add', `${fleetAddress}/30`, 'dev', nsIf]);
    ip(['-n', name, 'link', 'set', nsIf, 'up']);
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
  } catch (err) {
    remove();
    throw err;
  }
  return { name, hostAddress, fleetAddress, hostInterface: hostIf, nsInterface: nsIf, remove };
}

/** Bytes the host end of the pair received (from the fleet) and sent (to it) so far. */
export function interfaceBytes(iface: string) {
  const read = (dir: 'rx' | 'tx') => Number(fs.readFileSync(`/sys/class/net/${iface}/statistics/${dir}_bytes`, 'utf8'));
  return { received: read('rx'), sent: read('tx') };
}
