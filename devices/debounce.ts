// Debouncing a sensor: a new reading becomes the state only after it held for
// `holdMs` without changing. A flapping sensor publishes nothing until it
// settles. Pure logic; time comes from a Scheduler.

export interface Scheduler {
  now(): number;
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

export const realScheduler: Scheduler = {
  now: () => Date.now(),
  setTimer: (fn, ms) => setTimeout(fn, ms),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export class Debouncer<T> {
  private stableValue: T | undefined;
  private candidate: { value: T; since: number } | undefined;
  private timer: unknown;
  private stopped = false;

  /** `onStable(value, since)`: the reading changed and held; `since` is when the sensor first saw it. */
  constructor(
    readonly holdMs: number,
    private readonly onStable: (value: T, since: number) => void,
    private readonly scheduler: Scheduler = realScheduler,
  ) {}

  /** The last settled value (undefined before the first one). */
  get stable(): T | undefined {
    return this.stableValue;
  }

  /** A reading is waiting to settle. */
  get pending(): boolean {
    return this.candidate !== undefined;
  }

  input(value: T, at: number = this.scheduler.now()): void {
    if (this.stopped) return;
    if (this.candidate && Object.is(this.candidate.value, value)) return;
    this.cancel();
    // Back to the settled value before the hold ran out: nothing happened.
    if (this.stableValue !== undefined && Object.is(this.stableValue, value)) return;
    this.candidate = { value, since: at };
    if (this.holdMs <= 0) {
      this.commit();
      return;
    }
    this.timer = this.scheduler.setTimer(() => {
      this.timer = undefined;
      this.commit();
    }, this.holdMs);
  }

  /** Settles the waiting reading now (the input ended: its last reading stands). */
  flush(): void {
    if (this.candidate) {
      this.cancel(false);
      this.commit();
    }
  }

  stop(): void {
    this.stopped = true;
    this.cancel();
  }

  private cancel(forget = true): void {
    if (this.timer !== undefined) this.scheduler.clearTimer(this.timer);
    this.timer = undefined;
    if (forget) this.candidate = undefined;
  }

  private commit(): void {
    const candidate = this.candidate;
    this.candidate = undefined;
    if (!candidate) return;
    this.stableValue = candidate.value;
    this.onStable(candidate.value, candidate.since);
  }
}
