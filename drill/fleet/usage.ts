// CPU and memory of a process, from /proc (Linux): a window's CPU share and
// the resident set (read by bench/procstat.ts). Where /proc is missing the figures are undefined.
import { readRss, readTicks, ticksPerSecond } from '../../bench/procstat.ts';

/** User + system CPU time of `pid` so far, seconds. */
export function cpuSeconds(pid: number): number | undefined {
  const ticks = readTicks(pid);
  return ticks === undefined ? undefined : ticks / ticksPerSecond();
}

/** Resident set size of `pid`, MiB. */
export function rssMiB(pid: number): number | undefined {
  const bytes = readRss(pid);
  return bytes === undefined ? undefined : Math.round(bytes / 1024 ** 2);
}

export interface Usage {
  /** Share of one core over the window, percent. */
  cpuPct: number | undefined;
  /** Highest RSS seen in the window, MiB. */
  rssMiB: number | undefined;
}

/** Samples a process (RSS every 200 ms) from now until `end()`. */
export function usageWindow(pid: () => number): { end(): Usage } {
  const started = Date.now();
  const id = pid();
  const cpu0 = cpuSeconds(id);
  let peak = rssMiB(id);
  const timer = setInterval(() => {
    const rss = rssMiB(pid());
    if (rss !== undefined) peak = Math.max(peak ?? 0, rss);
  }, 200);
  return {
    end() {
      clearInterval(timer);
      const now = pid();
      const cpu1 = cpuSeconds(now);
      const seconds = (Date.now() - started) / 1000;
      // A restarted process (another pid) has no comparable CPU count.
      const cpuPct = now === id && cpu0 !== undefined && cpu1 !== undefined && seconds > 0 ? Math.round((1000 * (cpu1 - cpu0)) / seconds) / 10 : undefined;
      const rss = rssMiB(now);
      return { cpuPct, rssMiB: rss === undefined ? peak : Math.max(peak ?? 0, rss) };
    },
  };
}

/** Several processes' windows added up (CPU shares and RSS summed). */
export function usageOfAll(pids: ReadonlyArray<() => number>): { end(): Usage } {
  const windows = pids.map((pid) => usageWindow(pid));
  return {
    end() {
      const all = windows.map((w) => w.end());
      const add = (key: keyof Usage) => (all.every((u) => u[key] !== undefined) ? Math.round(10 * all.reduce((n, u) => n + (u[key] ?? 0), 0)) / 10 : undefined);
      return { cpuPct: add('cpuPct'), rssMiB: add('rssMiB') };
    },
  };
}
