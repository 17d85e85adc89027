// `/api/occupancy` in pure form: its parameters, read and checked, and the buckets
// resampled to the asked step. Aggregate counts only: nothing here names a car.
import { isId } from '../contract/index.ts';
import { parseTime, ReportQueryError } from '../billing/report-query.ts';
import { STEP_MS, type Bucket } from './rollup.ts';

export interface OccupancyQuery {
  /** Unset: every lot. */
  lot?: string;
  /** Unset: the lot as a whole. */
  level?: string;
  from: number;
  to: number;
  stepMs: number;
  format: 'json' | 'csv';
  /** `by=level`: a lot's rows per level (a `level` asks for one). */
  byLevel: boolean;
}

export interface OccupancyRow {
  lot: string;
  /** Absent for a lot as a whole. */
  level?: string;
  from: string;
  to: string;
  totalSpotNumber: number;
  occupiedMean: number;
  occupiedMax: number;
  availableMean: number;
  /** occupiedMean / totalSpotNumber, 0-1. */
  occupancy: number | null;
  arrivals: number;
  departures: number;
  meanStayMinutes: number | null;
  /** Share of the step's 5-minute buckets on record, 0-1. */
  coverage: number;
}

export const OCCUPANCY_COLUMNS = ['lot', 'level', 'from', 'to', 'totalSpotNumber', 'occupiedMean', 'occupiedMax', 'availableMean', 'occupancy', 'arrivals', 'departures', 'meanStayMinutes', 'coverage'] as const;

export class OccupancyQueryError extends Error {
  override readonly name = 'OccupancyQueryError';
  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(`${parameter}: ${message}`);
  }
}

/** Most rows one answer holds; a longer range needs a larger step. */
export const MAX_ROWS = 10_000;
/** The longest range one question covers. */
export const MAX_RANGE_MS = 400 * 86_400_000;
/** Steps chosen when none is asked: the finest that keeps a chart at 500 points or fewer. */
const AUTO_STEPS = [5, 15, 30, 60, 180, 360, 1440, 10080].map((m) => m * 60_000);
const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

const given = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** A time parameter, read as the reports read theirs (billing/report-query.ts parseTime). */
function time(parameter: string, raw: string, utcOffset: string): number {
  try {
    return parseTime(parameter, raw, utcOffset).getTime();
  } catch (err) {
    if (err instanceof ReportQueryError) throw new OccupancyQueryError(parameter, err.message.slice(parameter.length + 2));
    throw err;
  }
}

/** `5m`, `15m`, `1h`, `1d` (or seconds): a whole number of 5-minute steps, at most 7 days. */
export function parseStep(raw: string): number {
  const m = /^\s*(\d{1,6})\s*([mhd]?)\s*$/.exec(raw);
  const ms = m ? Number(m[1]) * (m[2] ? UNIT_MS[m[2]] : 1000) : Number.NaN;
  if (!Number.isFinite(ms) || ms <= 0 || ms % STEP_MS !== 0 || ms > 7 * 86_400_000) {
    throw new OccupancyQueryError('step', `must be a multiple of 5 minutes up to 7 days, such as 5m, 15m, 1h or 1d, got ${JSON.stringify(raw)}`);
  }
  return ms;
}

/** Reads `lot, level, from, to, step, by, format` (and `Accept: text/csv`). Days are local at `utcOffset` (`+07:00`). */
export function parseOccupancyQuery(params: Record<string, unknown>, now: number, utcOffset: string, accept = ''): OccupancyQuery {
  for (const p of ['lot', 'level'] as const) {
    if (params[p] !== undefined && !(given(params[p]) && isId(params[p].trim()))) throw new OccupancyQueryError(p, `must be an id (1-32 characters of A-Z a-z 0-9 _ -), got ${JSON.stringify(params[p])}`);
  }
  const lot = given(params.lot) ? params.lot.trim() : undefined;
  const level = given(params.level) ? params.level.trim() : undefined;
  if (level !== undefined && lot === undefined) throw new OccupancyQueryError('level', 'needs a lot');
  if (params.by !== undefined && params.by !== 'level' && params.by !== 'lot') throw new OccupancyQueryError('by', `must be lot or level, got ${JSON.stringify(params.by)}`);
  const byLevel = params.by === 'level' || level !== undefined;
  const to = given(params.to) ? time('to', params.to, utcOffset) : now;
  const from = given(params.from) ? time('from', params.from, utcOffset) : to - 86_400_000;
  if (from >= to) throw new OccupancyQueryError('from', `must be before to (${new Date(to).toISOString()}), got ${new Date(from).toISOString()}`);
  if (to - from > MAX_RANGE_MS) throw new OccupancyQueryError('from', 'the range may cover at most 400 days');
  const stepMs = given(params.step) ? parseStep(params.step) : (AUTO_STEPS.find((s) => (to - from) / s <= 500) ?? AUTO_STEPS[AUTO_STEPS.length - 1]);
  const rawFormat = given(params.format) ? params.format.trim() : accept.includes('text/csv') ? 'csv' : 'json';
  if (rawFormat !== 'json' && rawFormat !== 'csv') throw new OccupancyQueryError('format', `must be json or csv, got ${JSON.stringify(params.format)}`);
  if ((to - from) / stepMs > MAX_ROWS) throw new OccupancyQueryError('step', `${Math.ceil((to - from) / stepMs)} steps are more than ${MAX_ROWS}: ask for a larger step or a shorter range`);
  return { lot, level, from, to, stepMs, format: rawFormat, byLevel };
}

