// Graceful stop of long-running commands: on SIGINT or SIGTERM run the registered cleanups
// (last registered first), then end with code 0 (1 when a cleanup failed or took too long).
// A second signal during cleanup ends the process at once. SIGHUP (`systemctl reload`) runs the
// registered reloads (a broker reads its auth file again); a command with none says so and
// keeps running, rather than dying as Node does by default.
import type { Logger } from '../log/index.ts';

export type ShutdownSignal = 'SIGINT' | 'SIGTERM';

export interface SignalSource {
  on(signal: ShutdownSignal | 'SIGHUP', listener: () => void): unknown;
  removeListener(signal: ShutdownSignal | 'SIGHUP', listener: () => void): unknown;
}

export type Cleanup = () => unknown;

export interface ShutdownOptions {
  signals?: SignalSource;
  logger?: Pick<Logger, 'info' | 'error'>;
  /** Longest time all cleanups together may take; default 10 s. */
  timeoutMs?: number;
  /** Called on a second signal while cleaning up; default `process.exit(code)`. */
  forceExit?: (code: number) => void;
}

export interface Shutdown {
  /** Registers a cleanup; cleanups run last registered first, each awaited. */
  onShutdown(cleanup: Cleanup): void;
  /** Registers what SIGHUP does (a failing reload is logged; the process keeps running). */
  onReload(reload: Cleanup): void;
  /** Starts the shutdown without a signal (e.g. a component failed); resolves like `done`. */
  shutdown(reason?: string): Promise<number>;
  /** Resolves with the exit code once a shutdown started and every cleanup ran. */
  readonly done: Promise<number>;
}

const SIGNALS: readonly ShutdownSignal[] = ['SIGINT', 'SIGTERM'];

export function createShutdown(options: ShutdownOptions = {}): Shutdown {
  const signals = options.signals ?? process;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const forceExit = options.forceExit ?? ((code: number) => process.exit(code));
  const cleanups: Cleanup[] = [];
  const reloads: Cleanup[] = [];
  let started: Promise<number> | undefined;
  let resolveDone: (code: number) => void = () => {};
  const done = new Promise<number>((resolve) => (resolveDone = resolve));

  async function runCleanups(): Promise<number> {
    let code = 0;
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch (error) {
        code = 1;
        options.logger?.error({ err: error }, 'cleanup failed');
      }
    }
    return code;
  }

  function shutdown(reason = 'shutdown'): Promise<number> {
    if (started) return started;
    options.logger?.info({ reason }, 'stopping');
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<number>((resolve) => {
      timer = setTimeout(() => {
        options.logger?.error({ timeoutMs }, 'cleanup took too long');
        resolve(1);
      }, timeoutMs);
      timer.unref?.();
    });
    started = Promise.race([runCleanups(), timeout]).then((code) => {
      clearTimeout(timer);
      for (const signal of SIGNALS) signals.removeListener(signal, onSignal[signal]);
      signals.removeListener('SIGHUP', onReloadSignal);
      resolveDone(code);
      return code;
    });
    return started;
  }

  const onSignal = Object.fromEntries(
    SIGNALS.map((signal) => [
      signal,
      () => {
        if (started) {
          options.logger?.error({ signal }, 'second signal while stopping: exiting now');
          forceExit(130);
          return;
        }
        void shutdown(signal);
      },
    ]),
  ) as Record<ShutdownSignal, () => void>;
  for (const signal of SIGNALS) signals.on(signal, onSignal[signal]);

  async function onReloadSignal(): Promise<void> {
    if (started) return;
    if (!reloads.length) {
      options.logger?.info({ signal: 'SIGHUP' }, 'SIGHUP: nothing to reload here; still running');
      return;
    }
    for (const reload of reloads) {
      try {
        await reload();
      } catch (error) {
        options.logger?.error({ err: error }, 'reload failed; still running as before');
      }
    }
  }
  signals.on('SIGHUP', onReloadSignal);

  return {
    onShutdown(cleanup: Cleanup): void {
      if (started) throw new Error('already shutting down');
      cleanups.push(cleanup);
    },
    onReload(reload: Cleanup): void {
      reloads.push(reload);
    },
    shutdown,
    done,
  };
}
