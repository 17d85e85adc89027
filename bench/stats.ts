// Latency summaries: nearest-rank percentiles over the samples of one run.

export interface LatencySummary {
  count: number;
  /** Milliseconds; null when there are no samples. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
}

/** Nearest-rank percentile (`p` in 0..100) of ascending `sorted`; undefined when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number | undefined {
  if (sorted.length === 0) return undefined;
  if (p <= 0) return sorted[0];
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, rank) - 1];
}

/** Rounds milliseconds to microseconds, so reports stay readable. */
export const roundMs = (ms: number): number => Math.round(ms * 1000) / 1000;

const nullable = (value: number | undefined): number | null => (value === undefined ? null : roundMs(value));

/** p50/p95/p99/max/mean of `samples` (milliseconds, any order; NaN entries are ignored). */
export function summarize(samples: ArrayLike<number>): LatencySummary {
  const values: number[] = [];
  for (let i = 0; i < samples.length; i += 1) if (!Number.isNaN(samples[i])) values.push(samples[i]);
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50: nullable(percentile(sorted, 50)),
    p95: nullable(percentile(sorted, 95)),
    p99: nullable(percentile(sorted, 99)),
    max: nullable(percentile(sorted, 100)),
    mean: sorted.length ? roundMs(sum / sorted.length) : null,
  };
}
