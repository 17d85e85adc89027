// Reports over `sessions`: revenue per day and lot, occupancy time per car, open sessions,
// and the sessions themselves; each as rows and as CSV.
import { bounded } from '../mongo/bound.ts';
import type { Collection, Document, Filter } from 'mongodb';
import { toCsv } from './csv.ts';
import { MINUTE_MS } from './fee.ts';
import type { ReportKind, ReportQuery } from './report-query.ts';
import { maskPlate } from './plates.ts';
import { feeSoFar, type SessionDoc } from './session.ts';
import { offsetMinutes, type Tariff } from './tariff.ts';

export interface RevenueRow {
  /** Local day of the exit, `YYYY-MM-DD`. */
  day: string;
  lot: string;
  currency: string;
  /** Charged sessions: closed plus unmatched. */
  sessions: number;
  closed: number;
  unmatched: number;
  /** Sum of fees, integer minor units. */
  revenue: number;
}

export interface OccupancyRow {
  carId: string;
  lot: string;
  visits: number;
  totalMinutes: number;
  totalFee: number;
  currency: string;
  firstEntryAt: Date;
  lastExitAt: Date;
}

export interface OpenRow {
  sessionId: string;
  carId: string;
  lot: string;
  entryAt: Date;
  entryGate: string | null;
  minutesSoFar: number;
  /** What leaving now would cost under the session's tariff; null when that tariff is not known. */
  feeSoFar: number | null;
  currency: string;
  tariff: string;
}

export interface SessionRow {
  sessionId: string;
  carId: string;
  lot: string;
  status: string;
  entryAt: Date | null;
  exitAt: Date | null;
  durationMinutes: number | null;
  fee: number | null;
  currency: string;
  tariff: string;
  entryGate: string | null;
  exitGate: string | null;
  entryEventId: string | null;
  exitEventId: string | null;
  reason: string | null;
}

export const REPORT_COLUMNS = {
  revenue: ['day', 'lot', 'currency', 'sessions', 'closed', 'unmatched', 'revenue'],
  occupancy: ['carId', 'lot', 'visits', 'totalMinutes', 'totalFee', 'currency', 'firstEntryAt', 'lastExitAt'],
  open: ['sessionId', 'carId', 'lot', 'entryAt', 'entryGate', 'minutesSoFar', 'feeSoFar', 'currency', 'tariff'],
  sessions: ['sessionId', 'carId', 'lot', 'status', 'entryAt', 'exitAt', 'durationMinutes', 'fee', 'currency', 'tariff', 'entryGate', 'exitGate', 'entryEventId', 'exitEventId', 'reason'],
} as const satisfies { revenue: readonly (keyof RevenueRow)[]; occupancy: readonly (keyof OccupancyRow)[]; open: readonly (keyof OpenRow)[]; sessions: readonly (keyof SessionRow)[] };

/** Most rows one report returns. */
export const MAX_ROWS = 100_000;

const inRange = (q: ReportQuery) => ({ $gte: q.from, $lt: q.to });
const byLot = (q: ReportQuery): Filter<SessionDoc> => (q.lot ? { lot: q.lot } : {});

/** Revenue of sessions charged (exited) in the range, per local day of the exit, lot and currency. */
export async function revenueByDay(sessions: Collection<SessionDoc>, q: ReportQuery, signal?: AbortSignal): Promise<RevenueRow[]> {
  const pipeline: Document[] = [
    { $match: { ...byLot(q), exitAt: inRange(q), status: { $in: ['closed', 'unmatched'] }, fee: { $type: 'number' } } },
    {
      $group: {
        _id: { day: { $dateToString: { format: '%Y-%m-%d', date: '$exitAt', timezone: q.utcOffset } }, lot: '$lot', currency: '$currency' },
        sessions: { $sum: 1 },
        closed: { $sum: { $cond: [{ $eq: ['$status', 'closed'] }, 1, 0] } },
        unmatched: { $sum: { $cond: [{ $eq: ['$status', 'unmatched'] }, 1, 0] } },
        revenue: { $sum: '$fee' },
      },
    },
    { $sort: { '_id.day': 1, '_id.lot': 1, '_id.currency': 1 } },
    { $limit: MAX_ROWS },
  ];
  const rows = await sessions.aggregate(pipeline, { signal, readPreference: READ }).toArray();
  return rows.map((r) => ({ day: r._id.day, lot: r._id.lot, currency: r._id.currency, sessions: r.sessions, closed: r.closed, unmatched: r.unmatched, revenue: r.revenue }));
}

/** Time parked per car and lot, over the closed sessions that ended in the range; longest first. */
export async function occupancyByCar(sessions: Collection<SessionDoc>, q: ReportQuery, signal?: AbortSignal): Promise<OccupancyRow[]> {
  const pipeline: Document[] = [
    { $match: { ...byLot(q), exitAt: inRange(q), status: 'closed' } },
    {
      $group: {
        _id: { car: '$carKey', lot: '$lot', currency: '$currency' },
        carId: { $last: '$carId' },
        visits: { $sum: 1 },
        totalMinutes: { $sum: '$durationMinutes' },
        totalFee: { $sum: '$fee' },
        firstEntryAt: { $min: '$entryAt' },
        lastExitAt: { $max: '$exitAt' },
      },
    },
    { $sort: { totalMinutes: -1, carId: 1, '_id.lot': 1 } },
    { $limit: MAX_ROWS },
  ];
  const rows = await sessions.aggregate(pipeline, { signal, readPreference: READ }).toArray();
  return rows.map((r) => ({
    carId: r.carId,
    lot: r._id.lot,
    visits: r.visits,
    totalMinutes: r.totalMinutes,
    totalFee: r.totalFee,
    currency: r._id.currency,
    firstEntryAt: r.firstEntryAt,
    lastExitAt: r.lastExitAt,
  }));
}

