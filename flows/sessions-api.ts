// The session tools over HTTP, behind a login (operators and admins):
//   GET  /api/sessions?plate=&lot=&status=&limit=     a car's sessions, newest first
//   POST /api/sessions/{id}/close  {"reason", "exitAt"?, "fee"?}   closes one by hand
//   POST /api/sessions/{id}/void   {"reason"}                       voids one
//   GET  /api/sessions/audit?from=&to=&format=csv     every manual change, newest first
// Plates are in clear for an admin's login, masked for an operator's, as in the reports.
// A change is a JSON POST (a form from another site cannot send one; the login cookie is
// SameSite=Strict besides) and lands only if no gate event changed the session meanwhile.
import {
  applyCorrection,
  auditLog,
  CorrectionError,
  feeSoFar,
  findSessions,
  maskPlate,
  parseTime,
  ReportQueryError,
  SESSION_STATUSES,
  toCsv,
  DEFAULT_UTC_OFFSET,
  offsetOfLot,
  DAY_MS,
  type AuditEntry,
  type BillingCollections,
  type CorrectionAction,
  type SessionDoc,
  type SessionStatus,
  type TariffLookup,
} from '../billing/index.ts';
import { isId } from '../contract/index.ts';
import type { Logger } from '../log/index.ts';
import type { LotInfo } from '../layout/index.ts';
import { express, type Handler, type Request, type Response, type Router } from './deps.ts';
import { loginOfResponse } from './access.ts';

export const SESSIONS_PATH = '/api/sessions';

export interface SessionsApiOptions {
  collections: () => Promise<BillingCollections>;
  tariffFor: TariffLookup;
  plateKey: Uint8Array;
  /** Local days (`from=2026-12-07`) are at this UTC offset; default +07:00. */
  utcOffset?: string;
  /** Lots with a local time of their own: a session's exit time given without an offset is read at its lot's. */
  lots?: Readonly<Record<string, LotInfo>>;
  /** Guards every request; sets `res.locals.login`. */
  guard?: Handler;
  logger: Logger;
  now?: () => number;
}

const AUDIT_COLUMNS = ['at', 'by', 'role', 'action', 'reason', 'sessionId', 'lot', 'carId', 'statusBefore', 'statusAfter', 'feeBefore', 'feeAfter', 'exitAtAfter'] as const;

const one = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

