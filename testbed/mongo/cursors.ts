// Server-side cursors of one member: find and aggregate results served in
// batches, and change streams that wait for new events (awaitData).
import { Long, type Document } from 'bson';
import { Codes, ServerError } from './errors.ts';

export interface CursorSource {
  /** Up to `batchSize` documents; waits up to `maxTimeMS` when the cursor awaits data. */
  next(batchSize: number, maxTimeMS: number): Promise<Document[]>;
  readonly exhausted: boolean;
  /** Extra fields of the cursor reply, such as postBatchResumeToken. */
  extra?(): Document;
  close?(): void;
}

export class ArraySource implements CursorSource {
  private at = 0;
  constructor(private readonly docs: Document[]) {}
  async next(batchSize: number): Promise<Document[]> {
    const batch = this.docs.slice(this.at, this.at + batchSize);
    this.at += batch.length;
    return batch;
  }
  get exhausted(): boolean {
    return this.at >= this.docs.length;
  }
}

interface Entry {
  ns: string;
  source: CursorSource;
  lastUsed: number;
}

const IDLE_MS = 10 * 60 * 1000;
const DEFAULT_BATCH = 101;

export class Cursors {
  private readonly open = new Map<bigint, Entry>();
  private nextId = BigInt(Math.floor(Math.random() * 1e9)) * 1_000_000n;

  /** Runs the first batch and registers the cursor if more remains. */
  async create(ns: string, source: CursorSource, batchSize = DEFAULT_BATCH, singleBatch = false): Promise<Document> {
    const firstBatch = await source.next(batchSize, 0);
    let id = 0n;
    if (!source.exhausted && !singleBatch) {
      this.nextId += 1n;
      id = this.nextId;
      this.open.set(id, { ns, source, lastUsed: Date.now() });
    } else {
      source.close?.();
    }
    this.sweep();
    return { cursor: { firstBatch, id: Long.fromBigInt(id), ns, ...source.extra?.() }, ok: 1 };
  }

  async getMore(id: bigint, ns: string, batchSize: number | undefined, maxTimeMS: number): Promise<Document> {
    const entry = this.open.get(id);
    if (!entry) throw new ServerError(Codes.CursorNotFound, `cursor id ${id} not found`);
    if (entry.ns !== ns) throw new ServerError(Codes.Unauthorized, `Requested getMore on namespace '${ns}', but cursor belongs to a different namespace ${entry.ns}`);
    entry.lastUsed = Date.now();
    const nextBatch = await entry.source.next(batchSize ?? Number.MAX_SAFE_INTEGER, maxTimeMS);
    let replyId = id;
    if (entry.source.exhausted) {
      this.kill(id);
      replyId = 0n;
    }
    return { cursor: { nextBatch, id: Long.fromBigInt(replyId), ns, ...entry.source.extra?.() }, ok: 1 };
  }

  kill(id: bigint): boolean {
    const entry = this.open.get(id);
    if (!entry) return false;
    entry.source.close?.();
    this.open.delete(id);
    return true;
  }

  clear(): void {
    for (const id of [...this.open.keys()]) this.kill(id);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [id, entry] of this.open) if (now - entry.lastUsed > IDLE_MS) this.kill(id);
  }
}
