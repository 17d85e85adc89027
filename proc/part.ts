// One supervised `parking` child process (or a script run the same way): see
// the API and its rules in ./index.ts.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { setPriority } from 'node:os';
import { redactUrls } from '../log/index.ts';
import { BIN, ROOT, cleanEnv, track, withOpenFiles } from './env.ts';

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type Stream = 'stdout' | 'stderr';

export interface PartOptions {
  /** For messages, the log file's markers and incidents: `broker-primary`. */
  name: string;
  /** Arguments of `parking` (or of `script`). */
  args: readonly string[];
  /** A script (absolute path) to run instead of bin/parking.js: TypeScript through tsx, JavaScript with plain node. */
  script?: string;
  /** Extra environment over ours without PARKING_*, MONGODB_URI, REDIS_URL, LOG_LEVEL; logs default to JSON at info. */
  env?: Record<string, string>;
  /** The stdout line that says it is ready (matched against the complete lines of each start); without it, ready once spawned. */
  ready?: RegExp;
  /** Default 30 s. */
  readyTimeoutMs?: number;
  /** Appends everything the process writes here, with a line at each start and exit. */
  logFile?: string;
  /** Keep stdin open for `write`, `writeLine`, `endInput`. */
  stdin?: boolean;
  /** Raise the child's open-files limit to this (up to the hard limit when not root). */
  openFiles?: number;
  /** Flags for node before the script, e.g. `--cpu-prof`. */
  nodeFlags?: readonly string[];
  /** CPU priority of the child (nice, -20 to 19; default: ours), set as it is spawned. */
  niceness?: number;
  /** Characters of output kept in memory (default 1,000,000; the oldest dropped). */
  tailChars?: number;
  /** Called with every output line from the first start on (stdout and stderr), before `ready` is awaited. */
  onLine?: (line: string, stream: Stream) => void;
}

