// Publishes the forecasts: every `intervalMs` (a minute), for each lot whose
// availability summary it has seen, `<root>/<lot>/forecast` and
// `<root>/<lot>/forecast/<level>`, retained (history/forecast.ts has the method and
// docs/history.md the payload). Until the history holds the weekday and hour, each
// forecast is "same as now" and says so. The history is read with a deadline; when
// MongoDB cannot answer, the forecasts say "same as now" rather than go stale.
import { decodeSummary, type Topics } from '../contract/index.ts';
import type { FailoverLink } from '../link/index.ts';
import { forecastOf, profileWindows, sumLevels, type Forecast } from './forecast.ts';
import type { Bucket } from './rollup.ts';
import { bucketsBetween, type HistoryCollections } from './store.ts';

export interface ForecasterOptions {
  /** A started link whose account may publish `<root>/+/forecast[/+]` (role service or admin). */
  link: FailoverLink;
  topics: Topics;
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
  /** Forecasts every lot now (otherwise every intervalMs). */
  tick(): Promise<void>;
  close(): void;
}

interface Present {
  available: number;
  total: number;
  levels: Record<string, { available: number; total: number }>;
}

export async function startForecaster(o: ForecasterOptions): Promise<Forecaster> {
  const now = o.now ?? Date.now;
  const present = new Map<string, Present>();
  const latest = new Map<string, Forecast>();
  let running: Promise<void> | undefined;

  o.link.on('message', (topic, payload) => {
    const t = o.topics.parse(topic);
    if (t?.kind !== 'availability') return;
    // A summary that is not one says nothing (ingest logs its own problems).
    const doc = decodeSummary(payload.toString('utf8'));
    if (!doc) return;
    const levels: Present['levels'] = {};
    for (const [level, l] of Object.entries(doc.levels)) levels[level] = { available: l.availableSpotNumber, total: l.totalSpotNumber };
    const first = !present.has(t.lot);
    present.set(t.lot, { available: doc.availableSpotNumber, total: doc.totalSpotNumber, levels });
    // From the first minute: a lot seen for the first time gets its forecast at once.
    if (first) void forecastLot(t.lot).catch(() => undefined);
  });
  await o.link.subscribe(o.topics.filters.availability, 1);

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

  async function forecastLot(lot: string): Promise<void> {
    const p = present.get(lot);
    if (!p) return;
    const at = now();
    const buckets = await history(lot, at);
    const out: Array<[string, Forecast]> = [[o.topics.forecast(lot), forecastOf({ lot }, at, p.available, p.total, sumLevels(buckets))]];
    for (const [level, l] of Object.entries(p.levels)) {
      out.push([o.topics.forecast(lot, level), forecastOf({ lot, level }, at, l.available, l.total, buckets.filter((b) => b.level === level))]);
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
      for (const lot of [...present.keys()].sort()) await forecastLot(lot);
    })().finally(() => (running = undefined)));

  const timer = setInterval(() => void tick(), o.intervalMs ?? 60_000);
  timer.unref();
  return {
    latest: () => latest,
    tick,
    close: () => clearInterval(timer),
  };
}