/** Finds the tariff that prices sessions stored with tariff id `id`. */
export type TariffLookup = (id: string) => Tariff | undefined;

/** Sessions open now (the range does not apply), oldest first, with what leaving now would cost. */
export async function openSessions(sessions: Collection<SessionDoc>, q: ReportQuery, now: number, tariffFor?: TariffLookup, signal?: AbortSignal): Promise<OpenRow[]> {
  const docs = await sessions.find({ ...byLot(q), status: 'open' }, { signal, readPreference: READ }).sort({ entryAt: 1 }).limit(MAX_ROWS).toArray();
  return docs.map((s) => {
    const entryAt = s.entryAt!;
    const tariff = tariffFor?.(s.tariff);
    const priced = tariff ? feeSoFar(s, tariff, now) : null;
    return {
      sessionId: s._id,
      carId: s.carId,
      lot: s.lot,
      entryAt,
      entryGate: s.entryGate,
      minutesSoFar: Math.max(0, Math.ceil((now - entryAt.getTime()) / MINUTE_MS)),
      feeSoFar: priced,
      currency: s.currency,
      tariff: s.tariff,
    };
  });
}

/** Every session that entered or exited in the range, in entry order (unmatched exits by exit time). */
export async function sessionsInRange(sessions: Collection<SessionDoc>, q: ReportQuery, signal?: AbortSignal): Promise<SessionRow[]> {
  const docs = await sessions
    .find({ ...byLot(q), $or: [{ entryAt: inRange(q) }, { exitAt: inRange(q) }] }, { signal, readPreference: READ })
    .sort({ createdAt: 1, _id: 1 })
    .limit(MAX_ROWS)
    .toArray();
  return docs.map((s) => ({
    sessionId: s._id,
    carId: s.carId,
    lot: s.lot,
    status: s.status,
    entryAt: s.entryAt,
    exitAt: s.exitAt,
    durationMinutes: s.durationMinutes,
    fee: s.fee,
    currency: s.currency,
    tariff: s.tariff,
    entryGate: s.entryGate,
    exitGate: s.exitGate,
    entryEventId: s.entryEventId,
    exitEventId: s.exitEventId,
    reason: s.reason,
  }));
}

export type ReportRows = RevenueRow[] | OccupancyRow[] | OpenRow[] | SessionRow[];

export interface Report {
  kind: ReportKind;
  from: Date;
  to: Date;
  lot?: string;
  /** UTC offset of the report's local days. */
  utcOffset: string;
  columns: readonly string[];
  rows: ReportRows;
}

/** Reports read from a secondary while there is no primary (an election): a little behind rather than not at all. */
const READ = 'primaryPreferred';

/** Report queries wait at most this long for MongoDB (a secondary answers while there is no primary), ms. */
export const REPORT_TIMEOUT_MS = 15_000;

export interface RunReportOptions {
  now?: number;
  /** Prices open sessions (feeSoFar). */
  tariffFor?: TariffLookup;
  timeoutMs?: number;
  /** Plates in clear, for roles that need them; default masked (`B1****YZ`). */
  clearPlates?: boolean;
}

/** Runs the report `q.kind` within `timeoutMs` (default REPORT_TIMEOUT_MS). */
export async function runReport(sessions: Collection<SessionDoc>, q: ReportQuery, options: RunReportOptions = {}): Promise<Report> {
  const r = await bounded(`${q.kind} report`, options.timeoutMs ?? REPORT_TIMEOUT_MS, (signal) => report(sessions, q, options, signal));
  if (!options.clearPlates) {
    for (const row of r.rows as Array<{ carId?: string; reason?: string | null }>) {
      if (row.carId === undefined) continue;
      const masked = maskPlate(row.carId);
      if (row.reason) row.reason = row.reason.split(row.carId).join(masked);
      row.carId = masked;
    }
  }
  return r;
}

async function report(sessions: Collection<SessionDoc>, q: ReportQuery, options: RunReportOptions, signal: AbortSignal): Promise<Report> {
  const now = options.now ?? Date.now();
  const head = { kind: q.kind, from: q.from, to: q.to, ...(q.lot ? { lot: q.lot } : {}), utcOffset: q.utcOffset, columns: REPORT_COLUMNS[q.kind] };
  switch (q.kind) {
    case 'revenue':
      return { ...head, rows: await revenueByDay(sessions, q, signal) };
    case 'occupancy':
      return { ...head, rows: await occupancyByCar(sessions, q, signal) };
    case 'open':
      return { ...head, rows: await openSessions(sessions, q, now, options.tariffFor, signal) };
    case 'sessions':
      return { ...head, rows: await sessionsInRange(sessions, q, signal) };
  }
}

/** A report as CSV, columns in REPORT_COLUMNS order. */
export function reportCsv(report: Report): string {
  return toCsv(report.columns as never, report.rows as object[]);
}

/** A file name for a CSV download, with local days: `revenue-mall-1-2026-11-01-2026-12-01.csv`. */
export function reportFileName(report: Pick<Report, 'kind' | 'lot' | 'from' | 'to' | 'utcOffset'>): string {
  const offset = (offsetMinutes(report.utcOffset) ?? 0) * MINUTE_MS;
  const day = (d: Date) => new Date(d.getTime() + offset).toISOString().slice(0, 10);
  return `${report.kind}${report.lot ? `-${report.lot}` : ''}-${day(report.from)}-${day(report.to)}.csv`;
}
