// The edge where updates become durable: takes batches from the buffer and
// writes them, retrying with backoff through elections and outages, in order.
//
// Two steps per batch, one MongoDB write in flight at a time: the slot
// states, then their history, then the next batch's slot states. Both kinds
// of write stay in the order of the buffer. Every write has a deadline
// (mongo/bound.ts): one that never answers is abandoned and tried again, and
// `stop` ends the one in flight at once.
import type { Logger } from 'pino';
import { bounded, certainlyNotApplied, MongoDeadlineError, unlimited } from '../mongo/index.ts';
import type { SlotUpdate } from './decode.ts';
import type { WriteBuffer } from './buffer.ts';
import { observe, type IngestMetrics } from './metrics.ts';
import { historyRecord, writeHistory, writeSlots, type BatchResult, type IngestCollections, type SlotEventDoc } from './store.ts';

export interface WriterOptions {
  maxBatch: number;
  /** First retry delay; doubles up to maxBackoffMs. */
  backoffMs: number;
  maxBackoffMs: number;
  /** Deadline of one write, ms. */
  writeTimeoutMs: number;
}

export interface WriterEvents {
  /** The batch's slot states are durable (`applied`: those the guard let through); its history may still be in flight. */
  onSlotsDurable?(applied: SlotUpdate[]): void;
  /** The batch's history is durable too (`batch`: every update the batch took from the buffer). */
  onDurable?(applied: SlotUpdate[], batch: SlotUpdate[]): void;
}

/** What is not durable yet: slot states to write (oldest first) and history records to store. */
export interface Pending {
  slots: SlotUpdate[];
  /** Of `slots`, those a write may already have applied (it failed without an answer). */
  maybeApplied: SlotUpdate[];
  history: SlotEventDoc[];
}

interface HistoryEntry {
  batch: SlotUpdate[];
  result: BatchResult;
  started: number;
}

export class Writer {
  private running?: Promise<void>;
  private stopped = false;
  private readonly stopping = unlimited(new AbortController());
  /** The slot batch being written, until durable. */
  private inFlight?: SlotUpdate[];
  /** Updates a write may have applied before this writer started (recovered after a shutdown). */
  private readonly maybeApplied = new Set<SlotUpdate>();
  /** Batches whose slot states are durable and whose history is not yet written, oldest first. */
  private readonly historyQueue: HistoryEntry[] = [];
  /** The history records being written, until durable. */
  private historyInFlight?: { entries: HistoryEntry[]; records: SlotEventDoc[] };
  /** Recovered history records of an earlier run, written before anything else. */
  private recoveredHistory: SlotEventDoc[] = [];
  /** The history writer while it runs: true once the queue is empty, false when stopped first. */
  private history?: Promise<boolean>;
  /** Wakes a drain waiting on its last history write: more updates are buffered. */
  private arrived?: () => void;

  constructor(
    private readonly buffer: WriteBuffer,
    private readonly collections: () => Promise<IngestCollections>,
    private readonly metrics: IngestMetrics,
    private readonly logger: Logger,
    private readonly events: WriterEvents,
    private readonly options: WriterOptions,
  ) {}

  /** Takes over what an earlier run left: its history records are written first, `maybeApplied` are checked as retries. */
  recover(pending: Pending): void {
    for (const u of pending.maybeApplied) this.maybeApplied.add(u);
    this.recoveredHistory.push(...pending.history);
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
    while ((this.buffer.depth > 0 || this.running || this.recoveredHistory.length) && !this.stopped) await this.kick();
  }

  /** Stops writing; the write in flight is abandoned at once. */
  stop(): void {
    this.stopped = true;
    this.stopping.abort(new Error('ingest stopped'));
    this.arrived?.();
  }

  /** Everything accepted and not yet durable, oldest first (for a shutdown that cannot wait). */
  pending(): Pending {
    const slots = [...(this.inFlight ?? []), ...this.buffer.peek()];
    const maybeApplied = [...(this.inFlight ?? [])];
    const queued = this.historyQueue.flatMap((e) => e.result.applied.map(historyRecord));
    const history = [...this.recoveredHistory, ...(this.historyInFlight?.records ?? []), ...queued];
    return { slots, maybeApplied, history };
  }

