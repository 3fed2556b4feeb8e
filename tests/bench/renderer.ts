/**
 * One page's renderer process in a benchmark's Chromium: which process it is, its CPU time and
 * memory from /proc, and its main thread's DevTools metrics.
 */
import fs from 'node:fs';
import type { Browser, CDPSession, Page } from 'playwright-core';

/** Renderer processes of this browser, by pid (DevTools' SystemInfo domain). */
export async function rendererPids(browser: Browser): Promise<number[]> {
  const s = await browser.newBrowserCDPSession();
  try {
    const info = (await s.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] };
    return info.processInfo.filter((p) => p.type === 'renderer').map((p) => p.id);
  } finally {
    await s.detach();
  }
}

export function procTicks(pid: number) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return NaN;
  }
}

export function procRssMb(pid: number) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round(Number(m[1]) / 102.4) / 10 : null;
  } catch {
    return null;
  }
}

/**
 * The page's renderer process: the one whose CPU time jumps while the page spins for 400 ms
 * (DevTools does not say which renderer hosts a page, and Chromium keeps a spare one ready).
 */
export async function rendererOf(browser: Browser, page: Page): Promise<number | null> {
  const pids = await rendererPids(browser);
  for (let attempt = 0; attempt < 3; attempt++) {
    const before = pids.map(procTicks);
    await page.evaluate(() => {
      const end = performance.now() + 400;
      while (performance.now() < end);
    });
    const d = pids.map((p, i) => procTicks(p) - before[i]!);
    const order = d.map((x, i) => [x, i] as const).sort((x, y) => y[0] - x[0]);
    const [best, second] = [order[0], order[1]];
    if (best && best[0] >= 20 && (!second || best[0] >= 2 * second[0])) return pids[best[1]]!;
  }
  return null;
}

export type Metrics = Record<string, number>;
export async function pageMetrics(cdp: CDPSession): Promise<Metrics> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  return Object.fromEntries(metrics.map((m) => [m.name, m.value]));
}
