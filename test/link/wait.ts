// Waiting on events and conditions in tests, always with a deadline.
import type { EventEmitter } from 'node:events';

/** Resolves when `check()` holds: re-checked on each of `on`'s events and every 5 ms; rejects after `timeoutMs` with `what()`. */
export function until(check: () => boolean, options: { timeoutMs?: number; what?: () => string; on?: Array<[EventEmitter, string]> } = {}): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 5000;
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const recheck = () => {
      if (!check()) return;
      cleanup();
      resolve();
    };
    const poll = setInterval(recheck, 5);
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`not reached within ${timeoutMs} ms: ${options.what?.() ?? 'condition'}`));
    }, timeoutMs);
    for (const [emitter, event] of options.on ?? []) emitter.on(event, recheck);
    function cleanup() {
      clearInterval(poll);
      clearTimeout(timer);
      for (const [emitter, event] of options.on ?? []) emitter.off(event, recheck);
    }
  });
}

/** The arguments of the next `event` (matching `filter`), or a rejection after `timeoutMs`. */
export function next<A extends unknown[]>(emitter: EventEmitter<any>, event: string, options: { timeoutMs?: number; filter?: (...args: A) => boolean } = {}): Promise<A> {
  const timeoutMs = options.timeoutMs ?? 5000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, listener);
      reject(new Error(`no ${event} event within ${timeoutMs} ms`));
    }, timeoutMs);
    const listener = (...args: unknown[]) => {
      if (options.filter && !options.filter(...(args as A))) return;
      clearTimeout(timer);
      emitter.off(event, listener);
      resolve(args as A);
    };
    emitter.on(event, listener);
  });
}

/** Numbers in 1..n missing from `seen`. */
export function missing(n: number, seen: Iterable<number>): number[] {
  const set = new Set(seen);
  const out: number[] = [];
  for (let i = 1; i <= n; i++) if (!set.has(i)) out.push(i);
  return out;
}
