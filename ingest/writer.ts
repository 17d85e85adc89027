// The edge where updates become durable: takes batches from the buffer and
// writes them, retrying with backoff through elections and outages, in order.
//
// Two steps per batch, one MongoDB write in flight at a time: the slot
// states (availability follows as soon as they are durable), then their
// history, then the next batch's slot states. Both kinds of write stay in
// the order of the buffer.
import type { Logger } from 'pino';
import type { SlotUpdate } from './decode.ts';
import type { WriteBuffer } from './buffer.ts';
import { observe, type IngestMetrics } from './metrics.ts';
import { writeHistory, writeSlots, type BatchResult, type IngestCollections } from './store.ts';

export interface WriterOptions {
  maxBatch: number;
  /** First retry delay; doubles up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
}

export interface WriterEvents {
  /** The batch's slot states are durable (`applied`: those the guard let through); its history may still be in flight. */
  onSlotsDurable(applied: SlotUpdate[]): void;
  /** The batch's history is durable too. */
  onDurable?(applied: SlotUpdate[]): void;
}

export class Writer {
  private running?: Promise<void>;
  private stopped = false;
  /** Batches whose slot states are durable and whose history is not yet written, oldest first. */
  private readonly historyQueue: Array<{ batch: SlotUpdate[]; result: BatchResult; started: number }> = [];
  /** Updates in historyQueue. */
  private historyQueued = 0;
  /** The history writer while it runs: true once the queue is empty, false when stopped first. */
  private history?: Promise<boolean>;
  /** Wakes a drain waiting on its last history write: more updates are buffered. */
  private arrived?: () => void;
  private readonly events: WriterEvents;

  constructor(
    private readonly buffer: WriteBuffer,
    private readonly collections: IngestCollections,
    private readonly metrics: IngestMetrics,
    private readonly logger: Logger,
    events: WriterEvents | ((applied: SlotUpdate[]) => void),
    private readonly options: WriterOptions,
  ) {
    this.events = typeof events === 'function' ? { onSlotsDurable: events } : events;
  }

  /** Starts writing if not already; resolves when the buffer is empty and everything taken is durable. */
  kick(): Promise<void> {
    this.arrived?.();
    this.running ??= this.drain().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  /** Waits for everything buffered to be durable. */
  async flush(): Promise<void> {
    while (this.buffer.depth > 0 || this.running) await this.kick();
  }

  stop(): void {
    this.stopped = true;
  }

  private async drain(): Promise<void> {
    while (!this.stopped) {
      if (this.buffer.depth === 0) {
        const history = this.history;
        if (!history) break;
        // Updates that arrive while the last history write is in flight are written at once, by this same loop.
        const arrival = new Promise<'arrived'>((resolve) => (this.arrived = () => resolve('arrived')));
        const first = await Promise.race([history, arrival]);
        this.arrived = undefined;
        if (first === false) break;
        continue;
      }
      // Let the messages already read in this turn of the event loop join the batch: a burst becomes one write, not a write of its first update and another of the rest.
      await new Promise<void>((resolve) => setImmediate(resolve));
      // One MongoDB write in flight at a time: the next slot write waits for the history write before it.
      if (this.history && !(await this.history)) return;
      const batch = this.buffer.take(this.options.maxBatch);
      this.metrics.bufferDepth = this.buffer.depth;
      const started = Date.now();
      // A retry after a failure without an answer checks what the failed attempt applied.
      const result = await this.untilDurable(batch.length, (tries) => writeSlots(this.collections, batch, tries > 0));
      if (!result) break;
      this.events.onSlotsDurable(result.applied);
      this.historyQueue.push({ batch, result, started });
      this.historyQueued += result.applied.length;
      this.history ??= this.writeHistories().finally(() => {
        this.history = undefined;
      });
    }
    this.metrics.bufferDepth = this.buffer.depth;
  }

  /**
   * Writes the history of every batch whose slot states are durable, oldest
   * first: what queued up while one history write was in flight goes in the
   * next, as one write. True once the queue is empty, false when stopped first.
   */
  private async writeHistories(): Promise<boolean> {
    while (this.historyQueue.length) {
      const entries = this.historyQueue.splice(0);
      const applied = entries.length === 1 ? entries[0].result.applied : entries.flatMap((e) => e.result.applied);
      const written = await this.untilDurable(applied.length, () => writeHistory(this.collections, applied).then(() => true as const));
      if (!written) return false;
      this.historyQueued -= applied.length;
      const now = Date.now();
      for (const { batch, result, started } of entries) {
        observe(this.metrics.writeLatencyMs, now - started);
        this.metrics.batches += 1;
        observe(this.metrics.batchSizes, batch.length);
        this.metrics.superseded += result.superseded;
        const newest = batch[batch.length - 1];
        this.metrics.lagMs = now - Math.min(newest.ts, newest.receivedAt);
        this.events.onDurable?.(result.applied);
      }
      this.metrics.lastWriteAt = now;
    }
    return true;
  }

  /** Runs `attempt` until it succeeds (undefined once stopped), backing off between failures. */
  private async untilDurable<T>(size: number, attempt: (tries: number) => Promise<T>): Promise<T | undefined> {
    let tries = 0;
    let firstFailure: number | undefined;
    while (!this.stopped) {
      const started = Date.now();
      try {
        const result = await attempt(tries);
        if (firstFailure !== undefined) {
          this.logger.info({ outageMs: Date.now() - firstFailure, attempts: tries + 1, buffered: this.buffer.depth }, 'ingest: MongoDB writable again, catching up');
        }
        return result;
      } catch (err) {
        this.metrics.writeErrors += 1;
        firstFailure ??= started;
        const delay = Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** tries) * (0.75 + Math.random() / 2);
        const log = tries === 0 ? 'warn' : 'debug';
        this.logger[log]({ err: (err as Error).message, attempt: tries + 1, retryInMs: Math.round(delay), buffered: this.buffer.depth + size }, 'ingest: write failed; buffering and retrying');
        tries += 1;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    return undefined;
  }
}
