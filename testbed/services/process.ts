// One supervised service process: spawn, wait until it serves, stop, kill,
// restart on the same port. Every child is killed when this process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { MissingBinaryError } from './binary.ts';
import type { ServiceLogger } from './logger.ts';
import { freePort } from './port.ts';

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A running (or stopped) service started by startMosquitto or startRedis. */
export interface ServiceHandle {
  /** `mosquitto` or `redis`. */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** `mqtt://127.0.0.1:N` or `redis://127.0.0.1:N`. */
  readonly url: string;
  /** The current process id (changes on restart). */
  readonly pid: number;
  /** The temporary working directory (rendered config, data). */
  readonly dir: string;
  /** Settles when the current process has exited (replaced on restart). */
  readonly exited: Promise<ExitInfo>;
  readonly running: boolean;
  /** The last lines the process wrote (stderr and stdout). */
  readonly stderrTail: string;
  /** SIGTERM, wait for exit; SIGKILL after `timeoutMs` (default 5 s). */
  stop(opts?: { timeoutMs?: number }): Promise<ExitInfo>;
  /** Send `signal` (default SIGKILL) and wait for exit. */
  kill(signal?: NodeJS.Signals): Promise<ExitInfo>;
  /** Start again on the same port (stopping first if still running); resolves when it serves. */
  restart(): Promise<void>;
}

/** The service died or did not come up in time; `tail` is its last output. */
export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
  constructor(message: string, readonly tail: string, readonly exit?: ExitInfo) {
    super(tail ? `${message}\n--- last output ---\n${tail}` : message);
  }
}

export interface ServiceSpec {
  name: string;
  /** Debian package, for MissingBinaryError. */
  pkg: string;
  /** Absolute path of the binary. */
  binary: string;
  scheme: string;
  host: string;
  dir: string;
  /** Arguments for a given port (may render files into `dir`). */
  argsFor(port: number): string[];
  /** Resolves once the service answers on host:port. */
  probe(host: string, port: number, timeoutMs: number): Promise<unknown>;
  readyTimeoutMs: number;
  stopTimeoutMs: number;
  logger?: ServiceLogger;
}

const TAIL_BYTES = 8192;
const TAIL_LINES = 40;

// ---- tracking: every child is SIGKILLed when this process exits ----------
const liveChildren = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    killAllServices();
    for (const dir of tempDirs) {
      try {
        fs.rmSync(dir, { recursive: true, force: true });
      } catch {
        // best effort at exit
      }
    }
  });
}

/** Remove `dir` when this process exits. */
export function trackTempDir(dir: string): void {
  installExitHook();
  tempDirs.add(dir);
}

/**
 * Synchronously signal every service process still running (SIGKILL by
 * default). Runs on process exit; call it from your own SIGINT/SIGTERM handlers.
 */
