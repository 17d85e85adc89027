// Free spaces expected at +15, +30 and +60 minutes. Pure.
//
// The method: the weekday profile, corrected by how far today is from it. For a time
// T the profile is the mean share of free slots in the 5-minute buckets within 15
// minutes of the same weekday and time of day in the past weeks (up to 8). The
// forecast at now + h is the profile at now + h, plus how far now is from the profile
// at now, fading with h (half of it left after an hour): a Friday busier than usual
// stays busier for a while, then returns to the usual Friday. Without a week of history
// at those times the forecast is "same as now", and says so (`method`). The settings
// are the best of those the backtest tried (history/backtest.ts): the last half hour's
// mean deviation instead of now's, narrower or no smoothing, a half-life of 45 or 180
// minutes or none all did worse.
import { STEP_MS, type Bucket } from './rollup.ts';

export const HORIZONS_MINUTES = [15, 30, 60] as const;
const WEEK_MS = 7 * 86_400_000;
/** Weeks of history the profile reads. */
export const PROFILE_WEEKS = 8;
/** The deviation of today from the profile halves every this long, minutes. */
const HALF_LIFE_MINUTES = 60;
/** Today's deviation is the mean over this long before now. */
const DEVIATION_WINDOW_MS = 30 * 60_000;

export type ForecastMethod = 'weekday-profile' | 'same-as-now';

export interface ForecastPoint {
  minutes: number;
  at: string;
  availableSpotNumber: number;
}

export interface Forecast {
  lot: string;
  level?: string;
  observedAt: string;
  availableSpotNumber: number;
  totalSpotNumber: number;
  method: ForecastMethod;
  /** What the forecast rests on, for people. */
  basis: string;
  forecasts: ForecastPoint[];
  /** Minutes until no space is expected to be left (in 5-minute steps, within the hour); null when none is expected to be, 0 when full now. */
  fullInMinutes: number | null;
}

/** The windows of history a forecast at `now` reads: the same hours of the past weeks, for one query each. */
export function profileWindows(now: number, weeks = PROFILE_WEEKS): Array<{ from: number; to: number }> {
  const windows = [];
  // The profile at a time averages the steps within 15 min of it (DEFAULT_TUNING.smoothSteps).
  for (let w = 1; w <= weeks; w += 1) windows.push({ from: now - w * WEEK_MS - DEVIATION_WINDOW_MS - 4 * STEP_MS, to: now - w * WEEK_MS + 60 * 60_000 + 4 * STEP_MS });
  // Today's last half hour.
  windows.push({ from: now - DEVIATION_WINDOW_MS - STEP_MS, to: now });
  return windows;
}

const freeShare = (b: Pick<Bucket, 'total' | 'occupiedMean'>): number | undefined => (b.total > 0 ? Math.min(1, Math.max(0, (b.total - b.occupiedMean) / b.total)) : undefined);

/**
 * The forecast of one lot or level at `now`, from its `available` / `total` now and its
 * `history`: buckets (one per step; a lot's levels summed by the caller) of the past weeks
 * around this hour and of today's last half hour.
 */
export interface ForecastTuning {
  halfLifeMinutes: number;
  /** The profile at t averages the buckets whose middles lie within smoothSteps steps of t. */
  smoothSteps: number;
  /** Today's deviation: now's alone, or the mean over the last half hour and now. */
  deviation: 'now' | 'window';
}

/** What the backtest (history/backtest.ts, `parking bench --only forecast`) chose among the settings tried. */
export const DEFAULT_TUNING: ForecastTuning = { halfLifeMinutes: HALF_LIFE_MINUTES, smoothSteps: 3, deviation: 'now' };

