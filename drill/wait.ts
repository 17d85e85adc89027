// Waiting with a deadline: on events where the thing waited for has them,
// re-checking a condition where it has none.
import type { EventEmitter } from 'node:events';

export class DeadlineError extends Error {
  override readonly name = 'DeadlineError';
}

export class AbortedError extends Error {
  override readonly name = 'AbortedError';
}

export interface WaitOptions {
  timeoutMs: number;
  /** For the error message (a function: said as things stand at the deadline). */
  what: string | (() => string);
  /** Re-check on each of these events. */
  on?: ReadonlyArray<readonly [EventEmitter<any>, string]>;
  /** Subscribe-style sources (returning their unsubscribe), e.g. `ledger.onChange`. */
  subscribe?: ReadonlyArray<(listener: () => void) => () => void>;
  /** Also re-check this often, for state that has no event (proxy connection counts), ms. */
  pollMs?: number;
  /** Re-check at most once per this many ms however often events come (costly checks), ms. */
  throttleMs?: number;
  signal?: AbortSignal;
}

/** Resolves with `check()`'s first truthy value; rejects with a DeadlineError after `timeoutMs`. */
export function waitFor<T>(check: () => T | undefined | null | false, options: WaitOptions): Promise<T> {
  if (options.signal?.aborted) return Promise.reject(new AbortedError('the drill was interrupted'));
  const first = check();
  if (first) return Promise.resolve(first);
  return new Promise<T>((resolve, reject) => {
    const unsubscribers: Array<() => void> = [];
    const finish = (fn: () => void) => {
      clearTimeout(timer);
      clearTimeout(pending);
      if (poll) clearInterval(poll);
      for (const [emitter, event] of options.on ?? []) emitter.off(event, recheck);
      for (const off of unsubscribers) off();
      options.signal?.removeEventListener('abort', onAbort);
      fn();
    };
    let pending: ReturnType<typeof setTimeout> | undefined;
    const checkNow = () => {
      pending = undefined;
      const value = check();
      if (value) finish(() => resolve(value));
    };
    const recheck = () => {
      if (!options.throttleMs) return checkNow();
      pending ??= setTimeout(checkNow, options.throttleMs);
    };
    const onAbort = () => finish(() => reject(new AbortedError('the drill was interrupted')));
    const timer = setTimeout(() => finish(() => reject(new DeadlineError(`not within ${options.timeoutMs} ms: ${typeof options.what === 'function' ? options.what() : options.what}`))), options.timeoutMs);
    const poll = options.pollMs ? setInterval(recheck, options.pollMs) : undefined;
    for (const [emitter, event] of options.on ?? []) emitter.on(event, recheck);
    for (const source of options.subscribe ?? []) unsubscribers.push(source(recheck));
    options.signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A fixed span of time: a measurement window (the drill measures over windows of time), or
 * the rest of a period with a known end and no event (a stepdown's freeze). Not a wait for an
 * event. Rejects at once when `signal` aborts.
 */
export function measureFor(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortedError('the drill was interrupted'));
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError('the drill was interrupted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** `promise`, or `fallback` once `timeoutMs` passed. */
export async function within<T, F>(promise: Promise<T>, timeoutMs: number, fallback: F): Promise<T | F> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback), timeoutMs);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}
