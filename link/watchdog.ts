// Declares a link dead when nothing arrived on it for a timeout.
//
// The link records when it last received a packet. When the timer fires, the
// verdict waits for setImmediate: after an event-loop stall the timer phase
// runs before the sockets are read, and bytes that did arrive must count
// first.
//
// A stall of this process says nothing about the broker: while the loop was
// blocked nothing could be read, and a broker in the same process (`parking
// start` runs them together) could not send its heartbeats either. When the
// timer fired at least half a timeout late, or the event loop was busy for
// nearly all of the wait (Node-RED loading its nodes at start-up is a run of
// short blocks, not one long one), a silent link gets one fresh window before
// the verdict. Once per silence, so a process that stays that busy still
// notices a dead broker, one timeout later.

import { performance, type EventLoopUtilization } from 'node:perf_hooks';

/** Share of a wait the event loop spent running code, above which the wait does not count as silence. */
export const BUSY_LOOP = 0.9;

/** A watchdog's wait is rounded up to a multiple of this, ms. */
const TIMER_STEP_MS = 5;

/** How long one reading of the event loop's counters serves every watchdog armed meanwhile, ms. */
const LOOP_READING_MS = 10;
let loopReading: { at: number; loop: EventLoopUtilization } | undefined;

/**
 * The event loop's counters, read at most once per LOOP_READING_MS: a process holding many links
 * arms a watchdog for every publish of a burst, and a wait's start a few ms early changes nothing.
 */
function loopNow(): EventLoopUtilization {
  const at = performance.now();
  if (!loopReading || at - loopReading.at >= LOOP_READING_MS) loopReading = { at, loop: performance.eventLoopUtilization() };
  return loopReading.loop;
}

export class Watchdog {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private immediate: ReturnType<typeof setImmediate> | undefined;
  private running = false;
  /** The lastHeard() value a stall grace was given for. */
  private graceFor: number | undefined;
  private readonly timeout: () => number;

  constructor(
    /** The allowed silence, ms: fixed, or read again at every check (an adaptive deadline). */
    timeoutMs: number | (() => number),
    /** When something last arrived (epoch ms). */
    private readonly lastHeard: () => number,
    private readonly onDead: (silentMs: number) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.timeout = typeof timeoutMs === 'number' ? () => timeoutMs : timeoutMs;
  }

  get watching(): boolean {
    return this.running;
  }

  /** Starts watching; a timeout of 0 or less never fires. */
  start(): void {
    if (this.running || this.timeout() <= 0) return;
    this.running = true;
    this.arm(this.timeout() - (this.now() - this.lastHeard()));
  }

  stop(): void {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
  }

  private arm(ms: number): void {
    // Rounded up to TIMER_STEP_MS: Node keeps one timer list per duration, and a fleet's deadlines
    // differ by a few ms each; a check a few ms late re-arms or decides just the same.
    const wait = Math.max(1, Math.ceil(ms / TIMER_STEP_MS) * TIMER_STEP_MS);
    const due = this.now() + wait;
    const loop = loopNow();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      const lateMs = this.now() - due;
      this.immediate = setImmediate(() => this.check(lateMs, loop));
    }, wait);
  }

  private check(lateMs: number, loop: EventLoopUtilization): void {
    this.immediate = undefined;
    if (!this.running) return;
    const timeoutMs = this.timeout();
    const heard = this.lastHeard();
    const silent = this.now() - heard;
    if (silent >= timeoutMs) {
      const stalled = lateMs >= timeoutMs / 2 || performance.eventLoopUtilization(loop).utilization >= BUSY_LOOP;
      if (stalled && this.graceFor !== heard) {
        this.graceFor = heard;
        this.arm(timeoutMs);
        return;
      }
      this.running = false;
      this.onDead(silent);
      return;
    }
    this.arm(timeoutMs - silent);
  }
}
