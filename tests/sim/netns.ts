/**
 * A network of the test's own for the simulated candidates: a network namespace joined to this
 * one by a veth pair on a /30 of 198.18.0.0/15 (RFC 2544's range for benchmarks). The fleet runs
 * inside it and the SFU also listens on the host end, so the candidates' media crosses only this
 * pair. Without it, pion (which offers no loopback ICE candidates) would send media to the
 * machine's own network address. Needs root (CI runs as root); removed by `remove()`, and
 * namespaces left by a killed run are removed by the next one.
 *
 * With `router`, a third namespace sits between the two, like a home router: host ↔ router on
 * 198.18.k.0/30, router ↔ fleet on 198.18.k.4/30. `blackout()` then loses every packet inside the
 * router, both ways, while each end's own link, address and neighbours stay as they were: what a
 * candidate sees when the router's uplink fails behind working Wi-Fi (the browser stays "online",
 * only silence tells). Dropping on an end's own interface instead would not be silence: its
 * kernel reports the failed sends to the sockets (Chromium then fails requests after ~8 s).
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
  /** With `router`: every packet between the fleet and the host lost (true) or carried again (false). */
  blackout: (on: boolean) => void;
  /**
   * The fleet's own interface down (false) or up again (true), as when Wi-Fi drops: the browser
   * sees it go offline. Up again, its route to the router is put back, as DHCP would.
   */
  setLink: (up: boolean) => void;
  remove: () => void;
};

/** Runs one of iproute2's tools (`ip`, `tc`); throws with its message when it fails, unless `check` is off. */
function iproute(tool: 'ip' | 'tc', args: string[], { check = true } = {}) {
  const res = spawnSync(tool, args, { encoding: 'utf8' });
  if (res.error) throw new Error(`cannot run ${tool} (Debian package iproute2): ${res.error.message}`);
  if (check && res.status !== 0) throw new Error(`${tool} ${args.join(' ')}: ${res.stderr.trim()}`);
  return res.stdout;
}

const ip = (args: string[], opts?: { check?: boolean }) => iproute('ip', args, opts);

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
      ip(['netns', 'del', `${m[1]}-gw`], { check: false });
    }
  }
}

let made = 0;

