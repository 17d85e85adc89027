// The write buffer between the pipeline and MongoDB. While MongoDB has no
// primary, updates wait here in order. Memory is bounded: past the budget the
// oldest superseded updates are dropped (loudly) and the newest state of every
// slot is always kept.
import type { SlotUpdate } from './decode.ts';

export class WriteBuffer {
  private queue: SlotUpdate[] = [];
  dropped = 0;

  constructor(private readonly budget: number) {}

  get depth(): number {
    return this.queue.length;
  }

  /** Adds an update; returns how many superseded updates were dropped to stay within budget. */
  push(update: SlotUpdate): number {
    this.queue.push(update);
    if (this.queue.length <= this.budget) return 0;
    const before = this.queue.length;
    this.compact();
    const dropped = before - this.queue.length;
    this.dropped += dropped;
    return dropped;
  }

  /** Keeps only the newest update of each slot, in the order of those newest updates. */
  private compact(): void {
    const newest = new Map<string, number>();
    this.queue.forEach((u, i) => newest.set(u.id, i));
    this.queue = this.queue.filter((u, i) => newest.get(u.id) === i);
  }

  /** The oldest `max` updates (all by default), left in place. */
  peek(max = this.queue.length): SlotUpdate[] {
    return this.queue.slice(0, max);
  }

  /**
   * Removes and returns the oldest updates, at most `max` and at most one per
   * slot (so a batch's writes commute); the writer holds them until durable.
   */
  take(max: number): SlotUpdate[] {
    const ids = new Set<string>();
    let n = 0;
    while (n < this.queue.length && n < max && !ids.has(this.queue[n].id)) ids.add(this.queue[n++].id);
    return this.queue.splice(0, n);
  }
}
