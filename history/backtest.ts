// The forecast's backtest: a simulated history (history/simulate.ts) rolled up as
// the platform rolls it up (history/rollup.ts); then, every 15 minutes of its last
// week, each level's forecast (history/forecast.ts, from the buckets before that
// moment alone) against what happened, beside the naive "same as now". Pure.
import { DEFAULT_TUNING, forecastOf, HORIZONS_MINUTES, profileWindows, type ForecastTuning } from './forecast.ts';
import { rollStep, STEP_MS, type Bucket, type LotStates } from './rollup.ts';
import { simulateHistory, type SimulatedChange } from './simulate.ts';

export interface BacktestOptions {
  /** Simulated days; the last 7 are forecast (default 35). */
  days?: number;
  levels?: number;
  slotsPerLevel?: number;
  seed?: number;
  utcOffsetMs?: number;
  /** The simulated month ends here (default 2026-12-07 00:00 at +07:00). */
  to?: number;
  /** The forecast's settings (default: the platform's). */
  tuning?: ForecastTuning;
}

export interface BacktestRow {
  minutes: number;
  /** Mean absolute error in spaces. */
  maeForecast: number;
  maeSameAsNow: number;
  /** Forecasts compared (levels × moments). */
  count: number;
}

export interface BacktestResult {
  days: number;
  levels: number;
  slotsPerLevel: number;
  seed: number;
  /** Simulated slot changes. */
  changes: number;
  rows: BacktestRow[];
  /** The share of the forecasts that used the weekday profile (not "same as now"). */
  profiled: number;
  ms: number;
}

export function runBacktest(o: BacktestOptions = {}): BacktestResult {
  const started = Date.now();
  const days = o.days ?? 35;
  const levelCount = o.levels ?? 3;
  const slotsPerLevel = o.slotsPerLevel ?? 40;
  const seed = o.seed ?? 20261207;
  const utcOffsetMs = o.utcOffsetMs ?? 7 * 3_600_000;
  const to = o.to ?? Date.parse('2026-12-06T17:00:00.000Z');
  const from = to - days * 86_400_000;
  const levels = Array.from({ length: levelCount }, (_, i) => `B${i + 1}`);
  const changes: SimulatedChange[] = [];
  const slotIds = Array.from({ length: slotsPerLevel }, (_, i) => String(i + 1));
  simulateHistory({ lots: [{ lot: 'bt', levels: levels.map((level) => ({ level, slots: slotIds })) }], from, to, utcOffsetMs, seed }, (chunk) => changes.push(...chunk));

  // Rolled up step by step, as the platform does.
  const byTime = new Map<string, Map<number, Bucket>>(levels.map((l) => [l, new Map()]));
  const states: LotStates = new Map();
  for (const level of levels) for (let i = 1; i <= slotsPerLevel; i += 1) states.set(`${level}/${i}`, { status: 'free', since: from });
  let i = 0;
  for (let t0 = from; t0 < to; t0 += STEP_MS) {
    const inStep = [];
    while (i < changes.length && changes[i].at < t0 + STEP_MS) inStep.push(changes[i++]);
    for (const b of rollStep('bt', t0, states, inStep)) byTime.get(b.level)!.set(t0, b);
  }

  const errors = HORIZONS_MINUTES.map(() => ({ ours: 0, naive: 0, count: 0 }));
  let profiled = 0;
  let forecasts = 0;
  for (let now = to - 7 * 86_400_000; now + 60 * 60_000 < to; now += 15 * 60_000) {
    for (const level of levels) {
      const buckets = byTime.get(level)!;
      // What was known at `now`: the buckets of steps that ended by then.
      const history: Bucket[] = [];
      for (const w of profileWindows(now)) {
        for (let t = Math.floor(w.from / STEP_MS) * STEP_MS; t < Math.min(w.to, now); t += STEP_MS) {
          const b = buckets.get(t);
          if (b && t + STEP_MS <= now) history.push(b);
        }
      }
      const last = buckets.get(now - STEP_MS);
      if (!last) continue;
      const f = forecastOf({ lot: 'bt', level }, now, last.free, last.total, history, o.tuning ?? DEFAULT_TUNING);
      forecasts += 1;
      if (f.method === 'weekday-profile') profiled += 1;
      HORIZONS_MINUTES.forEach((m, k) => {
        const actual = buckets.get(now + m * 60_000 - STEP_MS);
        if (!actual) return;
        errors[k].ours += Math.abs(f.forecasts[k].availableSpotNumber - actual.free);
        errors[k].naive += Math.abs(last.free - actual.free);
        errors[k].count += 1;
      });
    }
  }
  const r2 = (n: number) => Math.round(n * 100) / 100;
  return {
    days,
    levels: levelCount,
    slotsPerLevel,
    seed,
    changes: changes.length,
    rows: HORIZONS_MINUTES.map((minutes, k) => ({ minutes, maeForecast: r2(errors[k].ours / Math.max(1, errors[k].count)), maeSameAsNow: r2(errors[k].naive / Math.max(1, errors[k].count)), count: errors[k].count })),
    profiled: forecasts ? Math.round((profiled / forecasts) * 1000) / 1000 : 0,
    ms: Date.now() - started,
  };
}
