// CPU and memory of processes from /proc (Linux): the parsers are pure, the
// meter samples them while a run goes on.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

export interface CpuTicks {
  /** utime + stime, in clock ticks. */
  ticks: number;
}

/** utime+stime from /proc/<pid>/stat text (the command name may hold spaces and parentheses). */
export function parseStat(text: string): CpuTicks {
  const close = text.lastIndexOf(')');
  if (close < 0) throw new Error('not a /proc/<pid>/stat line');
  const fields = text.slice(close + 2).trim().split(/\s+/);
  // After the name: state(3) ... utime is field 14, stime 15 (1-based over the whole line).
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error('malformed /proc/<pid>/stat line');
  return { ticks: utime + stime };
}

/** VmRSS from /proc/<pid>/status text, bytes. */
export function parseRss(text: string): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(text);
  if (!match) throw new Error('no VmRSS in /proc/<pid>/status');
  return Number(match[1]) * 1024;
}

/** "Max open files" soft and hard limits from /proc/<pid>/limits text (Infinity for unlimited). */
export function parseOpenFilesLimit(text: string): { soft: number; hard: number } {
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (!match) throw new Error('no "Max open files" in /proc/<pid>/limits');
  const value = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: value(match[1]), hard: value(match[2]) };
}

/** Busy and total ticks of all cores from the first line of /proc/stat text (idle and iowait are not busy). */
export function parseMachineTicks(text: string): { busy: number; total: number } {
  const line = text.split('\n', 1)[0];
  if (!line.startsWith('cpu ')) throw new Error('not /proc/stat');
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((sum, v) => sum + v, 0);
  return { busy: total - fields[3] - (fields[4] ?? 0), total };
}

export function readMachineTicks(): { busy: number; total: number } | undefined {
  try {
    return parseMachineTicks(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

/** Percent of one core used between two tick readings `elapsedMs` apart. */
export function cpuPercent(before: number, after: number, elapsedMs: number, ticksPerSecond: number): number {
  if (elapsedMs <= 0) return 0;
  return (((after - before) / ticksPerSecond) * 1000 * 100) / elapsedMs;
}

let clockTicks: number | undefined;
/** Clock ticks per second (`getconf CLK_TCK`, 100 on Linux almost always). */
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

export function readTicks(pid: number): number | undefined {
  try {
    return parseStat(readFileSync(`/proc/${pid}/stat`, 'utf8')).ticks;
  } catch {
    return undefined;
  }
}

export function readRss(pid: number): number | undefined {
  try {
    return parseRss(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}

export function readOpenFilesLimit(pid: number | 'self' = 'self'): { soft: number; hard: number } | undefined {
  try {
    return parseOpenFilesLimit(readFileSync(`/proc/${pid}/limits`, 'utf8'));
  } catch {
    return undefined;
  }
}

export interface ProcessUsage {
  /** Mean CPU over the window, percent of one core. */
  cpuPct: number;
  /** Highest one-interval CPU in the window, percent of one core. */
  cpuPeakPct: number;
  /** CPU time used in the window, ms. */
  cpuMs: number;
  rssBytes: number;
  rssPeakBytes: number;
}

interface Track {
  pid: number;
  first?: number;
  last?: number;
  lastAt: number;
  peak: number;
  rss: number;
  rssPeak: number;
}

/** Samples the CPU ticks and RSS of named processes every `intervalMs` between start() and stop(). */
export class ProcessMeter {
  private readonly tracks = new Map<string, Track>();
  private timer?: NodeJS.Timeout;
  private startedAt = 0;
  private readonly tps = ticksPerSecond();
  private machineStart?: { busy: number; total: number };
  /** CPU of the whole machine over the last window, percent of one core (all processes, ours and others). */
  machineCpuPct = 0;

  constructor(
    processes: Record<string, number>,
    private readonly intervalMs = 1000,
  ) {
    for (const [name, pid] of Object.entries(processes)) this.tracks.set(name, { pid, lastAt: 0, peak: 0, rss: 0, rssPeak: 0 });
  }

  start(): this {
    this.startedAt = performance.now();
    this.machineStart = readMachineTicks();
    for (const track of this.tracks.values()) {
      track.first = track.last = readTicks(track.pid);
      track.lastAt = this.startedAt;
      track.rss = track.rssPeak = readRss(track.pid) ?? 0;
    }
    this.timer = setInterval(() => this.sample(), this.intervalMs);
    this.timer.unref();
    return this;
  }

  private sample(): void {
    const now = performance.now();
    for (const track of this.tracks.values()) {
      const ticks = readTicks(track.pid);
      if (ticks !== undefined && track.last !== undefined) track.peak = Math.max(track.peak, cpuPercent(track.last, ticks, now - track.lastAt, this.tps));
      if (ticks !== undefined) track.last = ticks;
      track.lastAt = now;
      const rss = readRss(track.pid);
      if (rss !== undefined) {
        track.rss = rss;
        track.rssPeak = Math.max(track.rssPeak, rss);
      }
    }
  }

  /** Stops sampling; the usage of each process over the whole window. */
  stop(): Record<string, ProcessUsage> {
    clearInterval(this.timer);
    this.sample();
    const elapsed = performance.now() - this.startedAt;
    const machine = readMachineTicks();
    if (machine && this.machineStart) this.machineCpuPct = Math.round(cpuPercent(this.machineStart.busy, machine.busy, elapsed, this.tps) * 10) / 10;
    const out: Record<string, ProcessUsage> = {};
    for (const [name, track] of this.tracks) {
      const used = track.first !== undefined && track.last !== undefined ? track.last - track.first : 0;
      const cpuPct = cpuPercent(0, used, elapsed, this.tps);
      out[name] = {
        cpuPct: Math.round(cpuPct * 10) / 10,
        cpuPeakPct: Math.round(Math.max(track.peak, cpuPct) * 10) / 10,
        cpuMs: Math.round((used / this.tps) * 1000),
        rssBytes: track.rss,
        rssPeakBytes: track.rssPeak,
      };
    }
    return out;
  }
}

/** Machine CPU not used by the measured processes, percent of one core (never below 0). */
export function othersOf(machineCpuPct: number, processes: Record<string, ProcessUsage>): number {
  const ours = Object.values(processes).reduce((sum, u) => sum + u.cpuPct, 0);
  return Math.max(0, Math.round((machineCpuPct - ours) * 10) / 10);
}
