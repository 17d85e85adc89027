// The machine a run measured on: cores, CPU model, memory, Node.
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { readOpenFilesLimit } from './procstat.ts';
import type { Machine } from './report.ts';

/** The first `model name` of /proc/cpuinfo text. */
export function cpuModelOf(cpuinfo: string): string | undefined {
  return /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim();
}

export function describeMachine(): Machine {
  let cpuModel: string | undefined;
  try {
    cpuModel = cpuModelOf(readFileSync('/proc/cpuinfo', 'utf8'));
  } catch {
    cpuModel = undefined;
  }
  const files = readOpenFilesLimit();
  const finite = (n: number | undefined) => (n !== undefined && Number.isFinite(n) ? n : null);
  return {
    nproc: os.availableParallelism(),
    cpuModel: cpuModel ?? os.cpus()[0]?.model ?? 'unknown',
    memTotalBytes: os.totalmem(),
    node: process.version,
    platform: `${os.type()} ${os.release()} ${os.arch()}`,
    openFiles: { soft: finite(files?.soft), hard: finite(files?.hard) },
    loadAvg: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}
