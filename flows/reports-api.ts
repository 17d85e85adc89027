// The reports over HTTP: GET /api/reports/{revenue|occupancy|open|sessions}[.csv]
// ?from=&to=&lot=&tz=&format=. JSON by default, CSV with `.csv` or format=csv.
import { createHash } from 'node:crypto';
import bcrypt from 'bcryptjs';
import {
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
import { express, type Handler, type Request, type Response, type Router } from './deps.ts';
import { loginFailed, loginWaitMs, refuseThrottled, type AuthThrottle } from './login-throttle.ts';

export interface AdminCredentials {
  user: string;
  /** bcrypt hash of the password. */
  passwordHash: string;
}

export interface ReportsApiOptions {
  collections: () => Promise<BillingCollections>;
  tariffFor: TariffLookup;
  /** When set, requests need HTTP basic authentication with these credentials. */
  auth?: AdminCredentials;
  /** Failed logins throttled (shared with the editor's login). */
  throttle?: AuthThrottle;
  logger: Logger;
  now?: () => number;
}

/** HTTP basic authentication against one user and a bcrypt hash (checked once per distinct header). */
export function basicAuth(credentials: AdminCredentials, realm = 'parking reports', throttle?: AuthThrottle): Handler {
  const accepted = new Set<string>();
  return (req, res, next) => {
    const header = req.headers.authorization ?? '';
    const key = createHash('sha256').update(header).digest('hex');
    if (accepted.has(key)) return next();
    const refuse = () => {
      res.set('WWW-Authenticate', `Basic realm="${realm}", charset="UTF-8"`);
      res.status(401).json({ error: 'authentication required' });
    };
    const m = /^Basic ([A-Za-z0-9+/=]+)$/.exec(header);
    if (!m) return refuse();
    const decoded = Buffer.from(m[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const wait = throttle ? loginWaitMs(throttle, user, req) : 0;
    if (wait > 0) return refuseThrottled(res, wait);
    /** A wrong user name or password: counted against the throttle, then refused. */
    const failed = () => {
      if (throttle) loginFailed(throttle, user, req);
      refuse();
    };
    if (colon < 0 || user !== credentials.user) return failed();
    bcrypt.compare(password, credentials.passwordHash).then(
      (ok) => {
        if (!ok) return failed();
        if (accepted.size < 100) accepted.add(key);
        next();
      },
      (err: unknown) => next(err),
    );
  };
}

export function reportsRouter(o: ReportsApiOptions): Router {
  const router = express.Router();
  const now = o.now ?? Date.now;
  if (o.auth) router.use(basicAuth(o.auth, undefined, o.throttle));

  router.get('/', (_req: Request, res: Response) => {
    res.json({
      reports: REPORT_KINDS.map((kind) => ({ kind, json: `./${kind}`, csv: `./${kind}.csv` })),
      parameters: { from: 'day YYYY-MM-DD (local), ISO time or epoch ms; default 30 days before to', to: 'exclusive; default now', lot: 'lot id', tz: 'UTC offset of local days, default +07:00', format: REPORT_FORMATS.join(' | ') },
    });
  });

  router.get('/:report', (req: Request, res: Response) => {
    const name = req.params.report;
    const csv = name.endsWith('.csv');
    const params = { ...req.query, kind: csv ? name.slice(0, -4) : name, ...(csv ? { format: 'csv' } : {}) };
    let query;
    try {
      query = parseReportQuery(params, now());
    } catch (err) {
      if (err instanceof ReportQueryError) return void res.status(err.parameter === 'report' ? 404 : 400).json({ error: err.message, parameter: err.parameter });
      throw err;
    }
    const q = query;
    o.collections()
      .then((c) => runReport(c.sessions, q, { now: now(), tariffFor: o.tariffFor }))
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