/** The start of the window of `stepMs` that holds `ms`: days and longer start at local midnight. */
export function windowStart(ms: number, stepMs: number, utcOffsetMs: number): number {
  const shift = stepMs >= 86_400_000 ? utcOffsetMs : 0;
  return Math.floor((ms + shift) / stepMs) * stepMs - shift;
}

const r2 = (n: number) => Math.round(n * 100) / 100;

interface Acc {
  lot: string;
  level?: string;
  start: number;
  /** Per 5-minute step: the summed occupiedMean, total, occupiedMax. */
  steps: Map<number, { mean: number; total: number; max: number }>;
  arrivals: number;
  departures: number;
  stayMinutes: number;
}

/**
 * The buckets (one lot's, oldest first) as rows of `stepMs`: per level when `perLevel`,
 * else the lot as a whole (the levels summed step by step; its `occupiedMax` is then the
 * sum of the levels' maxima, an upper bound). Windows with no bucket are left out.
 */
export function resample(buckets: readonly Bucket[], stepMs: number, utcOffsetMs: number, perLevel: boolean): OccupancyRow[] {
  const accs = new Map<string, Acc>();
  for (const b of buckets) {
    const at = b.at.getTime();
    const start = windowStart(at, stepMs, utcOffsetMs);
    const key = `${perLevel ? b.level : ''}|${start}`;
    let acc = accs.get(key);
    if (!acc) accs.set(key, (acc = { lot: b.lot, ...(perLevel ? { level: b.level } : {}), start, steps: new Map(), arrivals: 0, departures: 0, stayMinutes: 0 }));
    const step = acc.steps.get(at) ?? { mean: 0, total: 0, max: 0 };
    step.mean += b.occupiedMean;
    step.total += b.total;
    step.max += b.occupiedMax;
    acc.steps.set(at, step);
    acc.arrivals += b.arrivals;
    acc.departures += b.departures;
    acc.stayMinutes += b.stayMinutes;
  }
  const rows: OccupancyRow[] = [];
  for (const acc of [...accs.values()].sort((a, b) => a.start - b.start || (a.level ?? '').localeCompare(b.level ?? ''))) {
    const steps = [...acc.steps.values()];
    const total = Math.max(...steps.map((s) => s.total));
    const occupiedMean = r2(steps.reduce((n, s) => n + s.mean, 0) / steps.length);
    rows.push({
      lot: acc.lot,
      ...(acc.level === undefined ? {} : { level: acc.level }),
      from: new Date(acc.start).toISOString(),
      to: new Date(acc.start + stepMs).toISOString(),
      totalSpotNumber: total,
      occupiedMean,
      occupiedMax: Math.max(...steps.map((s) => s.max)),
      availableMean: r2(total - occupiedMean),
      occupancy: total > 0 ? Math.round((occupiedMean / total) * 1000) / 1000 : null,
      arrivals: acc.arrivals,
      departures: acc.departures,
      meanStayMinutes: acc.departures > 0 ? r2(acc.stayMinutes / acc.departures) : null,
      coverage: Math.round((steps.length / (stepMs / STEP_MS)) * 1000) / 1000,
    });
  }
  return rows;
}

/** `/api/occupancy/slots`: one lot (one level of it, if given) over at most 31 days. */
export interface SlotStatsQuery {
  lot: string;
  level?: string;
  from: number;
  to: number;
  format: 'json' | 'csv';
}

/** The longest range of a per-slot question: it reads the changes themselves, not the buckets. */
export const MAX_SLOT_RANGE_MS = 31 * 86_400_000;

/** Reads `lot` (required), `level`, `from`, `to` (default the last 7 days), `format`. Days are local at `utcOffset`. */
export function parseSlotStatsQuery(params: Record<string, unknown>, now: number, utcOffset: string, accept = ''): SlotStatsQuery {
  if (!given(params.lot)) throw new OccupancyQueryError('lot', 'missing: the per-slot figures are of one lot');
  const { lot, level, to, format } = parseOccupancyQuery({ ...params, step: undefined, by: undefined }, now, utcOffset, accept);
  const from = given(params.from) ? time('from', params.from, utcOffset) : to - 7 * 86_400_000;
  if (from >= to) throw new OccupancyQueryError('from', `must be before to (${new Date(to).toISOString()}), got ${new Date(from).toISOString()}`);
  if (to - from > MAX_SLOT_RANGE_MS) throw new OccupancyQueryError('from', 'the per-slot figures cover at most 31 days: ask /api/occupancy for longer ranges');
  return { lot: lot!, ...(level ? { level } : {}), from, to, format };
}