  /** When the oldest update not yet durable (state or history) was received, epoch ms; undefined when all are durable. */
  oldestPendingAt(): number | undefined {
    const first = this.historyInFlight?.entries[0]?.batch[0] ?? this.historyQueue[0]?.batch[0] ?? this.inFlight?.[0] ?? this.buffer.peek(1)[0];
    if (first) return first.receivedAt;
    return this.recoveredHistory[0]?.receivedAt.getTime();
  }

  private async drain(): Promise<void> {
    if (this.recoveredHistory.length && !(await this.writeRecoveredHistory())) return;
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
      if (this.stopped) return;
      const batch = this.buffer.take(this.options.maxBatch);
      this.inFlight = batch;
      this.metrics.bufferDepth = this.buffer.depth;
      const started = Date.now();
      const recovered = batch.some((u) => this.maybeApplied.has(u));
      // A retry after a failure without an answer checks what the failed attempt applied.
      const result = await this.untilDurable('slot write', batch.length, async (uncertain, signal) => writeSlots(await this.collections(), batch, uncertain || recovered, signal));
      if (!result) return;
      this.inFlight = undefined;
      if (recovered) for (const u of batch) this.maybeApplied.delete(u);
      this.events.onSlotsDurable?.(result.applied);
      if (result.applied.length === 0) {
        this.account([{ batch, result, started }], Date.now());
        continue;
      }
      this.historyQueue.push({ batch, result, started });
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
      const records = entries.flatMap((e) => e.result.applied.map(historyRecord));
      this.historyInFlight = { entries, records };
      const written = await this.untilDurable('history write', records.length, async (uncertain, signal) => writeHistory(await this.collections(), records, uncertain, signal).then(() => true as const));
      if (!written) return false;
      this.historyInFlight = undefined;
      this.account(entries, Date.now());
    }
    return true;
  }

  private async writeRecoveredHistory(): Promise<boolean> {
    const records = this.recoveredHistory;
    // Written by an earlier run's attempt, perhaps: look them up first.
    const written = await this.untilDurable('recovered history write', records.length, async (_uncertain, signal) => writeHistory(await this.collections(), records, true, signal).then(() => true as const));
    if (written) this.recoveredHistory = [];
    return !!written;
  }

  private account(entries: HistoryEntry[], now: number): void {
    for (const { batch, result, started } of entries) {
      observe(this.metrics.writeLatencyMs, now - started);
      this.metrics.batches += 1;
      observe(this.metrics.batchSizes, batch.length);
      this.metrics.superseded += result.superseded;
      this.events.onDurable?.(result.applied, batch);
    }
    this.metrics.lastWriteAt = now;
  }

  /**
   * Runs `attempt` under the write deadline until it succeeds (undefined once stopped),
   * backing off between failures. A deadline that passed is retried at once: the time
   * is already spent. `uncertain` tells an attempt that an earlier one failed in a way
   * that may have applied it.
   */
  private async untilDurable<T>(what: string, size: number, attempt: (uncertain: boolean, signal: AbortSignal) => Promise<T>): Promise<T | undefined> {
    let tries = 0;
    let uncertain = false;
    let firstFailure: number | undefined;
    while (!this.stopped) {
      const started = Date.now();
      try {
        const result = await bounded(what, this.options.writeTimeoutMs, (signal) => attempt(uncertain, signal), this.stopping.signal);
        if (firstFailure !== undefined) {
          this.logger.info({ outageMs: Date.now() - firstFailure, attempts: tries + 1, buffered: this.buffer.depth }, 'ingest: MongoDB writable again, catching up');
        }
        return result;
      } catch (err) {
        if (this.stopped) break;
        this.metrics.writeErrors += 1;
        firstFailure ??= started;
        uncertain ||= !certainlyNotApplied(err);
        const timedOut = err instanceof MongoDeadlineError;
        const delay = timedOut ? 0 : Math.min(this.options.maxBackoffMs, this.options.backoffMs * 2 ** tries) * (0.75 + Math.random() / 2);
        const log = tries === 0 ? 'warn' : 'debug';
        this.logger[log]({ err: (err as Error).message, attempt: tries + 1, retryInMs: Math.round(delay), buffered: this.buffer.depth + size }, `ingest: ${what} failed; buffering and retrying`);
        tries += 1;
        if (delay > 0) await this.pause(delay);
      }
    }
    return undefined;
  }

  /** Waits `ms`, or less when stopped. */
  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const signal = this.stopping.signal;
      signal.addEventListener('abort', done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      }
    });
  }
}
