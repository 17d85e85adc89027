// The platform's parts as separate processes (`node bin/parking.js ...`):
// started, awaited on their ready line, signalled, restarted on the same
// ports. Their output goes to a log file and a bounded in-memory tail.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../bin/parking.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Settings the parts must not inherit from the drill's own environment. */
const SETTING_VARS = /^(PARKING_|MONGODB_URI$|REDIS_URL$|LOG_LEVEL$)/;
const TAIL_LIMIT = 256 * 1024;

export interface PartOptions {
  /** For messages and the log file: `broker-primary`. */
  name: string;
  /** Arguments of `parking`. */
  args: readonly string[];
  /** Extra environment (the drill's PARKING_* settings are not passed on). */
  env?: Record<string, string>;
  /** The stdout line that says it is ready; its match is kept in `ready`. */
  ready: RegExp;
  readyTimeoutMs?: number;
  /** Appends everything the process writes here. */
  logFile?: string;
}

export interface Part {
  readonly name: string;
  readonly pid: number;
  readonly running: boolean;
  /** The ready line's match from the latest start. */
  readonly ready: RegExpExecArray;
  /** Output so far (the last 256 KiB). */
  output(): string;
  /** A position in the output, for `waitForOutput(…, { from })`. */
  mark(): number;
  /** Resolves once the output after `from` matches; rejects after `timeoutMs`. */
  waitForOutput(pattern: RegExp, options?: { from?: number; timeoutMs?: number }): Promise<string>;
  /** Sends `signal` (default SIGKILL); resolves once the process exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM; SIGKILL after `timeoutMs` (10 s); resolves once exited. */
  stop(timeoutMs?: number): Promise<void>;
  /** Stops it if running and starts it again with the same arguments; resolves when ready. */
  restart(): Promise<void>;
  /** Calls `listener` whenever the process exits without having been told to (a crash). */
  onUnexpectedExit(listener: (exit: UnexpectedExit) => void): void;
}

export interface UnexpectedExit {
  part: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The error the process printed last (a stack's first line), or its last output line. */
  message: string;
}

/** The last error a process printed, for a one-line incident. */
export function lastError(output: string): string {
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  const error = [...lines].reverse().find((line) => /^(\w*Error|Error)\b.*:/.test(line));
  return (error ?? lines[lines.length - 1] ?? '').slice(0, 300);
}

const live = new Set<ChildProcess>();
let hooked = false;
function killAtExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (hooked) return;
  hooked = true;
  process.on('exit', () => {
    for (const running of live) running.kill('SIGKILL');
  });
}

/** Kills every part still running (SIGKILL), synchronously: for a drill that is interrupted. */
export function killAllParts(): void {
  for (const child of live) child.kill('SIGKILL');
}

export function partEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SETTING_VARS.test(name)));
  return { ...env, PARKING_LOG_FORMAT: 'json', PARKING_LOG_LEVEL: 'info', ...extra };
}

export async function startPart(options: PartOptions): Promise<Part> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const log: WriteStream | undefined = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  log?.on('error', () => undefined);
  let tail = '';
  let dropped = 0;
  const watchers = new Set<() => void>();
  let child!: ChildProcess;
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let exited: Promise<void> = Promise.resolve();
  let ready!: RegExpExecArray;
  let told = false;
  const crashListeners: Array<(exit: UnexpectedExit) => void> = [];

  const append = (text: string) => {
    tail += text;
    if (tail.length > TAIL_LIMIT) {
      dropped += tail.length - TAIL_LIMIT;
      tail = tail.slice(-TAIL_LIMIT);
    }
    log?.write(text);
    for (const watcher of [...watchers]) watcher();
  };

  const spawnOnce = (): Promise<void> => {
    let stdout = '';
    child = spawn(process.execPath, [BIN, ...options.args], { cwd: ROOT, env: partEnv(options.env), stdio: ['ignore', 'pipe', 'pipe'] });
    killAtExit(child);
    exit = undefined;
    told = false;
    const current = child;
    append(`\n--- ${new Date().toISOString()} parking ${options.args.join(' ')} (pid ${current.pid})\n`);
    exited = new Promise((resolve) =>
      current.once('exit', (code, signal) => {
        exit = { code, signal };
        append(`--- ${new Date().toISOString()} exited (${code ?? signal})\n`);
        resolve();
        if (!told) for (const listener of crashListeners) listener({ part: options.name, code, signal, message: lastError(tail) });
      }),
    );
    current.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      append(chunk);
    });
    current.stderr!.setEncoding('utf8').on('data', append);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        current.kill('SIGKILL');
        reject(new Error(`${options.name}: not ready after ${readyTimeoutMs} ms (parking ${options.args.join(' ')})\n${tail.slice(-2000)}`));
      }, readyTimeoutMs);
      const onData = () => {
        const match = options.ready.exec(stdout);
        if (!match) return;
        ready = match;
        clearTimeout(timer);
        current.stdout!.off('data', onData);
        current.off('exit', onExit);
        resolve();
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        clearTimeout(timer);
        reject(new Error(`${options.name} exited (${code ?? signal}) before it was ready (parking ${options.args.join(' ')})\n${tail.slice(-2000)}`));
      };
      current.stdout!.on('data', onData);
      current.once('exit', onExit);
    });
  };

  const running = () => exit === undefined;
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (!running()) return;
    told = true;
    child.kill(signal);
    await exited;
  };
  const stop = async (timeoutMs = 10_000) => {
    if (!running()) return;
    told = true;
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(timer);
  };

  await spawnOnce();
  return {
    name: options.name,
    get pid() {
      return child.pid ?? -1;
    },
    get running() {
      return running();
    },
    get ready() {
      return ready;
    },
    output: () => tail,
    mark: () => dropped + tail.length,
    waitForOutput(pattern, { from = 0, timeoutMs = 20_000 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(tail.slice(Math.max(0, from - dropped)));
          if (!match) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolve(match[0]);
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`${options.name}: no ${pattern} in its output within ${timeoutMs} ms`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
    kill,
    stop: async (timeoutMs) => {
      await stop(timeoutMs);
    },
    async restart() {
      await stop();
      await spawnOnce();
    },
    onUnexpectedExit(listener) {
      crashListeners.push(listener);
    },
  };
}
