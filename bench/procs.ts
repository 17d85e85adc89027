// The processes a benchmark measures: `parking` commands and the benchmark's
// own helper scripts, each a child process with its output kept (the last
// part), a ready line to wait for, and a clean stop. Children run with a
// raised open-files limit when asked (10,000 device connections need 10,000
// descriptors in the broker and in the fleet).
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = fileURLToPath(new URL('../bin/parking.js', import.meta.url));
const SETTING_VARS = /^(PARKING_|MONGODB_URI$|REDIS_URL$|LOG_LEVEL$)/;
const KEPT_CHARS = 1_000_000;

export interface ChildService {
  readonly name: string;
  readonly pid: number;
  readonly running: boolean;
  /** The output so far (stdout and stderr; the oldest part dropped past 1 MB). */
  output(): string;
  /** Counts lines of output matching `pattern` since start. */
  count(pattern: RegExp): number;
  /** Resolves with the match once the output (from the start) holds `pattern`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** SIGTERM, then SIGKILL after `timeoutMs` (default 5 s); resolves when the process is gone. */
  stop(timeoutMs?: number): Promise<void>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** stdin of the child (scripts that take commands). */
  readonly stdin: NodeJS.WritableStream | null;
  /** Called with each complete stdout line. */
  onLine?: (line: string) => void;
}

export interface SpawnOptions {
  env?: Record<string, string>;
  /** Raise the open-files limit of the child to this (up to the hard limit when not root). */
  openFiles?: number;
  /** Keep stdin open for commands. */
  stdin?: boolean;
  /** Patterns counted over the whole output (e.g. warnings), beyond the kept tail. */
  counted?: readonly RegExp[];
}

const children = new Set<ChildProcess>();
let exitHook = false;

/** Kills every child still running (synchronously; for exit and signal handlers). */
export function killAllChildren(): void {
  for (const child of children) child.kill('SIGKILL');
}

function track(child: ChildProcess): void {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', killAllChildren);
}

/** The environment of a child: ours without parking settings, logs as JSON at warn. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SETTING_VARS.test(name)));
  return { ...env, PARKING_LOG_FORMAT: 'json', PARKING_LOG_LEVEL: 'warn', ...extra };
}

/** argv for running `command args` with the open-files limit raised (through sh, which execs the command). */
export function withOpenFiles(limit: number | undefined, command: string, args: readonly string[]): [string, string[]] {
  if (!limit) return [command, [...args]];
  const script = `ulimit -n ${Math.floor(limit)} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"`;
  return ['sh', ['-c', script, 'sh', command, ...args]];
}

/** Starts `command args` as a supervised child. */
export function spawnChild(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): ChildService {
  const [file, argv] = withOpenFiles(options.openFiles, command, args);
  const child = spawn(file, argv, { cwd: ROOT, env: childEnv(options.env), stdio: [options.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
  track(child);
  let tail = '';
  let partial = '';
  const counters = new Map<RegExp, number>();
  for (const pattern of options.counted ?? []) counters.set(pattern, 0);
  const watchers = new Set<() => void>();
  let running = true;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      running = false;
      resolve({ code, signal });
      for (const watcher of [...watchers]) watcher();
    }),
  );
  const service: ChildService = {
    name,
    get pid() {
      return child.pid ?? -1;
    },
    get running() {
      return running;
    },
    output: () => tail,
    count: (pattern) => counters.get(pattern) ?? 0,
    exited,
    stdin: child.stdin,
    waitFor(pattern, timeoutMs = 30_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(tail);
          if (match) {
            done();
            resolve(match);
          } else if (!running) {
            done();
            reject(new Error(`${name} exited before printing ${pattern}:\n${tail.slice(-3000)}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${name}: no ${pattern} after ${timeoutMs} ms:\n${tail.slice(-3000)}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        watchers.add(check);
        check();
      });
    },
    async stop(timeoutMs = 5000) {
      if (!running) return;
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.kill('SIGTERM');
      await exited;
      clearTimeout(timer);
    },
  };
  const append = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail += text;
    if (tail.length > KEPT_CHARS) tail = tail.slice(-KEPT_CHARS / 2);
    for (const [pattern, n] of counters) {
      const global = new RegExp(pattern.source, pattern.flags.includes('g') ? pattern.flags : `${pattern.flags}g`);
      counters.set(pattern, n + (text.match(global)?.length ?? 0));
    }
    for (const watcher of [...watchers]) watcher();
  };
  child.stdout!.on('data', (chunk: Buffer) => {
    append(chunk);
    if (!service.onLine) return;
    const lines = (partial + chunk.toString('utf8')).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) service.onLine(line);
  });
  child.stderr!.on('data', append);
  return service;
}

/**
 * Node flags for a child: with PARKING_BENCH_CPU_PROF=DIR set, each child
 * writes a CPU profile to DIR/{name}/ when it exits (a normal stop does exit).
 */
export function profileFlags(name: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const dir = env.PARKING_BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(dir, name)}`] : [];
}

/** `parking ARGS` as a child. */
export function spawnParking(name: string, args: readonly string[], options: SpawnOptions = {}): ChildService {
  return spawnChild(name, process.execPath, [...profileFlags(name), BIN, ...args], options);
}

/** A TypeScript script of this folder as a child (through tsx). */
export function spawnScript(name: string, script: string, args: readonly string[], options: SpawnOptions = {}): ChildService {
  const file = fileURLToPath(new URL(script, import.meta.url));
  return spawnChild(name, process.execPath, [...profileFlags(name), '--import', 'tsx', file, ...args], options);
}