export interface Part {
  readonly name: string;
  /** The current process id (changes on restart); for /proc/<pid>/stat. */
  readonly pid: number;
  readonly running: boolean;
  /** The ready line's match from the latest start. */
  readonly ready: RegExpExecArray;
  /** Exit code and signal of the latest run (undefined while running). */
  readonly exit: Exit | undefined;
  /** Output so far, stdout and stderr of every run, with a marker line at each start and exit (the last `tailChars`). */
  output(): string;
  /** A position in the output, for `waitForOutput(…, { from })`. */
  mark(): number;
  /** Resolves with the text matching `pattern` once the output after `from` holds it; rejects after `timeoutMs` (20 s) or when the process exits unasked. */
  waitForOutput(pattern: RegExp, options?: { from?: number; timeoutMs?: number }): Promise<string>;
  /** Calls `listener` with each complete output line of `stream` (default stdout; 'all' for both) from now on; returns the unsubscribe. */
  onLine(listener: (line: string, stream: Stream) => void, stream?: Stream | 'all'): () => void;
  /** Writes to the child's stdin (needs `stdin: true`). */
  write(text: string): void;
  /** Writes `line` and a newline to the child's stdin (needs `stdin: true`). */
  writeLine(line: string): void;
  /** Writes `text`, if any, and closes the child's stdin (needs `stdin: true`). */
  endInput(text?: string): void;
  /** Sends a signal that need not end it (SIGSTOP, SIGCONT, SIGUSR2…); false when not running. */
  signal(signal: NodeJS.Signals): boolean;
  /** Sends `signal` (default SIGKILL), SIGKILL after `timeoutMs` (10 s); resolves once the process exited. */
  kill(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
  /** SIGTERM, SIGKILL after `timeoutMs` (10 s); resolves once exited. */
  stop(timeoutMs?: number): Promise<void>;
  /** Resolves with the exit once the process ended on its own; rejects when still running after `timeoutMs` (10 s). */
  waitForExit(timeoutMs?: number): Promise<Exit>;
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

/** A start that failed: no ready line in time, or an exit before it. `output` is that start's output. */
export class ProcessError extends Error {
  constructor(
    message: string,
    readonly output: string,
    readonly exit?: Exit,
  ) {
    super(message);
    this.name = 'ProcessError';
  }
}

/** The last error a process printed, for a one-line incident. */
export function lastError(output: string): string {
  const lines = output.split('\n').map((line) => line.trim()).filter(Boolean);
  const error = [...lines].reverse().find((line) => /^(\w*Error|Error)\b.*:/.test(line));
  return (error ?? lines[lines.length - 1] ?? '').slice(0, 300);
}

/** After SIGKILL, how long the exit may take before a wait gives up. */
const KILLED_EXIT_MS = 5_000;
const DEFAULT_WAIT_MS = 10_000;

interface LineListener {
  listener: (line: string, stream: Stream) => void;
  stream: Stream | 'all';
}

class ChildPart implements Part {
  readonly name: string;
  private child!: ChildProcess;
  private current: Exit | undefined;
  private exited: Promise<void> = Promise.resolve();
  private match!: RegExpExecArray;
  private told = false;
  private tail = '';
  private dropped = 0;
  private readonly keep: number;
  private readonly watchers = new Set<() => void>();
  private readonly lineListeners = new Set<LineListener>();
  private readonly crashListeners: Array<(exit: UnexpectedExit) => void> = [];
  private readonly log: WriteStream | undefined;

  constructor(private readonly o: PartOptions) {
    this.name = o.name;
    this.keep = o.tailChars ?? 1_000_000;
    this.log = o.logFile ? createWriteStream(o.logFile, { flags: 'a' }) : undefined;
    this.log?.on('error', () => undefined);
    if (o.onLine) this.lineListeners.add({ listener: o.onLine, stream: 'all' });
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }
  get running(): boolean {
    return this.current === undefined;
  }
  get ready(): RegExpExecArray {
    return this.match;
  }
  get exit(): Exit | undefined {
    return this.current;
  }

  /** The command line, passwords masked. */
  private describe(): string {
    return redactUrls([this.o.script ?? 'parking', ...this.o.args].join(' '));
  }

  private append(text: string): void {
    this.tail += text;
    if (this.tail.length > this.keep * 1.25) {
      this.dropped += this.tail.length - this.keep;
      this.tail = this.tail.slice(-this.keep);
    }
    this.log?.write(text);
    for (const watcher of [...this.watchers]) watcher();
  }

  private emitLine(line: string, stream: Stream): void {
    for (const { listener, stream: wanted } of [...this.lineListeners]) if (wanted === 'all' || wanted === stream) listener(line, stream);
  }

  /** Starts the process; resolves once its ready line came. */
  start(): Promise<void> {
    const o = this.o;
    const ready = o.ready ?? /^/;
    const readyTimeoutMs = o.readyTimeoutMs ?? 30_000;
    const program = !o.script ? [BIN] : /\.[cm]?ts$/.test(o.script) ? ['--import', 'tsx', o.script] : [o.script];
    const [file, argv] = withOpenFiles(o.openFiles, process.execPath, [...(o.nodeFlags ?? []), ...program, ...o.args]);
    const env = cleanEnv({ PARKING_LOG_FORMAT: 'json', PARKING_LOG_LEVEL: 'info', ...o.env });
    const child = spawn(file, argv, { cwd: ROOT, env, stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    this.child = child;
    track(child);
    if (o.niceness !== undefined && child.pid !== undefined) setPriority(child.pid, o.niceness);
    this.current = undefined;
    this.told = false;
    const from = this.mark();
    this.append(`\n--- ${new Date().toISOString()} ${this.describe()} (pid ${child.pid})\n`);
    child.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      const ended = (exit: Exit) => {
        if (this.current) return;
        this.current = exit;
        this.append(`--- ${new Date().toISOString()} exited (${exit.code ?? exit.signal})\n`);
        resolve();
        if (!this.told) for (const listener of this.crashListeners) listener({ part: this.name, ...exit, message: lastError(this.tail) });
        for (const watcher of [...this.watchers]) watcher();
      };
      child.once('exit', (code, signal) => ended({ code, signal }));
      // Could not be spawned at all: no exit event follows.
      child.once('error', (error) => {
        this.append(`${error.message}\n`);
        if (child.pid === undefined) ended({ code: null, signal: null });
      });
    });
    let stdout = '';
    let waiting = true;
    for (const stream of ['stdout', 'stderr'] as const) {
      let partial = '';
      child[stream]!.setEncoding('utf8').on('data', (chunk: string) => {
        if (stream === 'stdout' && waiting) stdout += chunk;
        this.append(chunk);
        if (!this.lineListeners.size) {
          const end = chunk.lastIndexOf('\n');
          partial = end < 0 ? partial + chunk : chunk.slice(end + 1);
          return;
        }
        const lines = (partial + chunk).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) this.emitLine(line, stream);
      });
      child[stream]!.once('end', () => partial && this.emitLine(partial, stream));
    }
    return new Promise<void>((resolve, reject) => {
      let spawned = false;
      const output = () => this.tail.slice(Math.max(0, from - this.dropped));
      const done = (error?: Error) => {
        if (!waiting) return;
        waiting = false;
        stdout = '';
        clearTimeout(timer);
        child.stdout!.off('data', check);
        child.off('spawn', onSpawn);
        if (error) reject(error);
        else resolve();
      };
      const check = () => {
        if (!spawned || !waiting) return;
        const found = ready.exec(stdout.slice(0, stdout.lastIndexOf('\n') + 1));
        if (!found) return;
        this.match = found;
        done();
      };
      const onSpawn = () => {
        spawned = true;
        check();
      };
      const timer = setTimeout(() => {
        this.told = true;
        child.kill('SIGKILL');
        done(new ProcessError(`${this.name}: no line matching ${ready} within ${readyTimeoutMs} ms (${this.describe()})\n${output().slice(-2000)}`, output()));
      }, readyTimeoutMs);
      child.once('spawn', onSpawn);
      child.stdout!.on('data', check);
      void this.exited.then(() => {
        const exit = this.current!;
        done(new ProcessError(`${this.name} exited (${exit.code ?? exit.signal ?? 'not started'}) before a line matching ${ready} (${this.describe()})\n${output().slice(-2000)}`, output(), exit));
      });
    });
  }

  output(): string {
    return this.tail;
  }

  mark(): number {
    return this.dropped + this.tail.length;
  }

  waitForOutput(pattern: RegExp, { from = 0, timeoutMs = 20_000 }: { from?: number; timeoutMs?: number } = {}): Promise<string> {
    return new Promise((resolve, reject) => {
      const finish = () => {
        this.watchers.delete(check);
        clearTimeout(timer);
      };
      const check = () => {
        const match = pattern.exec(this.tail.slice(Math.max(0, from - this.dropped)));
        if (match) {
          finish();
          resolve(match[0]);
        } else if (!this.running && !this.told) {
          finish();
          reject(new Error(`${this.name} exited (${this.current!.code ?? this.current!.signal}) before printing ${pattern}: ${lastError(this.tail)}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`${this.name}: no ${pattern} in its output within ${timeoutMs} ms (${this.describe()})\n${this.tail.slice(-2000)}`));
      }, timeoutMs);
      this.watchers.add(check);
      check();
    });
  }

  onLine(listener: (line: string, stream: Stream) => void, stream: Stream | 'all' = 'stdout'): () => void {
    const entry = { listener, stream };
    this.lineListeners.add(entry);
    return () => this.lineListeners.delete(entry);
  }

  private input(): NodeJS.WritableStream {
    if (!this.child.stdin) throw new Error(`${this.name}: started without stdin: true`);
    return this.child.stdin;
  }

  write(text: string): void {
    this.input().write(text);
  }

  writeLine(line: string): void {
    this.input().write(`${line}\n`);
  }

  endInput(text?: string): void {
    if (text === undefined) this.input().end();
    else this.input().end(text);
  }

  signal(signal: NodeJS.Signals): boolean {
    return this.running && this.child.kill(signal);
  }

  /** Waits at most `timeoutMs` for the current run's exit; false when it is still running. */
  private async exitWithin(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([this.exited.then(() => true), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL', timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    if (!this.running) return;
    this.told = true;
    this.child.kill(signal);
    if (await this.exitWithin(signal === 'SIGKILL' ? KILLED_EXIT_MS : timeoutMs)) return;
    if (signal !== 'SIGKILL') {
      this.child.kill('SIGKILL');
      if (await this.exitWithin(KILLED_EXIT_MS)) return;
    }
    throw new Error(`${this.name}: still running ${KILLED_EXIT_MS} ms after SIGKILL (pid ${this.pid})`);
  }

  stop(timeoutMs = DEFAULT_WAIT_MS): Promise<void> {
    return this.kill('SIGTERM', timeoutMs);
  }

  async waitForExit(timeoutMs = DEFAULT_WAIT_MS): Promise<Exit> {
    if (!(await this.exitWithin(timeoutMs))) throw new Error(`${this.name}: still running after ${timeoutMs} ms (${this.describe()})\n${this.tail.slice(-2000)}`);
    return this.current!;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  onUnexpectedExit(listener: (exit: UnexpectedExit) => void): void {
    this.crashListeners.push(listener);
  }
}

/** Starts `parking ARGS` (or `script ARGS`); resolves once its ready line came, rejects with a ProcessError otherwise (the process then killed). */
export async function startPart(options: PartOptions): Promise<Part> {
  const part = new ChildPart(options);
  await part.start();
  return part;
}