export function createSimNet({ router = false }: { router?: boolean } = {}): SimNet {
  if (process.getuid?.() !== 0) throw new Error('the simulator network needs root (ip netns); run as root, or set SIM_NETNS=0 to use the host network');
  removeStale();
  const used = ip(['-4', '-o', 'addr', 'show']);
  // The first free /30: 198.18.<k>.0 with k from 1 (and 198.18.<k>.4/30 behind a router).
  let k = 1;
  while (used.includes(`198.18.${k}.1/30`)) k++;
  if (k > 255) throw new Error('no free 198.18.k.0/30 subnet for the simulator network');
  const id = `${process.pid}-${++made}`;
  const name = `${PREFIX}-${id}`;
  const gw = `${name}-gw`;
  const ifName = (kind: string) => `${PREFIX}${kind}${id.replace('-', '')}`.slice(0, 15);
  const hostIf = ifName('h');
  const nsIf = ifName('n');
  const wanIf = ifName('w');
  const lanIf = ifName('l');
  const hostAddress = `198.18.${k}.1`;
  const fleetAddress = router ? `198.18.${k}.6` : `198.18.${k}.2`;
  // Fixed hardware addresses (locally administered), so each end's neighbours can be written
  // down for good: no ARP has to cross a blackout and fail.
  const mac = (n: number) => `02:00:c6:12:${k.toString(16).padStart(2, '0')}:0${n}`;
  const remove = () => {
    ip(['link', 'del', hostIf], { check: false });
    ip(['netns', 'del', name], { check: false });
    ip(['netns', 'del', gw], { check: false });
  };
  const blackout = (on: boolean) => {
    if (!router) throw new Error('blackout() needs createSimNet({ router: true })');
    // A queue of length 0 on the router's two ways out: every packet dropped, inside the router.
    for (const dev of [wanIf, lanIf]) {
      iproute('tc', ['-n', gw, 'qdisc', ...(on ? ['replace', 'dev', dev, 'root', 'pfifo', 'limit', '0'] : ['del', 'dev', dev, 'root'])]);
    }
  };
  const gateway = () => {
    ip(['-n', name, 'neigh', 'replace', `198.18.${k}.5`, 'lladdr', mac(5), 'dev', nsIf, 'nud', 'permanent']);
    ip(['-n', name, 'route', 'replace', 'default', 'via', `198.18.${k}.5`]);
  };
  const setLink = (up: boolean) => {
    ip(['-n', name, 'link', 'set', nsIf, up ? 'up' : 'down']);
    if (up && router) gateway();
  };
  try {
    ip(['netns', 'add', name]);
    if (!router) {
      ip(['link', 'add', hostIf, 'type', 'veth', 'peer', 'name', nsIf]);
      ip(['link', 'set', nsIf, 'netns', name]);
      ip(['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
      ip(['link', 'set', hostIf, 'up']);
      ip(['-n', name, 'addr', 'add', `${fleetAddress}/30`, 'dev', nsIf]);
    } else {
      ip(['netns', 'add', gw]);
      ip(['link', 'add', hostIf, 'address', mac(1), 'type', 'veth', 'peer', 'name', wanIf, 'address', mac(2)]);
      ip(['link', 'add', lanIf, 'address', mac(5), 'type', 'veth', 'peer', 'name', nsIf, 'address', mac(6)]);
      ip(['link', 'set', wanIf, 'netns', gw]);
      ip(['link', 'set', lanIf, 'netns', gw]);
      ip(['link', 'set', nsIf, 'netns', name]);
      ip(['addr', 'add', `${hostAddress}/30`, 'dev', hostIf]);
      ip(['link', 'set', hostIf, 'up']);
      ip(['route', 'add', `198.18.${k}.4/30`, 'via', `198.18.${k}.2`]);
      ip(['neigh', 'replace', `198.18.${k}.2`, 'lladdr', mac(2), 'dev', hostIf, 'nud', 'permanent']);
      ip(['-n', gw, 'addr', 'add', `198.18.${k}.2/30`, 'dev', wanIf]);
      ip(['-n', gw, 'addr', 'add', `198.18.${k}.5/30`, 'dev', lanIf]);
      for (const dev of [wanIf, lanIf, 'lo']) ip(['-n', gw, 'link', 'set', dev, 'up']);
      ip(['-n', gw, 'neigh', 'replace', hostAddress, 'lladdr', mac(1), 'dev', wanIf, 'nud', 'permanent']);
      ip(['-n', gw, 'neigh', 'replace', fleetAddress, 'lladdr', mac(6), 'dev', lanIf, 'nud', 'permanent']);
      // /proc/sys/net belongs to the namespace of the process that reads it.
      ip(['netns', 'exec', gw, 'sh', '-c', 'echo 1 > /proc/sys/net/ipv4/ip_forward']);
      ip(['-n', name, 'addr', 'add', `${fleetAddress}/30`, 'dev', nsIf]);
    }
    ip(['-n', name, 'link', 'set', nsIf, 'up']);
    ip(['-n', name, 'link', 'set', 'lo', 'up']);
    if (router) gateway();
  } catch (err) {
    remove();
    throw err;
  }
  return { name, hostAddress, fleetAddress, hostInterface: hostIf, nsInterface: nsIf, blackout, setLink, remove };
}

/** Bytes the host end of the pair received (from the fleet) and sent (to it) so far. */
export function interfaceBytes(iface: string) {
  const read = (dir: 'rx' | 'tx') => Number(fs.readFileSync(`/sys/class/net/${iface}/statistics/${dir}_bytes`, 'utf8'));
  return { received: read('rx'), sent: read('tx') };
}
