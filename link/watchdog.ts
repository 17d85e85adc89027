// Declares a link dead when nothing arrived on it for `timeoutMs`.
//
// The link records when it last received a packet (broker heartbeats arrive
// every ~100 ms, so a healthy link is never quiet for long). When the timer
// fires, the verdict waits for setImmediate: after an event-loop stall the
// timer phase runs before the sockets are read, and bytes that did arrive
// must count first.

export class Watchdog {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private running = false;

  constructor(
    private readonly timeoutMs: number,
    /** When something last arrived (epoch ms). */
    private readonly lastHeard: () => number,
    private readonly onDead: (silentMs: number) => void,
    private readonly now: () => number = Date.now,
  ) {}

  /** Starts watching; a timeout of 0 or less never fires. */
  start(): void {
    if (this.running || this.timeoutMs <= 0) return;
    this.running = true;
    this.arm(this.timeoutMs - (this.now() - this.lastHeard()));
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private arm(ms: number): void {
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.immediate = setImmediate(() => this.check());
    }, Math.max(1, ms));
  }

  private check(): void {
    this.immediate = undefined;
    if (!this.running) return;
    const silent = this.now() - this.lastHeard();
    if (silent >= this.timeoutMs) {
      this.running = false;
      this.onDead(silent);
      return;
    }
    this.arm(this.timeoutMs - silent);
  }
}
