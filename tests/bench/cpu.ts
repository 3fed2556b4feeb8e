import fs from 'node:fs';

/**
 * CPU time per process group from /proc, so a result says where the two cores went: the
 * browser, the SFU, the app, this process (which hosts the simulated candidates), and
 * everything else on the machine (other users' work included).
 */
const TICKS_PER_SECOND = 100;

type ProcInfo = { pid: number; ppid: number; comm: string; ticks: number };

function readProc(pid: number): ProcInfo | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm is in parentheses and may contain spaces; fields after it are space separated.
    const close = stat.lastIndexOf(')');
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const f = stat.slice(close + 2).split(' ');
    // f[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
    return { pid, ppid: Number(f[1]), comm, ticks: Number(f[11]) + Number(f[12]) };
  } catch {
    return null;
  }
}

function allProcs() {
  const out: ProcInfo[] = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const p = readProc(Number(name));
    if (p) out.push(p);
  }
  return out;
}

function machineTicks() {
  const line = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((s, x) => s + x, 0);
  return { busy: total - idle, total };
}

export type CpuGroups = Record<string, number[]>;

export type CpuSample = { at: number; groups: Record<string, number>; machineBusy: number; machineTotal: number };

/** `roots` maps a group name to the pids whose whole process trees belong to it. */
export function sampleCpu(roots: Record<string, number[]>, self = process.pid): CpuSample {
  const procs = allProcs();
  const children = new Map<number, ProcInfo[]>();
  for (const p of procs) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p]);
  const byPid = new Map(procs.map((p) => [p.pid, p]));
  const claimed = new Set<number>();
  const groups: Record<string, number> = {};
  const tree = (pid: number, into: string) => {
    const p = byPid.get(pid);
    if (!p || claimed.has(pid)) return;
    claimed.add(pid);
    groups[into] = (groups[into] ?? 0) + p.ticks;
    for (const c of children.get(pid) ?? []) tree(c.pid, into);
  };
  for (const [name, pids] of Object.entries(roots)) for (const pid of pids) tree(pid, name);
  // Our other children (the browser) are grouped by name; what is left is this process.
  for (const c of children.get(self) ?? []) {
    if (claimed.has(c.pid)) continue;
    tree(c.pid, /chrom/i.test(c.comm) ? 'chromium' : `child:${c.comm}`);
  }
  const me = byPid.get(self);
  if (me) groups.bench = me.ticks;
  const m = machineTicks();
  return { at: Date.now(), groups, machineBusy: m.busy, machineTotal: m.total };
}

/** Percent of one core per group between two samples (200 = both cores of this machine). */
export function cpuBetween(a: CpuSample, b: CpuSample): { machine: number; otherProcesses: number; [group: string]: number } {
  const seconds = (b.at - a.at) / 1000;
  const pct = (ticks: number) => Math.round((ticks / TICKS_PER_SECOND / seconds) * 1000) / 10;
  const out: Record<string, number> = {};
  let ours = 0;
  for (const [name, ticks] of Object.entries(b.groups)) {
    const d = ticks - (a.groups[name] ?? 0);
    out[name] = pct(d);
    ours += d;
  }
  const busy = b.machineBusy - a.machineBusy;
  const total = b.machineTotal - a.machineTotal;
  const cores = total / TICKS_PER_SECOND / seconds;
  const machine = Math.round((busy / total) * cores * 1000) / 10;
  return { ...out, machine, otherProcesses: Math.max(0, Math.round((machine - pct(ours)) * 10) / 10) };
}

/** CPU ticks per thread name inside one process: which of this process's threads (JavaScript, encoders, network) is busy. */
export function sampleThreads(pid = process.pid) {
  const out: Record<string, number> = {};
  let mainWaitNs = 0;
  try {
    // run time, time spent runnable but waiting for a CPU, timeslices (ns, ns, count)
    mainWaitNs = Number(fs.readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8').split(' ')[1]);
  } catch {
    // no schedstat on this kernel
  }
  let tasks: string[] = [];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return { at: Date.now(), threads: out, mainWaitNs };
  }
  for (const tid of tasks) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      const f = stat.slice(close + 2).split(' ');
      // Pool threads share a base name with a number; group them. The main thread runs JavaScript.
      const name =
        Number(tid) === pid
          ? 'main (JS)'
          : stat
              .slice(stat.indexOf('(') + 1, close)
              .trim()
              .replace(/[-_ #:]?\d+$/, '');
      out[name] = (out[name] ?? 0) + Number(f[11]) + Number(f[12]);
    } catch {
      // the thread ended
    }
  }
  return { at: Date.now(), threads: out, mainWaitNs };
}

/** The busiest thread groups between two samples, in percent of one core. */
export function threadsBetween(a: ReturnType<typeof sampleThreads>, b: ReturnType<typeof sampleThreads>, top = 8) {
  const seconds = (b.at - a.at) / 1000;
  const busiest = Object.entries(b.threads)
    .map(([name, ticks]) => [name, Math.round(((ticks - (a.threads[name] ?? 0)) / TICKS_PER_SECOND / seconds) * 1000) / 10] as const)
    .filter(([, pct]) => pct > 0)
    .sort((x, y) => y[1] - x[1])
    .slice(0, top);
  // Time the main thread was ready to run but had no CPU: a thread starved by the rest of the machine.
  const mainWaitingForCpu = Math.round(((b.mainWaitNs - a.mainWaitNs) / 1e9 / seconds) * 1000) / 10;
  return { ...Object.fromEntries(busiest), 'main (JS) waiting for a CPU': mainWaitingForCpu };
}
