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
//   await standby.waitForOutput(/resynchronised/, { from: mark });  // mark = standby.mark() earlier
//
// Options: `role`; `port` (0 or omitted = a free one), `wsPort` (same);
// `primaryUrl` (standby); `allowAnonymous` (default true: adds
// --allow-anonymous); `env` (extra environment, e.g. REDIS_URL,
// PARKING_MQTT_AUTH_FILE, PARKING_HEARTBEAT_MS); `args` (extra flags). The
// environment starts free of PARKING_* settings; logs are JSON at info unless
// `env` says otherwise. Every process still running is killed with SIGKILL
// when the test process exits; prefer `stop()` in an `after` hook. The process
// itself is a `Part` of proc/index.ts (`broker.part`: onLine, signal, …).
//
// In process, faster (no child, same event loop):
//
//   import { startBroker } from '../../broker/index.ts';
//   const broker = await startBroker({ role: 'primary', allowAnonymous: true });  // free ports
//   broker.url, broker.wsUrl, await broker.health(), broker.aedes; await broker.close();
import { ProcessError, startPart, type Exit, type Part } from '../../proc/index.ts';
import { freePort } from '../../testbed/services/index.ts';

export { startBroker, type BrokerOptions, type RunningBroker, type BrokerHealth } from '../../broker/index.ts';

const READY = /^broker (primary|standby) listening (.+)$/m;
const READY_TIMEOUT_MS = 20_000;

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
  /** A position in the output for `waitForOutput(…, { from })`. */
  mark(): number;
  /**
   * Resolves with the text matching `pattern` once the output after position
   * `from` (default: all output so far) holds it; `mark()` marks a position.
   */
  waitForOutput(pattern: RegExp, options?: { from?: number; timeoutMs?: number }): Promise<string>;
  /** Exit code and signal of the last run (undefined while running). */
  readonly exit: Exit | undefined;
  /** The process (proc/index.ts). */
  readonly part: Part;
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
      if (!(error instanceof ProcessError && error.exit && /EADDRINUSE/.test(error.output) && autoPorts && attempt < 3)) throw error;
    }
  }
}

async function launch(options: BrokerProcessOptions, port: number, wsPort: number): Promise<BrokerProcess> {
  const args = ['broker', '--role', options.role, '--port', String(port), '--ws-port', String(wsPort)];
  if (options.primaryUrl) args.push('--primary', options.primaryUrl);
  if (options.allowAnonymous ?? true) args.push('--allow-anonymous');
  args.push(...(options.args ?? []));
  const part = await startPart({ name: `broker-${options.role}`, args, env: options.env, ready: READY, readyTimeoutMs: READY_TIMEOUT_MS });
  return {
    role: options.role,
    url: `mqtt://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${wsPort}`,
    port,
    wsPort,
    part,
    get mqttsUrl() {
      return /mqtts:\/\/\S+/.exec(part.ready[2])?.[0];
    },
    get pid() {
      return part.pid;
    },
    get running() {
      return part.running;
    },
    get exit() {
      return part.exit;
    },
    kill: (signal) => part.kill(signal),
    stop: () => part.stop(),
    restart: () => part.restart(),
    output: () => part.output(),
    mark: () => part.mark(),
    waitForOutput: (pattern, waitOptions) => part.waitForOutput(pattern, waitOptions),
  };
}
