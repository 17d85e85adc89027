// Brokers for tests.
//
// A real `parking broker` process (what devices and drills talk to):
//
//   import { startBrokerProcess } from '../helpers/brokers.ts';
//   const primary = await startBrokerProcess({ role: 'primary' });            // free ports, anonymous allowed
//   const standby = await startBrokerProcess({ role: 'standby', primaryUrl: primary.url });
//   // clients: primary.url (mqtt://127.0.0.1:N), primary.wsUrl (ws://127.0.0.1:M)
//   await primary.kill();      // SIGKILL (or kill('SIGTERM')): resolves when the process is gone
//   await primary.restart();   // same ports; resolves when it prints its ready line again
//   await standby.stop();      // SIGTERM, waits for the clean exit (SIGKILL after 10 s)
//   standby.output();          // everything it wrote (stdout and JSON log lines on stderr)
//   await standby.waitForOutput(/resynchronised/, { from: mark });  // mark = standby.output().length earlier
//
// Options: `role`; `port` (0 or omitted = a free one), `wsPort` (same);
// `primaryUrl` (standby); `allowAnonymous` (default true: adds
// --allow-anonymous); `env` (extra environment, e.g. REDIS_URL,
// PARKING_MQTT_AUTH_FILE, PARKING_HEARTBEAT_MS); `args` (extra flags). The
// environment starts free of PARKING_* settings; logs are JSON at info unless
// `env` says otherwise. Every process still running is killed with SIGKILL
// when the test process exits; prefer `stop()` in an `after` hook.
//
// In process, faster (no child, same event loop):
//
//   import { startBroker } from '../../broker/index.ts';
//   const broker = await startBroker({ role: 'primary', allowAnonymous: true });  // free ports
//   broker.url, broker.wsUrl, await broker.health(), broker.aedes; await broker.close();
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { freePort } from '../../testbed/services/index.ts';

export { startBroker, type BrokerOptions, type RunningBroker, type BrokerHealth } from '../../broker/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../bin/parking.js', import.meta.url));
const SETTING_VARS = /^(PARKING_|MONGODB_URI$|REDIS_URL$|LOG_LEVEL$)/;
const READY = /^broker (primary|standby) listening (.+)$/m;
const READY_TIMEOUT_MS = 20_000;
const STOP_TIMEOUT_MS = 10_000;
const OUTPUT_LIMIT = 1_000_000;

export interface BrokerProcessOptions {
  role: 'primary' | 'standby';
  /** MQTT port; 0 or omitted = a free one. */
  port?: number;
  /** WebSocket port; 0 or omitted = a free one. */
  wsPort?: number;
  /** The standby's primary (`--primary`). */
  primaryUrl?: string;
  /** Default true (`--allow-anonymous`). */
  allowAnonymous?: boolean;
  env?: Record<string, string>;
  args?: readonly string[];
}

export interface BrokerProcess {
  readonly role: 'primary' | 'standby';
  /** `mqtt://127.0.0.1:N`. */
  readonly url: string;
  /** `ws://127.0.0.1:M`. */
  readonly wsUrl: string;
  readonly port: number;
  readonly wsPort: number;
  /** `mqtts://127.0.0.1:K` when started with TLS settings (PARKING_TLS_CERT, PARKING_TLS_KEY, --mqtts-port). */
  readonly mqttsUrl: string | undefined;
  /** The current process id (changes on restart). */
  readonly pid: number;
  readonly running: boolean;
  /** Sends `signal` (default SIGKILL) and resolves once the process exited. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** SIGTERM, resolves once exited (SIGKILL after 10 s). */
  stop(): Promise<void>;
  /** Stops it if running, starts it again on the same ports; resolves when ready. */
  restart(): Promise<void>;
  /** Everything the process wrote so far (all runs), stdout and stderr. */
  output(): string;
  /**
   * Resolves with the text matching `pattern` once the output after position
   * `from` (default: all output so far) holds it; `output().length` marks a position.
   */
  waitForOutput(pattern: RegExp, options?: { from?: number; timeoutMs?: number }): Promise<string>;
  /** Exit code and signal of the last run (undefined while running). */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
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

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !SETTING_VARS.test(name)));
  return { ...env, PARKING_LOG_FORMAT: 'json', PARKING_LOG_LEVEL: 'info', ...extra };
}

