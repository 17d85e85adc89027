// The reports over HTTP: GET /api/reports/{revenue|occupancy|open|sessions}[.csv]
// ?from=&to=&lot=&tz=&format=. JSON by default, CSV with `.csv` or format=csv. Plates are
// in clear for an admin's login, masked for an operator's.
import {
  DEFAULT_UTC_OFFSET,
  offsetOfLot,
  parseReportQuery,
  REPORT_FORMATS,
  REPORT_KINDS,
  ReportQueryError,
  reportCsv,
  reportFileName,
  runReport,
  type BillingCollections,
  type TariffLookup,
} from '../billing/index.ts';
import type { Logger } from '../log/index.ts';
import type { LotInfo } from '../layout/index.ts';
import { express, type Handler, type Request, type Response, type Router } from './deps.ts';
import { loginOfResponse } from './access.ts';

export interface ReportsApiOptions {
  collections: () => Promise<BillingCollections>;
  tariffFor: TariffLookup;
  /** The default `tz` of the reports: the site's local time. */
  utcOffset?: string;
  /** Lots with a local time of their own: a report of one lot (`lot=`) defaults to it. */
  lots?: Readonly<Record<string, LotInfo>>;
  /** Guards every request (an operator's or admin's login); the login it sets in `res.locals.login` decides the plates. */
  guard?: Handler;
  logger: Logger;
  now?: () => number;
}

export function reportsRouter(o: ReportsApiOptions): Router {
  const router = express.Router();
  const now = o.now ?? Date.now;
  if (o.guard) router.use(o.guard);

  router.get('/', (req: Request, res: Response) => {
    // Absolute paths: `./revenue` from `/api/reports` (no trailing slash) would be `/api/revenue`.
    const base = (req as Request & { baseUrl: string }).baseUrl;
    res.json({
      reports: REPORT_KINDS.map((kind) => ({ kind, json: `${base}/${kind}`, csv: `${base}/${kind}.csv` })),
      parameters: { from: 'day YYYY-MM-DD (local), ISO time or epoch ms; default 30 days before to', to: 'exclusive; default now', lot: 'lot id', tz: `UTC offset of local days, default the lot's local time, else ${o.utcOffset ?? DEFAULT_UTC_OFFSET}`, format: REPORT_FORMATS.join(' | ') },
    });
  });

  router.get('/:report', (req: Request, res: Response) => {
    const name = req.params.report;
    const csv = name.endsWith('.csv');
    const params = { ...req.query, kind: csv ? name.slice(0, -4) : name, ...(csv ? { format: 'csv' } : {}) };
    let query;
    try {
      query = parseReportQuery(params, now(), { utcOffset: offsetOfLot(req.query.lot, o.lots, o.utcOffset ?? DEFAULT_UTC_OFFSET) });
    } catch (err) {
      if (err instanceof ReportQueryError) return void res.status(err.parameter === 'report' ? 404 : 400).json({ error: err.message, parameter: err.parameter });
      throw err;
    }
    const q = query;
    o.collections()
      .then((c) => runReport(c.sessions, q, { now: now(), tariffFor: o.tariffFor, clearPlates: loginOfResponse(res)?.role === 'admin' }))
      .then((report) => {
        if (q.format === 'csv') {
          res.type('text/csv; charset=utf-8').attachment(reportFileName(report)).send(reportCsv(report));
        } else {
          const { rows, ...head } = report;
          res.json({ report: { ...head, count: rows.length }, rows });
        }
      })
      .catch((err: Error) => {
        o.logger.warn({ err: err.message, report: q.kind }, 'report failed');
        res.status(503).json({ error: `report not available: ${err.message}` });
      });
  });
  return router;
}
