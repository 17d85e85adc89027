// Open-loop rate control: how many messages are due at a given moment so that
// the average rate is `rate` per second from `startMs` on. A generator that
// fell behind (a stalled event loop, backpressure) catches up in bursts of at
// most `maxBurst`, so latency is measured against the intended schedule
// instead of the generator slowing down with the system it measures.

export class Pacer {
  private sentCount = 0;

  constructor(
    readonly rate: number,
    readonly startMs: number,
    readonly maxBurst: number = Math.max(1, Math.ceil(rate / 100)),
  ) {
    if (!(rate > 0)) throw new RangeError(`rate must be positive, got ${rate}`);
  }

  /** Messages sent so far (as committed). */
  get sent(): number {
    return this.sentCount;
  }

  /** Messages the schedule wants sent by `nowMs`. */
  target(nowMs: number): number {
    // The epsilon absorbs floating-point error: (start + d) - start is not always d.
    return Math.max(0, Math.floor(((nowMs - this.startMs) * this.rate) / 1000 + 1e-6));
  }

  /** How many to send now: what is owed, at most `maxBurst`. */
  due(nowMs: number): number {
    return Math.min(this.maxBurst, Math.max(0, this.target(nowMs) - this.sentCount));
  }

  /** Messages owed by `nowMs` beyond those sent. */
  behind(nowMs: number): number {
    return Math.max(0, this.target(nowMs) - this.sentCount);
  }

  commit(n: number): void {
    this.sentCount += n;
  }
}