class StartError extends Error {
  constructor(
    message: string,
    readonly addressInUse: boolean,
  ) {
    super(message);
  }
}

export async function startBrokerProcess(options: BrokerProcessOptions): Promise<BrokerProcess> {
  const autoPorts = !options.port && !options.wsPort;
  for (let attempt = 1; ; attempt += 1) {
    const port = options.port || (await freePort());
    const wsPort = options.wsPort || (await freePort());
    try {
      return await launch(options, port, wsPort);
    } catch (error) {
      // A free port taken by someone else meanwhile: pick others.
      if (!(error instanceof StartError && error.addressInUse && autoPorts && attempt < 3)) throw error;
    }
  }
}

async function launch(options: BrokerProcessOptions, port: number, wsPort: number): Promise<BrokerProcess> {
  const args = ['broker', '--role', options.role, '--port', String(port), '--ws-port', String(wsPort)];
  if (options.primaryUrl) args.push('--primary', options.primaryUrl);
  if (options.allowAnonymous ?? true) args.push('--allow-anonymous');
  args.push(...(options.args ?? []));
  let output = '';
  let mqttsUrl: string | undefined;
  let dropped = 0;
  const watchers = new Set<() => void>();
  let child: ChildProcess;
  let exit: BrokerProcess['exit'];
  let exited: Promise<void> = Promise.resolve();

  const spawnOnce = (): Promise<void> => {
    const runOutput = { text: '' };
    child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: cleanEnv(options.env ?? {}), stdio: ['ignore', 'pipe', 'pipe'] });
    killAtExit(child);
    exit = undefined;
    const current = child;
    exited = new Promise((resolve) => current.once('exit', (code, signal) => ((exit = { code, signal }), resolve())));
    const append = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      runOutput.text += text;
      output += text;
      if (output.length > OUTPUT_LIMIT) {
        dropped += output.length - OUTPUT_LIMIT;
        output = output.slice(-OUTPUT_LIMIT);
      }
      for (const watcher of [...watchers]) watcher();
    };
    current.stdout!.on('data', append);
    current.stderr!.on('data', append);
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        current.kill('SIGKILL');
        reject(new StartError(`parking ${args.join(' ')}: not ready after ${READY_TIMEOUT_MS} ms\n${runOutput.text}`, false));
      }, READY_TIMEOUT_MS);
      const onData = () => {
        const ready = READY.exec(runOutput.text);
        if (!ready) return;
        mqttsUrl = /mqtts:\/\/\S+/.exec(ready[2])?.[0];
        clearTimeout(timer);
        current.stdout!.off('data', onData);
        resolve();
      };
      current.stdout!.on('data', onData);
      current.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new StartError(`parking ${args.join(' ')} exited (${code ?? signal}) before it was ready\n${runOutput.text}`, /EADDRINUSE/.test(runOutput.text)));
      });
    });
  };

  const running = () => exit === undefined;
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (!running()) return;
    child.kill(signal);
    await exited;
  };
  const stop = async () => {
    if (!running()) return;
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
    child.kill('SIGTERM');
    await exited;
    clearTimeout(timer);
  };

  await spawnOnce();
  return {
    role: options.role,
    url: `mqtt://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    port,
    wsPort,
    get mqttsUrl() {
      return mqttsUrl;
    },
    get pid() {
      return child.pid ?? -1;
    },
    get running() {
      return running();
    },
    get exit() {
      return exit;
    },
    kill,
    stop,
    async restart() {
      await stop();
      await spawnOnce();
    },
    output: () => output,
    waitForOutput(pattern, { from = 0, timeoutMs = 20_000 } = {}) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output.slice(Math.max(0, from - dropped)));
          if (!match) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolve(match[0]);
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`no ${pattern} in the output of parking ${args.join(' ')} after ${timeoutMs} ms:\n${output.slice(-4000)}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
  };
}
