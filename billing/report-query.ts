// The reports and their parameters, from an HTTP query or a Node-RED message. Pure.
import { isId } from '../contract/index.ts';
import { offsetMinutes } from './tariff.ts';
import { DAY_MS, MINUTE_MS } from './fee.ts';

export const REPORT_KINDS = ['revenue', 'occupancy', 'open', 'sessions'] as const;
export type ReportKind = (typeof REPORT_KINDS)[number];
export const REPORT_FORMATS = ['json', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface ReportQuery {
  kind: ReportKind;
  /** Inclusive. */
  from: Date;
  /** Exclusive. */
  to: Date;
  lot?: string;
  /** Days are local days at this UTC offset (revenue per day). */
  utcOffset: string;
  format: ReportFormat;
}

export class ReportQueryError extends Error {
  override readonly name = 'ReportQueryError';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
  }
}

export const DEFAULT_UTC_OFFSET = '+07:00';

/** The local time of `lot`: its own (the lot configuration's `utcOffset`), else the site's. */
export function offsetOfLot(lot: unknown, lots: Readonly<Record<string, { utcOffset?: string }>> | undefined, site: string): string {
  return (typeof lot === 'string' && lots?.[lot]?.utcOffset) || site;
}
export const DEFAULT_DAYS = 30;

const DAY = /^(\d{4})-(\d{2})-(\d{2})$/;

/** A time parameter: `YYYY-MM-DD` (local midnight at `utcOffset`), an ISO-8601 time (local at `utcOffset` when it names no zone), or epoch milliseconds. */
export function parseTime(parameter: string, raw: unknown, utcOffset: string): Date {
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  const day = DAY.exec(text);
  let ms = Number.NaN;
  if (day) ms = Date.UTC(Number(day[1]), Number(day[2]) - 1, Number(day[3])) - offsetMinutes(utcOffset)! * MINUTE_MS;
  else if (/^\d{1,15}$/.test(text)) ms = Number(text);
  // A time with no zone of its own is local at `utcOffset`, not in the server process's zone.
  else if (/^\d{4}-\d{2}-\d{2}T/.test(text)) ms = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? Date.parse(text) : Date.parse(`${text}Z`) - offsetMinutes(utcOffset)! * MINUTE_MS;
  if (!Number.isFinite(ms) || (day && new Date(ms + offsetMinutes(utcOffset)! * MINUTE_MS).getUTCDate() !== Number(day[3]))) {
    throw new ReportQueryError(parameter, `must be a day YYYY-MM-DD, an ISO-8601 time or epoch milliseconds, got ${JSON.stringify(raw)}`);
  }
  return new Date(ms);
}

const given = (value: unknown): boolean => value !== undefined && value !== null && value !== '';

/**
 * Reads a report's parameters: `kind`, `from`, `to` (default: the last 30 days up to `now`),
 * `lot`, `tz` (UTC offset of local days, default +07:00) and `format` (json or csv).
 */
export function parseReportQuery(params: Record<string, unknown>, now: number, defaults: Partial<Pick<ReportQuery, 'kind' | 'format' | 'utcOffset'>> = {}): ReportQuery {
  const kind = given(params.kind) ? params.kind : defaults.kind;
  if (!REPORT_KINDS.includes(kind as ReportKind)) throw new ReportQueryError('report', `must be one of ${REPORT_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
  const format = given(params.format) ? params.format : (defaults.format ?? 'json');
  if (!REPORT_FORMATS.includes(format as ReportFormat)) throw new ReportQueryError('format', `must be json or csv, got ${JSON.stringify(format)}`);
  // In a URL query `+` reads as a space: `tz=+07:00` arrives as " 07:00"; `07:00` means +07:00 too.
  const rawTz = given(params.tz) ? params.tz : (defaults.utcOffset ?? DEFAULT_UTC_OFFSET);
  const tz = typeof rawTz === 'string' ? rawTz.trim().replace(/^(?=\d)/, '+') : rawTz;
  if (typeof tz !== 'string' || offsetMinutes(tz) === undefined) throw new ReportQueryError('tz', `must be a UTC offset such as +07:00, got ${JSON.stringify(tz)}`);
  const to = given(params.to) ? parseTime('to', params.to, tz) : new Date(now);
  const from = given(params.from) ? parseTime('from', params.from, tz) : new Date(to.getTime() - DEFAULT_DAYS * DAY_MS);
  if (from.getTime() >= to.getTime()) throw new ReportQueryError('from', `must be before to (${to.toISOString()}), got ${from.toISOString()}`);
  let lot: string | undefined;
  if (given(params.lot)) {
    if (!isId(params.lot)) throw new ReportQueryError('lot', `must be a lot id (1-32 characters of A-Z a-z 0-9 _ -), got ${JSON.stringify(params.lot)}`);
    lot = params.lot;
  }
  return { kind: kind as ReportKind, from, to, lot, utcOffset: tz, format: format as ReportFormat };
}