export function sessionsRouter(o: SessionsApiOptions): Router {
  const router = express.Router();
  const now = o.now ?? Date.now;
  const tz = o.utcOffset ?? DEFAULT_UTC_OFFSET;
  if (o.guard) router.use(o.guard);
  const clear = (res: Response) => loginOfResponse(res)?.role === 'admin';
  const plate = (res: Response, carId: string) => (clear(res) ? carId : maskPlate(carId));
  const failed = (res: Response, what: string, err: Error) => {
    if (err instanceof CorrectionError) return void res.status(err.status).json({ error: err.message });
    if (err instanceof ReportQueryError) return void res.status(400).json({ error: err.message, parameter: err.parameter });
    o.logger.warn({ err: err.message }, `sessions: ${what} failed`);
    res.status(503).json({ error: `${what} not available now: ${err.message}` });
  };
  const view = (res: Response, s: SessionDoc) => {
    const tariff = s.status === 'open' ? o.tariffFor(s.tariff) : undefined;
    const { carKey: _key, plateClear: _clear, _id, ...rest } = s;
    return { sessionId: _id, ...rest, carId: plate(res, s.carId), ...(s.status === 'open' ? { feeSoFar: tariff ? feeSoFar(s, tariff, now()) : null } : {}) };
  };

  router.get('/', (req: Request, res: Response) => {
    const q = req.query;
    const status = one(q.status);
    const lot = one(q.lot);
    const limit = one(q.limit) === undefined ? undefined : Number(q.limit);
    if (status !== undefined && !SESSION_STATUSES.includes(status as SessionStatus)) return void res.status(400).json({ error: `status: one of ${SESSION_STATUSES.join(', ')}` });
    if (lot !== undefined && !isId(lot)) return void res.status(400).json({ error: 'lot: a lot id (1-32 characters of A-Z a-z 0-9 _ -)' });
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0)) return void res.status(400).json({ error: 'limit: a positive integer' });
    o.collections()
      .then((c) => findSessions(c.sessions, { plate: one(q.plate), lot, status: status as SessionStatus | undefined, limit }, o.plateKey))
      .then((found) => res.json({ count: found.length, sessions: found.map((s) => view(res, s)) }))
      .catch((err: Error) => failed(res, 'the search', err));
  });

  router.get('/audit', (req: Request, res: Response) => {
    let from: Date;
    let to: Date;
    try {
      to = one(req.query.to) ? parseTime('to', req.query.to, tz) : new Date(now());
      from = one(req.query.from) ? parseTime('from', req.query.from, tz) : new Date(to.getTime() - 30 * DAY_MS);
    } catch (err) {
      return failed(res, 'the audit log', err as Error);
    }
    const csv = req.query.format === 'csv' || (req.get('accept') ?? '').includes('text/csv');
    o.collections()
      .then((c) => auditLog(c.sessions, from, to))
      .then((entries) => {
        const shown = entries.map((e): AuditEntry => ({ ...e, carId: plate(res, e.carId) }));
        if (!csv) return void res.json({ from, to, count: shown.length, entries: shown });
        const rows = shown.map((e) => ({ ...e, statusBefore: e.before.status, statusAfter: e.after.status, feeBefore: e.before.fee, feeAfter: e.after.fee, exitAtAfter: e.after.exitAt }));
        res.type('text/csv; charset=utf-8').attachment('parking-audit.csv').send(toCsv(AUDIT_COLUMNS, rows));
      })
      .catch((err: Error) => failed(res, 'the audit log', err));
  });

  const parse = express.json({ limit: '4kb' });
  const jsonBody: Handler = (req, res, next) => {
    if (!req.is('application/json')) return void res.status(415).json({ error: 'send the change as JSON (Content-Type: application/json)' });
    parse(req, res, (err?: unknown) => (err ? res.status(400).json({ error: `body: ${(err as Error).message}` }) : next()));
  };

  router.post('/:id/:action', jsonBody, (req: Request, res: Response) => {
    const action = req.params.action as CorrectionAction;
    if (action !== 'close' && action !== 'void') return void res.status(404).json({ error: `no action ${JSON.stringify(action)}: close or void` });
    if (typeof req.body !== 'object' || req.body === null || Array.isArray(req.body)) return void res.status(400).json({ error: 'body: a JSON object {"reason": …}' });
    const body = req.body as Record<string, unknown>;
    const login = loginOfResponse(res)!;
    const at = new Date(now());
    const rawExit = body.exitAt !== undefined && body.exitAt !== null && body.exitAt !== '' ? body.exitAt : undefined;
    try {
      // Checked now, before any I/O; read again at the session's lot's offset once the session is read.
      if (rawExit !== undefined) parseTime('exitAt', rawExit, tz);
    } catch (err) {
      return failed(res, 'the change', err as Error);
    }
    const exitAtFor = (lot: string) => (rawExit === undefined ? undefined : parseTime('exitAt', rawExit, offsetOfLot(lot, o.lots, tz)));
    const fee = body.fee === undefined || body.fee === null || body.fee === '' ? undefined : (body.fee as number);
    o.collections()
      .then((c) => applyCorrection(c.sessions, req.params.id, (session) => ({ action, by: login.user, role: login.role, reason: body.reason as string, at, exitAt: exitAtFor(session.lot), fee }), o.tariffFor))
      .then((session) => {
        o.logger.info({ session: session._id, action, by: login.user, status: session.status, fee: session.fee }, 'sessions: changed by hand');
        res.json({ session: view(res, session) });
      })
      .catch((err: Error) => failed(res, 'the change', err));
  });
  return router;
}
