// Retrying MongoDB work through elections and outages: which errors are worth a retry,
// and a backoff loop. The work retried must be idempotent (billing's writes are, by event
// id), since an attempt that failed without an answer may have been applied.
import { MongoDeadlineError } from './bound.ts';
import { MongoError, MongoNetworkError, MongoOperationTimeoutError, MongoServerClosedError, MongoServerSelectionError, MongoStalePrimaryError } from 'mongodb';

/** Server error codes that mean "no primary right now" or "connection going away". */
const TRANSIENT_CODES = new Set([
  6, // HostUnreachable
  7, // HostNotFound
  89, // NetworkTimeout
  91, // ShutdownInProgress
  189, // PrimarySteppedDown
  262, // ExceededTimeLimit
  9001, // SocketException
  10107, // NotWritablePrimary
  11600, // InterruptedAtShutdown
  11602, // InterruptedDueToReplStateChange
  13435, // NotPrimaryNoSecondaryOk
  13436, // NotPrimaryOrSecondary
]);

/** True for errors a later attempt may not see: network errors, elections, no primary. */
export function isTransient(err: unknown): boolean {
  // Network errors include a cleared connection pool (PoolClearedError).
  const transientKinds = [MongoDeadlineError, MongoNetworkError, MongoServerSelectionError, MongoServerClosedError, MongoOperationTimeoutError, MongoStalePrimaryError];
  if (transientKinds.some((kind) => err instanceof kind)) return true;
  if (!(err instanceof MongoError)) return false;
  if (err.hasErrorLabel('RetryableWriteError') || err.hasErrorLabel('TransientTransactionError') || err.hasErrorLabel('ResetPool')) return true;
  return typeof err.code === 'number' && TRANSIENT_CODES.has(err.code);
}

/** Codes of a server that refused a write before applying any of it. */
const REFUSED_CODES = new Set([10107, 13435, 13436]);

/**
 * True when a failed write certainly changed nothing: it never reached a server (no server
 * could be selected) or the server refused it as not primary. Any other failure (a lost
 * connection, a deadline, a write-concern error) may have left it applied.
 */
export function certainlyNotApplied(err: unknown): boolean {
  if (err instanceof MongoServerSelectionError) return true;
  if (!(err instanceof MongoError) || err instanceof MongoNetworkError) return false;
  return typeof err.code === 'number' && REFUSED_CODES.has(err.code) && !('writeConcernError' in err && err.writeConcernError);
}

export interface RetryOptions {
  /** First delay, ms; doubles up to maxDelayMs (with ±25% jitter). */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Give up after this long, ms (the last error is thrown); Infinity = until aborted. */
  deadlineMs: number;
  signal?: AbortSignal;
  /** Called before each wait. */
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void;
}

export const DEFAULT_RETRY: RetryOptions = { initialDelayMs: 100, maxDelayMs: 2000, deadlineMs: 5 * 60_000 };

export class RetryAborted extends Error {
  override readonly name = 'RetryAborted';
  constructor(readonly lastError: unknown) {
    super(`stopped while retrying: ${(lastError as Error)?.message ?? String(lastError)}`);
  }
}

function wait(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Runs `work` until it succeeds, retrying transient errors with backoff; other errors are thrown at once. */
export async function withRetry<T>(work: (attempt: number) => Promise<T>, options: Partial<RetryOptions> = {}): Promise<T> {
  const o = { ...DEFAULT_RETRY, ...options };
  const started = Date.now();
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await work(attempt);
    } catch (error) {
      if (o.signal?.aborted) throw new RetryAborted(error);
      if (!isTransient(error)) throw error;
      const base = Math.min(o.maxDelayMs, o.initialDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.round(base * (0.75 + Math.random() / 2));
      if (Date.now() + delayMs - started > o.deadlineMs) throw error;
      o.onRetry?.({ attempt, delayMs, error });
      await wait(delayMs, o.signal);
      if (o.signal?.aborted) throw new RetryAborted(error);
    }
  }
}
