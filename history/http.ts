// GET /api/occupancy?lot=&level=&from=&to=&step=&by=&format= : the occupancy history, public
// like the availability (aggregate counts only, nothing about a car). JSON by default,
// CSV with format=csv or `Accept: text/csv`. Answers carry an ETag (a repeated question
// with If-None-Match gets 304) and may be cached for a minute.
import { toCsv } from '../billing/csv.ts';
import { offsetMinutes } from '../billing/tariff.ts';
import { offsetOfLot } from '../billing/report-query.ts';
import { express, type Request, type Response, type Router } from '../web/express.ts';
import { OCCUPANCY_COLUMNS, OccupancyQueryError, parseOccupancyQuery, resample, type OccupancyRow } from './query.ts';
import { bucketsBetween, knownLots, type HistoryCollections } from './store.ts';

export const OCCUPANCY_PATH = '/api/occupancy';

export interface OccupancyApiOptions {
  collections: () => HistoryCollections | undefined;
  /** The site's local time, a UTC offset (`+07:00`): local days (`from=2026-12-07`, `step=1d`). */
  utcOffset: string;
  /** Lots with a local time of their own: the question about one lot (`lot=`) is in its local days. */
  lots?: Readonly<Record<string, { utcOffset?: string }>>;
  logger?: { warn(obj: object, msg: string): void };
  now?: () => number;
}

const send = (res: Response, status: number, type: string, body: string) =>
  res.status(status).type(type).set('cache-control', status === 200 ? 'public, max-age=60' : 'no-store').send(body);

export function occupancyRouter(o: OccupancyApiOptions): Router {
  const router = express.Router();
  const now = o.now ?? Date.now;
  router.get('/', (req: Request, res: Response) => {
    const utcOffset = offsetOfLot(req.query.lot, o.lots, o.utcOffset);
    const utcOffsetMs = (offsetMinutes(utcOffset) ?? 0) * 60_000;
    let q;
    try {
      q = parseOccupancyQuery(req.query, now(), utcOffset, req.get('accept') ?? '');
    } catch (err) {
      if (!(err instanceof OccupancyQueryError)) throw err;
      return send(res, 400, 'application/json; charset=utf-8', JSON.stringify({ error: err.message, parameter: err.parameter }));
    }
    const c = o.collections();
    if (!c) return send(res, 503, 'application/json; charset=utf-8', JSON.stringify({ error: 'the occupancy history is starting' }));
    const query = q;
    (async () => {
      const lots = query.lot ? [query.lot] : await knownLots(c);
      const rows: OccupancyRow[] = [];
      for (const lot of lots.sort()) {
        const buckets = await bucketsBetween(c, { lot, level: query.level, from: query.from, to: query.to });
        rows.push(...resample(buckets, query.stepMs, utcOffsetMs, query.byLevel));
      }
      if (query.format === 'csv') return send(res, 200, 'text/csv; charset=utf-8', toCsv(OCCUPANCY_COLUMNS, rows));
      const head = { lot: query.lot ?? null, level: query.level ?? null, by: query.byLevel ? 'level' : 'lot', from: new Date(query.from).toISOString(), to: new Date(query.to).toISOString(), stepMinutes: query.stepMs / 60_000, utcOffset, count: rows.length };
      return send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ query: head, rows }));
    })().catch((err: Error) => {
      o.logger?.warn({ err: err.message }, 'occupancy: a question failed');
      send(res, 503, 'application/json; charset=utf-8', JSON.stringify({ error: `the occupancy history is not available now: ${err.message}` }));
    });
  });
  return router;
}
