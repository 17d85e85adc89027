// Forwarding alarm changes to a webhook: one POST of JSON per change, in
// order, each bounded (timeoutMs), retried with backoff, and dropped (logged)
// after the last try or when too many wait. A dead receiver never holds the
// alarms back: the queue is bounded and nothing waits on it.
import type { AlarmChange } from './book.ts';

export interface WebhookOptions {
  url: string;
  /** Per POST, ms (default 5 000). */
  timeoutMs?: number;
  /** Tries per change (default 4: at once, then after 1, 2 and 4 s). */
  tries?: number;
  /** Changes waiting at most (default 1 000); the oldest is dropped beyond. */
  queueLimit?: number;
  logger?: { warn(obj: object, msg: string): void };
  /** For tests: the fetch to use and the wait between tries. */
  fetch?: typeof fetch;
  sleep?: (ms: number) => Promise<void>;
}

export interface Webhook {
  send(change: AlarmChange): void;
  /** Counts since start. */
  stats(): { sent: number; failed: number; dropped: number; waiting: number };
  /** Stops: waits for the POST in progress at most one timeout; what waits is dropped. */
  close(): Promise<void>;
}

export function webhook(o: WebhookOptions): Webhook {
  const timeoutMs = o.timeoutMs ?? 5000;
  const tries = o.tries ?? 4;
  const limit = o.queueLimit ?? 1000;
  const doFetch = o.fetch ?? fetch;
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref()));
  const queue: AlarmChange[] = [];
  const counts = { sent: 0, failed: 0, dropped: 0 };
  let running: Promise<void> | undefined;
  let closed = false;

  async function post(change: AlarmChange): Promise<void> {
    const body = JSON.stringify({ event: change.event, lot: change.lot, alarm: change.alarm, ...(change.payload ?? {}) });
    let last = '';
    for (let attempt = 0; attempt < tries && !closed; attempt += 1) {
      if (attempt > 0) await sleep(1000 * 2 ** (attempt - 1));
      try {
        const res = await doFetch(o.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(timeoutMs) });
        await res.body?.cancel();
        if (res.ok) {
          counts.sent += 1;
          return;
        }
        last = `HTTP ${res.status}`;
      } catch (error) {
        last = (error as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (error as Error).message;
      }
    }
    counts.failed += 1;
    o.logger?.warn({ url: o.url, lot: change.lot, alarm: change.alarm, event: change.event, error: last }, 'alarm webhook: gave up on a change');
  }

  async function drain(): Promise<void> {
    while (queue.length && !closed) await post(queue.shift()!);
    running = undefined;
  }

  return {
    send(change) {
      if (closed) return;
      queue.push(change);
      if (queue.length > limit) {
        queue.shift();
        counts.dropped += 1;
        o.logger?.warn({ url: o.url, limit }, 'alarm webhook: too many changes waiting; the oldest was dropped');
      }
      running ??= drain();
    },
    stats: () => ({ ...counts, waiting: queue.length }),
    async close() {
      closed = true;
      await Promise.race([running, sleep(timeoutMs)]);
    },
  };
}
