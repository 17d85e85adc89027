// GET /api/occupancy?lot=&level=&from=&to=&step=&by=&format= : the occupancy history, public
// GET /api/occupancy/slots?lot=&level=&from=&to=&format= : turnover and mean stay per slot
// like the availability (aggregate counts only, nothing about a car). JSON by default,
// CSV with format=csv or `Accept: text/csv`. Answers carry an ETag (a repeated question
// with If-None-Match gets 304) and may be cached for a minute.
import { toCsv } from '../billing/csv.ts';
import { offsetMinutes } from '../billing/tariff.ts';
import { offsetOfLot } from '../billing/report-query.ts';
import { express, type Request, type Response, type Router } from '../web/express.ts';
import { OCCUPANCY_COLUMNS, OccupancyQueryError, parseOccupancyQuery, parseSlotStatsQuery, resample, type OccupancyRow } from './query.ts';
import { SLOT_STATS_COLUMNS, SlotStats } from './slot-stats.ts';
import { bucketsBetween, eachChange, knownLots, type HistoryCollections } from './store.ts';

export const OCCUPANCY_PATH = '/api/occupancy';

export interface OccupancyApiOptions {
  collections: () => HistoryCollections | undefined;
  /** The site's local time, a UTC offset (`+07:00`): local days (`from=2026-12-07`, `step=1d`). */
  utcOffset: string;
  /** Lots with a local time of their own (the question about one lot, `lot=`, is in its local days) or a display name. */
  lots?: Readonly<Record<string, { name?: string; utcOffset?: string }>>;
  logger?: { warn(obj: object, msg: string): void };
  now?: () => number;
}

const send = (res: Response, status: number, type: string, body: string) =>
  res.status(status).type(type).set('cache-control', status === 200 ? 'public, max-age=60' : 'no-store').send(body);

export function occupancyRouter(o: OccupancyApiOptions): Router {
  const router = express.Router();
  const now = o.now ?? Date.now;
  /** The question read at the lot's local time, and the collections; or undefined, having answered 400 or 503. */
  const asked = <Q>(req: Request, res: Response, parse: (params: Record<string, unknown>, now: number, utcOffset: string, accept: string) => Q) => {
    const utcOffset = offsetOfLot(req.query.lot, o.lots, o.utcOffset);
    let query: Q;
    try {
      query = parse(req.query, now(), utcOffset, req.get('accept') ?? '');
    } catch (err) {
      if (!(err instanceof OccupancyQueryError)) throw err;
      return void send(res, 400, 'application/json; charset=utf-8', JSON.stringify({ error: err.message, parameter: err.parameter }));
    }
    const c = o.collections();
    if (!c) return void send(res, 503, 'application/json; charset=utf-8', JSON.stringify({ error: 'the occupancy history is starting' }));
    return { query, c, utcOffset };
  };
  router.get('/', (req: Request, res: Response) => {
    const question = asked(req, res, parseOccupancyQuery);
    if (!question) return;
    const { query, c, utcOffset } = question;
    const utcOffsetMs = (offsetMinutes(utcOffset) ?? 0) * 60_000;
    (async () => {
      const lots = query.lot ? [query.lot] : await knownLots(c);
      const rows: OccupancyRow[] = [];
      for (const lot of lots.sort()) {
        const buckets = await bucketsBetween(c, { lot, level: query.level, from: query.from, to: query.to });
        rows.push(...resample(buckets, query.stepMs, utcOffsetMs, query.byLevel));
      }
      if (query.format === 'csv') return send(res, 200, 'text/csv; charset=utf-8', toCsv(OCCUPANCY_COLUMNS, rows));
      const head = { lot: query.lot ?? null, level: query.level ?? null, by: query.byLevel ? 'level' : 'lot', from: new Date(query.from).toISOString(), to: new Date(query.to).toISOString(), stepMinutes: query.stepMs / 60_000, utcOffset, count: rows.length };
      return send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ query: head, names: namesOf(lots, o.lots), rows }));
    })().catch((err: Error) => {
      o.logger?.warn({ err: err.message }, 'occupancy: a question failed');
      send(res, 503, 'application/json; charset=utf-8', JSON.stringify({ error: `the occupancy history is not available now: ${err.message}` }));
    });
  });
  router.get('/slots', (req: Request, res: Response) => {
    const question = asked(req, res, parseSlotStatsQuery);
    if (!question) return;
    const { query, c, utcOffset } = question;
    const stats = new SlotStats(query.lot, query.from);
    // A day before the range: the start of a stay that ends in it.
    eachChange(c, { lot: query.lot, level: query.level, from: query.from - LOOK_BACK_MS, to: query.to }, (change) => stats.add(change), SLOT_STATS_TIMEOUT_MS)
      .then(() => {
        const rows = stats.rows();
        if (query.format === 'csv') return send(res, 200, 'text/csv; charset=utf-8', toCsv(SLOT_STATS_COLUMNS, rows));
        const head = { lot: query.lot, level: query.level ?? null, from: new Date(query.from).toISOString(), to: new Date(query.to).toISOString(), utcOffset, count: rows.length };
        return send(res, 200, 'application/json; charset=utf-8', JSON.stringify({ query: head, rows }));
      })
      .catch((err: Error) => {
        o.logger?.warn({ err: err.message }, 'occupancy: a per-slot question failed');
        send(res, 503, 'application/json; charset=utf-8', JSON.stringify({ error: `the slot history is not available now: ${err.message}` }));
      });
  });
  return router;
}

/** How far before a per-slot range the changes are read: a stay ending in the range has its start there. */
const LOOK_BACK_MS = 86_400_000;
/** A month of a large lot's changes takes a while to stream. */
const SLOT_STATS_TIMEOUT_MS = 30_000;

/** The display names the lot configuration gives `lots` (a lot without one is left out). */
function namesOf(lots: readonly string[], info: OccupancyApiOptions['lots']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const lot of lots) {
    const name = info?.[lot]?.name;
    if (name) out[lot] = name;
  }
  return out;
}
