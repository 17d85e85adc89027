// One direction of one proxied connection: a FIFO of chunks, each released
// at its shaped time, in order, unless the link is partitioned (then dropped).
import type { Socket } from 'node:net';

type Item =
  | { at: number; kind: 'data'; data: Buffer }
  | { at: number; kind: 'end' }
  | { at: number; kind: 'reset' };

export interface PipeHooks {
  /** The socket bytes go to (undefined while not yet connected: bytes are dropped). */
  dest(): Socket | undefined;
  /** The socket bytes come from (paused under backpressure). */
  source(): Socket | undefined;
  /** Release time for a chunk arriving now, given this direction's previous release. */
  releaseAt(previous: number, now: number): number;
  partitioned(): boolean;
  forwarded(bytes: number): void;
  dropped(bytes: number): void;
  /** The source ended (FIN) and everything before it was delivered: end dest. */
  onEnd(): void;
  /** The source broke (RST, or closed without FIN): tear the connection down. */
  onReset(): void;
  /** An end/reset marker came due during a partition: it is held back for heal(). */
  onLostSignal(kind: 'end' | 'reset'): void;
}

/** Pause the source when this much is queued, resume below a quarter of it. */
const HIGH_WATER = 1 << 20;

export class DirectionPipe {
  private readonly items: Item[] = [];
  private last = 0;
  private timer: NodeJS.Timeout | undefined;
  private queued = 0;
  private pausedForQueue = false;
  private pausedForDrain = false;

  constructor(private readonly hooks: PipeHooks) {}

  get pending(): number {
    return this.items.length;
  }

  push(data: Buffer): void {
    if (this.hooks.partitioned()) {
      this.hooks.dropped(data.length);
      return;
    }
    const now = Date.now();
    const at = this.hooks.releaseAt(this.last, now);
    this.last = at;
    if (!this.items.length && at <= now) {
      this.write(data);
      return;
    }
    this.items.push({ at, kind: 'data', data });
    this.queued += data.length;
    if (this.queued > HIGH_WATER && !this.pausedForQueue) {
      this.pausedForQueue = true;
      this.hooks.source()?.pause();
    }
    this.schedule();
  }

  /** Queue a FIN (or a reset) behind the data already queued. */
  pushSignal(kind: 'end' | 'reset'): void {
    const now = Date.now();
    const at = Math.max(this.last, now);
    this.last = at;
    this.items.push({ at, kind });
    if (this.items.length === 1 && at <= now) this.flush();
    else this.schedule();
  }

  /** Forget everything queued (connection torn down). */
  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.items.length = 0;
    this.queued = 0;
  }

  private schedule(): void {
    if (this.timer || !this.items.length) return;
    const wait = Math.max(0, this.items[0].at - Date.now());
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flush();
    }, wait);
  }

  private flush(): void {
    const now = Date.now();
    while (this.items.length && this.items[0].at <= now) {
      const item = this.items.shift() as Item;
      if (item.kind === 'data') {
        this.queued -= item.data.length;
        if (this.hooks.partitioned()) this.hooks.dropped(item.data.length);
        else this.write(item.data);
      } else if (this.hooks.partitioned()) {
        this.hooks.onLostSignal(item.kind);
      } else if (item.kind === 'end') {
        this.hooks.onEnd();
      } else {
        this.hooks.onReset();
        return;
      }
    }
    if (this.pausedForQueue && this.queued < HIGH_WATER / 4) {
      this.pausedForQueue = false;
      this.maybeResume();
    }
    this.schedule();
  }

  private write(data: Buffer): void {
    const dest = this.hooks.dest();
    if (!dest || dest.destroyed || !dest.writable) {
      this.hooks.dropped(data.length);
      return;
    }
    this.hooks.forwarded(data.length);
    if (!dest.write(data) && !this.pausedForDrain) {
      this.pausedForDrain = true;
      this.hooks.source()?.pause();
      dest.once('drain', () => {
        this.pausedForDrain = false;
        this.maybeResume();
      });
    }
  }

  private maybeResume(): void {
    if (!this.pausedForQueue && !this.pausedForDrain) this.hooks.source()?.resume();
  }
}
