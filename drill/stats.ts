// Order statistics of measured times. Pure.

export interface Stats {
  /** Values measured (runs that produced no value are not counted). */
  n: number;
  min: number | null;
  median: number | null;
  /** Nearest-rank 95th percentile: the smallest value with at least 95 % of the values at or below it. */
  p95: number | null;
  max: number | null;
  mean: number | null;
}

const EMPTY: Stats = { n: 0, min: null, median: null, p95: null, max: null, mean: null };

/** Min, median (mean of the middle two for an even count), nearest-rank p95, max and mean; nulls and NaN are left out. */
export function summarize(values: Iterable<number | null | undefined>): Stats {
  const sorted = [...values].filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  const n = sorted.length;
  if (n === 0) return { ...EMPTY };
  const mid = Math.floor(n / 2);
  const median = n % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return {
    n,
    min: sorted[0],
    median,
    p95: percentile(sorted, 95),
    max: sorted[n - 1],
    mean: sorted.reduce((sum, v) => sum + v, 0) / n,
  };
}

/** Nearest-rank percentile of values sorted ascending (p in (0, 100]). */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/** Relative change from `before` to `after` (0.01 = 1 % more); null when `before` is 0. */
export function relativeChange(before: number, after: number): number | null {
  if (before === 0) return null;
  return (after - before) / before;
}

/** How much of [from, to) the windows cover (overlapping windows counted once). */
export function coveredMs(windows: ReadonlyArray<{ start: number; end: number }>, from: number, to: number): number {
  let covered = 0;
  let reached = from;
  for (const w of [...windows].sort((a, b) => a.start - b.start)) {
    const start = Math.max(w.start, reached);
    const end = Math.min(w.end, to);
    if (end > start) covered += end - start;
    reached = Math.max(reached, Math.min(w.end, to));
  }
  return covered;
}

/**
 * Where a throughput window of `length` ms starts so that neither of its edges falls in a link
 * stall, nor within `marginMs` of one (what a stall holds arrives together at its end, and what
 * is in flight when it starts is held: an edge there counts, or misses, a burst of messages at
 * once, up to a tenth of a 3 s window on the wireless profile). From `start` it moves the window
 * later (`direction` 1) or earlier (-1), by at most `limitMs`; `start` itself if no clear place
 * is that close. Stalls inside a window change nothing: their messages arrive in it.
 */
export function clearWindow(stalls: ReadonlyArray<{ start: number; end: number }>, start: number, length: number, marginMs: number, direction: 1 | -1, limitMs: number): number {
  const blocking = (t: number) => stalls.find((s) => t >= s.start - marginMs && t < s.end + marginMs);
  let at = start;
  // Each move clears one stall past an edge; stalls do not overlap, so this ends.
  for (let moves = 0; moves <= stalls.length * 2; moves += 1) {
    const head = blocking(at);
    const tail = blocking(at + length);
    if (!head && !tail) return at;
    if (direction === 1) at = Math.max(head ? head.end + marginMs : at, tail ? tail.end + marginMs - length : at);
    else at = Math.min(head ? head.start - marginMs - 1 : at, tail ? tail.start - marginMs - 1 - length : at);
    if (Math.abs(at - start) > limitMs) return start;
  }
  return start;
}
