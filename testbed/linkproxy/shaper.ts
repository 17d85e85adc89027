// Release times for chunks under a link profile: latency, jitter, stalls.
import { mulberry32 } from './prng.ts';
import type { LinkProfileSpec } from './profile.ts';

/** How long an ended stall stays known to `stallsBetween`. */
const STALL_HISTORY_MS = 60_000;

interface Window {
  start: number;
  end: number;
}

/**
 * Decides when a chunk received at `now` may be delivered. Release times of
 * one direction never decrease (releaseAt takes the previous one), so delays
 * never reorder a byte stream. Stalls are link-wide windows during which
 * nothing is delivered; chunks due inside one go out at its end.
 * Jitter and stalls draw from two PRNG streams of `seed`, so the stall
 * schedule does not depend on the traffic.
 */
export class LinkShaper {
  private readonly jitterRandom: () => number;
  private readonly stallRandom: () => number;
  private readonly windows: Window[] = [];
  private horizon: number;

  constructor(readonly spec: LinkProfileSpec, readonly seed: number, origin: number) {
    this.jitterRandom = mulberry32(seed);
    this.stallRandom = mulberry32(seed ^ 0x9e3779b9);
    this.horizon = origin;
  }

  /** One delay sample: latency ± jitter, at least 0. */
  delay(): number {
    const { latencyMs, jitterMs } = this.spec;
    if (!latencyMs && !jitterMs) return 0;
    return Math.max(0, latencyMs + (this.jitterRandom() * 2 - 1) * jitterMs);
  }

  /** When a chunk arriving at `now` goes out, given the previous release time of its direction. */
  releaseAt(previous: number, now: number): number {
    return this.afterStalls(Math.max(previous, now + this.delay()), now);
  }

  /** `t`, or the end of the stall `t` falls in. */
  afterStalls(t: number, now = t): number {
    const every = this.spec.stallEveryMs ?? 0;
    const length = this.spec.stallMs ?? 0;
    if (every <= 0 || length <= 0) return t;
    // Past stalls are kept a minute: a report asks which fell in a window already measured.
    while (this.windows.length && this.windows[0].end <= now - STALL_HISTORY_MS) this.windows.shift();
    while (this.horizon <= t) {
      const start = this.horizon + every * (0.5 + this.stallRandom());
      const end = start + length * (0.5 + this.stallRandom());
      this.windows.push({ start, end });
      this.horizon = end;
    }
    const hit = this.windows.find((w) => w.start <= t && t < w.end);
    return hit ? hit.end : t;
  }

  /** The stall windows overlapping [from, to), the schedule generated up to `to` (it does not depend on the traffic). */
  stallsBetween(from: number, to: number): Array<{ start: number; end: number }> {
    this.afterStalls(to, from);
    return this.windows.filter((w) => w.end > from && w.start < to).map((w) => ({ ...w }));
  }

  /** The stall windows generated so far that end after `now` (for tests and logs). */
  stallsAfter(now: number): Array<{ start: number; end: number }> {
    return this.windows.filter((w) => w.end > now).map((w) => ({ ...w }));
  }
}