export function forecastOf(where: { lot: string; level?: string }, now: number, available: number, total: number, history: readonly Pick<Bucket, 'at' | 'total' | 'occupiedMean'>[], tuning: ForecastTuning = DEFAULT_TUNING): Forecast {
  const byTime = new Map<number, Pick<Bucket, 'at' | 'total' | 'occupiedMean'>>();
  for (const b of history) byTime.set(b.at.getTime(), b);
  /** The mean free share at `t` (its step) over the past weeks, and how many weeks had it. */
  const profile = (t: number): { share: number; weeks: number } | undefined => {
    let sum = 0;
    let weeks = 0;
    let n = 0;
    for (let w = 1; w <= PROFILE_WEEKS; w += 1) {
      let seen = false;
      // Buckets whose middles lie within smoothSteps steps on either side of t (a bucket's mean is its middle's).
      for (let k = -tuning.smoothSteps - 1; k <= tuning.smoothSteps; k += 1) {
        const b = byTime.get(Math.floor((t - w * WEEK_MS) / STEP_MS) * STEP_MS + k * STEP_MS);
        const share = b && freeShare(b);
        if (share === undefined) continue;
        sum += share;
        n += 1;
        seen = true;
      }
      if (seen) weeks += 1;
    }
    return weeks ? { share: sum / n, weeks } : undefined;
  };
  const nowShare = total > 0 ? available / total : 0;
  // Today's deviation: the last half hour's buckets against the profile at their times, and now.
  const deviations: number[] = [];
  for (let t = Math.floor((now - DEVIATION_WINDOW_MS) / STEP_MS) * STEP_MS; t < now - STEP_MS; t += STEP_MS) {
    const b = byTime.get(t);
    const p = profile(t);
    const share = b && freeShare(b);
    if (p && share !== undefined) deviations.push(share - p.share);
  }
  const pNow = profile(now);
  if (tuning.deviation === 'now') deviations.length = 0;
  if (pNow) deviations.push(nowShare - pNow.share);
  const steps = Array.from({ length: 12 }, (_, i) => (i + 1) * 5);
  const profiled = steps.map((m) => profile(now + m * 60_000));
  const usable = total > 0 && pNow !== undefined && profiled.every((p) => p !== undefined);
  const deviation = deviations.length ? deviations.reduce((a, b) => a + b, 0) / deviations.length : 0;
  const expected = (m: number): number => {
    if (!usable) return available;
    const share = profiled[m / 5 - 1]!.share + deviation * 0.5 ** (m / tuning.halfLifeMinutes);
    return Math.round(Math.min(1, Math.max(0, share)) * total);
  };
  const weeks = usable ? Math.min(...[pNow!, ...profiled].map((p) => p!.weeks)) : 0;
  const full = available <= 0 ? 0 : (steps.find((m) => expected(m) <= 0) ?? null);
  return {
    lot: where.lot,
    ...(where.level === undefined ? {} : { level: where.level }),
    observedAt: new Date(now).toISOString(),
    availableSpotNumber: available,
    totalSpotNumber: total,
    method: usable ? 'weekday-profile' : 'same-as-now',
    basis: usable ? `the same weekday and hour in ${weeks} past week${weeks === 1 ? '' : 's'}, corrected by how far today is from it` : 'no history of this weekday and hour yet: the forecast is the present',
    forecasts: HORIZONS_MINUTES.map((m) => ({ minutes: m, at: new Date(now + m * 60_000).toISOString(), availableSpotNumber: expected(m) })),
    fullInMinutes: usable || available <= 0 ? full : null,
  };
}

/** A lot's buckets summed per step (its levels together), for the lot's forecast. */
export function sumLevels(buckets: readonly Bucket[]): Array<Pick<Bucket, 'at' | 'total' | 'occupiedMean'>> {
  const byTime = new Map<number, { at: Date; total: number; occupiedMean: number }>();
  for (const b of buckets) {
    const t = b.at.getTime();
    const s = byTime.get(t) ?? { at: b.at, total: 0, occupiedMean: 0 };
    s.total += b.total;
    s.occupiedMean += b.occupiedMean;
    byTime.set(t, s);
  }
  return [...byTime.values()];
}
