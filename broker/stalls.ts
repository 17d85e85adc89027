// A broker whose event loop stops cannot acknowledge anything meanwhile: each
// device with a publish in flight waits, and past its deadline (300 ms) it may
// leave for the other broker. Such a stop is logged (a warning with how long
// the loop waited), so an operator who sees devices move knows why.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Logger } from 'pino';

/** Loop delays at least this long are logged. */
export const STALL_WARN_MS = 250;

/** Watches the event loop; returns the stop. Checks once a second; a 20 ms sampling timer while it runs. */
export function watchStalls(logger: Pick<Logger, 'warn'> | undefined, thresholdMs = STALL_WARN_MS): () => void {
  if (!logger || thresholdMs <= 0) return () => {};
  const delays = monitorEventLoopDelay({ resolution: 20 });
  delays.enable();
  const timer = setInterval(() => {
    const maxMs = delays.max / 1e6;
    delays.reset();
    if (maxMs >= thresholdMs) logger.warn({ delayMs: Math.round(maxMs) }, 'event loop blocked: nothing was acknowledged meanwhile');
  }, 1000);
  timer.unref();
  return () => {
    clearInterval(timer);
    delays.disable();
  };
}
