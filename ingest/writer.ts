// The edge where updates become durable: takes batches from the buffer and
// writes them, retrying with backoff through elections and outages, in order.
import type { Logger } from 'pino';
import type { SlotUpdate } from './decode.ts';
import type { WriteBuffer } from './buffer.ts';
import { observe, type IngestMetrics } from './metrics.ts';
import { writeBatch, type BatchResult, type IngestCollections } from './store.ts';

export interface WriterOptions {
  maxBatch: number;
  /** First retry delay; doubles up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
}

export class Writer {
  private running?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly buffer: WriteBuffer,
    private readonly collections: IngestCollections,
    private readonly metrics: IngestMetrics,
    private readonly logger: Logger,
    private readonly onDurable: (applied: SlotUpdate[]) => void,
    private readonly options: WriterOptions,
  ) {}

  /** Starts writing if not already; resolves when the buffer is empty. */
  kick(): Promise<void> {
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
    while (!this.stopped && this.buffer.depth > 0) {
      const batch = this.buffer.take(this.options.maxBatch);
      this.metrics.bufferDepth = this.buffer.depth;
      const result = await this.writeUntilDurable(batch);
      if (!result) return;
      this.metrics.batches += 1;
      observe(this.metrics.batchSizes, batch.length);
      this.metrics.superseded += result.superseded;
      const now = Date.now();
      this.metrics.lastWriteAt = now;
      const newest = batch[batch.length - 1];
      this.metrics.lagMs = now - Math.min(newest.ts, newest.receivedAt);
      this.onDurable(result.applied);
    }
    this.metrics.bufferDepth = this.buffer.depth;
  }

  private async writeUntilDurable(batch: SlotUpdate[]): Promise<BatchResult | undefined> {
    let attempt = 0;
    let firstFailure: number | undefined;
    while (!this.stopped) {
      const started = Date.now();
      try {
        const result = await writeBatch(this.collections, batch, attempt > 0);
        observe(this.metrics.writeLatencyMs, Date.now() - started);
        if (firstFailure !== undefined) {
          this.logger.info({ outageMs: Date.now() - firstFailure, attempts: attempt + 1, buffered: this.buffer.depth }, 'ingest: MongoDB writable again, catching up');
        }
        return result;
      } catch (err) {
        this.metrics.writeErrors += 1;
        firstFailure ??= started;
        const delay = Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** attempt) * (0.75 + Math.random() / 2);
        const log = attempt === 0 ? 'warn' : 'debug';
        this.logger[log]({ err: (err as Error).message, attempt: attempt + 1, retryInMs: Math.round(delay), buffered: this.buffer.depth + batch.length }, 'ingest: write failed; buffering and retrying');
        attempt += 1;
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
    return undefined;
  }
}
