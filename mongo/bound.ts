// A deadline for every MongoDB operation of the platform.
//
// The driver (7.x) has no working per-operation timeout: `timeoutMS` is accepted and
// ignored, and `socketTimeoutMS` does not cover the wait for a full socket to drain. A
// command larger than the socket's high-water mark (16 KiB) that goes out in the turn a
// dying server's FIN is read waits for a 'drain' event that never comes, and the operation
// never settles (test/ingest/hang.test.ts reproduces it). What the driver does honour at
// every step (server selection, connection checkout, the socket write and the read) is an
// AbortSignal: `bounded` gives each operation one that aborts at its deadline, and also
// rejects by itself at the deadline should some path ignore the signal.
import { setMaxListeners } from 'node:events';
import type { Abortable } from 'mongodb';

/** Default deadline of one MongoDB operation, ms. */
export const OPERATION_TIMEOUT_MS = 10_000;

/** An operation did not finish within its deadline; it may or may not have been applied. */
export class MongoDeadlineError extends Error {
  override readonly name = 'MongoDeadlineError';
  constructor(
    readonly operation: string,
    readonly timeoutMs: number,
  ) {
    super(`MongoDB ${operation} did not finish within ${timeoutMs} ms`);
  }
}

/** Driver options plus the AbortSignal every operation accepts at run time (some option types omit it). */
export type WithSignal<T> = T & Abortable;

/**
 * Runs `op` with a signal that aborts after `timeoutMs` (or when `stop` aborts first). The
 * result is `op`'s, or a MongoDeadlineError at the deadline (the stop signal's reason when
 * stopped), whether or not the driver noticed the signal.
 */
export async function bounded<T>(operation: string, timeoutMs: number, op: (signal: AbortSignal) => Promise<T>, stop?: AbortSignal): Promise<T> {
  const deadline = new AbortController();
  const signal = stop ? AbortSignal.any([deadline.signal, stop]) : deadline.signal;
  let rejectAborted!: (reason: unknown) => void;
  const aborted = new Promise<never>((_, reject) => (rejectAborted = reject));
  const onAbort = () => rejectAborted(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => deadline.abort(new MongoDeadlineError(operation, timeoutMs)), timeoutMs);
  try {
    if (signal.aborted) throw signal.reason;
    return await Promise.race([op(signal), aborted]);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
}

/**
 * True when `p` settles (either way) within `ms`, false otherwise; `p` keeps running. For
 * what a stop waits for at most: MongoDB taking the last writes, a client closing.
 */
export function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([p.then(() => true, () => true), late]).finally(() => clearTimeout(timer));
}

/** `controller`, whose signal any number of operations may listen to (a stop signal shared by all waiting work). */
export function unlimited(controller: AbortController): AbortController {
  setMaxListeners(0, controller.signal);
  return controller;
}
