// Publishes the forecasts: every `intervalMs` (a minute), for each lot with an
// availability summary (the one watcher of them the platform keeps, opendata/summaries.ts),
// `<root>/<lot>/forecast` and `<root>/<lot>/forecast/<level>`, retained (history/forecast.ts has the method and
// docs/history.md the payload). Until the history holds the weekday and hour, each
// forecast is "same as now" and says so. The history is read with a deadline; when
// MongoDB cannot answer, the forecasts say "same as now" rather than go stale.
import type { AvailabilitySummary, Topics } from '../contract/index.ts';
import type { FailoverLink } from '../link/index.ts';
import { forecastOf, profileWindows, sumLevels, type Forecast } from './forecast.ts';
import type { Bucket } from './rollup.ts';
import { bucketsBetween, type HistoryCollections } from './store.ts';

export interface ForecasterOptions {
  /** A started link whose account may publish `<root>/+/forecast[/+]` (role service or admin). */
  link: FailoverLink;
  topics: Topics;
  /** The lots' availability summaries now (opendata/summaries.ts watchSummaries). */
  summaries: () => readonly AvailabilitySummary[];
  /** The history; undefined while it starts (forecasts are then "same as now"). */
  collections: () => HistoryCollections | undefined;
  /** How often, ms (default 60 000). */
  intervalMs?: number;
  logger?: { warn(obj: object, msg: string): void; debug?(obj: object, msg: string): void };
  now?: () => number;
}

export interface Forecaster {
  /** The last forecasts published, by topic. */
  latest(): ReadonlyMap<string, Forecast>;
  /** A summary arrived: a lot not forecast yet gets its forecast at once (from the first minute). */
  seen(summary: AvailabilitySummary): void;
  /** Forecasts every lot now (otherwise every intervalMs). */
  tick(): Promise<void>;
  close(): void;
}

export function startForecaster(o: ForecasterOptions): Forecaster {
  const now = o.now ?? Date.now;
  const latest = new Map<string, Forecast>();
  const forecast = new Set<string>();
  let running: Promise<void> | undefined;

  async function history(lot: string, at: number): Promise<Bucket[]> {
    const c = o.collections();
    if (!c) return [];
    try {
      const parts = await Promise.all(profileWindows(at).map((w) => bucketsBetween(c, { lot, from: w.from, to: w.to }, 5000)));
      return parts.flat();
    } catch (err) {
      o.logger?.warn({ lot, err: (err as Error).message }, 'forecast: the history is not available; forecasting the present');
      return [];
    }
  }

  async function forecastLot(p: AvailabilitySummary): Promise<void> {
    const lot = p.lot;
    forecast.add(lot);
    const at = now();
    const buckets = await history(lot, at);
    const out: Array<[string, Forecast]> = [[o.topics.forecast(lot), forecastOf({ lot }, at, p.availableSpotNumber, p.totalSpotNumber, sumLevels(buckets))]];
    for (const [level, l] of Object.entries(p.levels)) {
      out.push([o.topics.forecast(lot, level), forecastOf({ lot, level }, at, l.availableSpotNumber, l.totalSpotNumber, buckets.filter((b) => b.level === level))]);
    }
    await Promise.all(
      out.map(([topic, f]) => {
        latest.set(topic, f);
        return o.link.publish(topic, JSON.stringify(f), { qos: 1, retain: true }).catch((err: Error) => o.logger?.warn({ topic, err: err.message }, 'forecast: publish failed'));
      }),
    );
  }

  const tick = (): Promise<void> =>
    (running ??= (async () => {
      for (const summary of o.summaries()) await forecastLot(summary);
    })().finally(() => (running = undefined)));

  const timer = setInterval(() => void tick(), o.intervalMs ?? 60_000);
  timer.unref();
  return {
    latest: () => latest,
    seen: (summary) => {
      if (!forecast.has(summary.lot)) void forecastLot(summary).catch(() => undefined);
    },
    tick,
    close: () => clearInterval(timer),
  };
}