export function killAllServices(signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const child of liveChildren) {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function isAddressInUse(tail: string): boolean {
  return /address already in use|EADDRINUSE/i.test(tail);
}

class ServiceProcess implements ServiceHandle {
  private child!: ChildProcess;
  private exitInfo: ExitInfo | undefined;
  private exitPromise!: Promise<ExitInfo>;
  private tail = '';
  private partialLine = '';
  private currentPort: number;

  constructor(private readonly spec: ServiceSpec, port: number) {
    this.currentPort = port;
  }

  get name(): string { return this.spec.name; }
  get host(): string { return this.spec.host; }
  get port(): number { return this.currentPort; }
  get url(): string { return `${this.spec.scheme}://${this.spec.host}:${this.currentPort}`; }
  get pid(): number { return this.child.pid ?? -1; }
  get dir(): string { return this.spec.dir; }
  get exited(): Promise<ExitInfo> { return this.exitPromise; }
  get running(): boolean { return this.exitInfo === undefined; }
  get stderrTail(): string { return this.tail.split('\n').slice(-TAIL_LINES).join('\n').trim(); }

  /** Spawn and wait until it serves. With `retryPorts`, an address clash picks another free port. */
  async launch(retryPorts: boolean, attempts = 5): Promise<void> {
    const deadline = Date.now() + this.spec.readyTimeoutMs;
    for (let attempt = 1; ; attempt++) {
      try {
        this.spawnChild();
        await this.waitReady(deadline);
        this.log('info', 'service ready');
        return;
      } catch (err) {
        const clash = err instanceof ServiceStartError && err.exit && isAddressInUse(err.tail);
        if (!clash || attempt >= attempts || Date.now() >= deadline) throw err;
        this.log('warn', 'address in use, retrying');
        if (retryPorts) this.currentPort = await freePort(this.spec.host);
        else await sleep(100 * attempt);
      }
    }
  }

  private spawnChild(): void {
    this.tail = '';
    this.partialLine = '';
    this.exitInfo = undefined;
    const child = spawn(this.spec.binary, this.spec.argsFor(this.currentPort), {
      cwd: this.spec.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    liveChildren.add(child);
    installExitHook();
    child.stdout?.on('data', (chunk: Buffer) => this.record(chunk));
    child.stderr?.on('data', (chunk: Buffer) => this.record(chunk));
    this.exitPromise = new Promise<ExitInfo>((resolve) => {
      const done = (info: ExitInfo): void => {
        if (this.child === child && this.exitInfo === undefined) this.exitInfo = info;
        liveChildren.delete(child);
        resolve(info);
      };
      child.once('error', (err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') this.record(Buffer.from(new MissingBinaryError(this.spec.name, this.spec.pkg).message));
        else this.record(Buffer.from(String(err)));
        if (child.pid === undefined) done({ code: null, signal: null });
      });
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.log('info', 'service exited', { code, signal });
        done({ code, signal });
      });
    });
    this.log('debug', 'spawned', { args: child.spawnargs });
  }

  private record(chunk: Buffer): void {
    const text = chunk.toString('utf8');
    this.tail = (this.tail + text).slice(-TAIL_BYTES);
    if (!this.spec.logger?.debug) return;
    const lines = (this.partialLine + text).split('\n');
    this.partialLine = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) this.log('debug', line.trimEnd());
  }

  private async waitReady(deadline: number): Promise<void> {
    let backoff = 20;
    let lastError: unknown;
    while (true) {
      if (this.exitInfo) {
        const { code, signal } = this.exitInfo;
        if (this.tail.includes('not found: install the Debian package')) {
          throw new MissingBinaryError(this.spec.name, this.spec.pkg, [this.spec.binary]);
        }
        throw new ServiceStartError(
          `${this.spec.name} exited during startup (code ${code}, signal ${signal})`,
          this.stderrTail,
          this.exitInfo,
        );
      }
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        await this.kill('SIGKILL').catch(() => undefined);
        throw new ServiceStartError(
          `${this.spec.name} did not accept connections on ${this.spec.host}:${this.currentPort} within ${this.spec.readyTimeoutMs} ms (${String(lastError)})`,
          this.stderrTail,
        );
      }
      try {
        await this.spec.probe(this.spec.host, this.currentPort, Math.min(1000, remaining));
        if (!this.exitInfo) return;
      } catch (err) {
        lastError = err;
      }
      if (this.exitInfo) continue;
      await Promise.race([sleep(Math.min(backoff, Math.max(1, deadline - Date.now()))), this.exitPromise]);
      backoff = Math.min(backoff * 1.5, 250);
    }
  }

  async stop(opts: { timeoutMs?: number } = {}): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    const timeoutMs = opts.timeoutMs ?? this.spec.stopTimeoutMs;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const escalated = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    const first = await Promise.race([this.exitPromise, escalated.then(() => undefined)]);
    clearTimeout(timer);
    if (first) return first;
    this.log('warn', `no exit ${timeoutMs} ms after SIGTERM, sending SIGKILL`);
    this.child.kill('SIGKILL');
    return this.exitPromise;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<ExitInfo> {
    if (this.exitInfo) return this.exitInfo;
    this.child.kill(signal);
    return this.exitPromise;
  }

  async restart(): Promise<void> {
    if (this.running) await this.stop();
    await this.launch(false);
  }

  private log(level: keyof ServiceLogger, msg: string, extra: Record<string, unknown> = {}): void {
    this.spec.logger?.[level]?.({ service: this.spec.name, port: this.currentPort, pid: this.child?.pid, ...extra }, msg);
  }
}

/** Spawn `spec` on `port` (a free one if undefined) and resolve once it serves. */
export async function launchService(spec: ServiceSpec, port?: number): Promise<ServiceHandle> {
  const service = new ServiceProcess(spec, port ?? (await freePort(spec.host)));
  await service.launch(port === undefined);
  return service;
}
