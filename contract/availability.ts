// The availability summary (FIWARE OffStreetParking field names) computed
// from slot states: pure sums, no I/O.
import type { SlotStatus } from './slot.ts';

export type LotStatus = 'spacesAvailable' | 'almostFull' | 'full' | 'closed';

export interface LevelAvailability {
  availableSpotNumber: number;
  occupiedSpotNumber: number;
  closedSpotNumber: number;
  unknownSpotNumber: number;
  totalSpotNumber: number;
}

export interface AvailabilitySummary extends LevelAvailability {
  lot: string;
  status: LotStatus;
  levels: Record<string, LevelAvailability>;
  observedAt: string;
}

export interface SlotLike {
  level: string;
  status: SlotStatus;
}

/** Optional configured totals per level: slots never heard from count as unknown. */
export type LevelTotals = Record<string, number>;

/** Zero counts. */
export const emptyLevel = (): LevelAvailability => ({ availableSpotNumber: 0, occupiedSpotNumber: 0, closedSpotNumber: 0, unknownSpotNumber: 0, totalSpotNumber: 0 });

/** The count a slot in each status adds to. */
export const STATUS_FIELD: Readonly<Record<SlotStatus, keyof LevelAvailability>> = {
  free: 'availableSpotNumber',
  occupied: 'occupiedSpotNumber',
  closed: 'closedSpotNumber',
  unknown: 'unknownSpotNumber',
};

/** Below this share of free spots a lot is `almostFull`. */
export const ALMOST_FULL_RATIO = 0.1;

export function lotStatus(a: LevelAvailability): LotStatus {
  if (a.totalSpotNumber > 0 && a.closedSpotNumber === a.totalSpotNumber) return 'closed';
  if (a.availableSpotNumber === 0) return 'full';
  if (a.availableSpotNumber / a.totalSpotNumber < ALMOST_FULL_RATIO) return 'almostFull';
  return 'spacesAvailable';
}

export function summarise(lot: string, slots: Iterable<SlotLike>, observedAt: Date, totals: LevelTotals = {}): AvailabilitySummary {
  const levels: Record<string, LevelAvailability> = {};
  for (const slot of slots) {
    const level = (levels[slot.level] ??= emptyLevel());
    level[STATUS_FIELD[slot.status]] += 1;
    level.totalSpotNumber += 1;
  }
  return summariseLevels(lot, levels, observedAt, totals);
}

/**
 * The summary of `lot` from counts per level (taken over: pass copies): levels short of their
 * configured total get the missing slots as unknown, then the lot sums them.
 */
export function summariseLevels(lot: string, levels: Record<string, LevelAvailability>, observedAt: Date, totals: LevelTotals = {}): AvailabilitySummary {
  for (const [name, total] of Object.entries(totals)) {
    const level = (levels[name] ??= emptyLevel());
    if (total > level.totalSpotNumber) {
      level.unknownSpotNumber += total - level.totalSpotNumber;
      level.totalSpotNumber = total;
    }
  }
  const sum = emptyLevel();
  for (const level of Object.values(levels)) for (const key of Object.keys(sum) as Array<keyof LevelAvailability>) sum[key] += level[key];
  const sorted = Object.fromEntries(Object.keys(levels).sort().map((k) => [k, levels[k]]));
  return { lot, ...sum, status: lotStatus(sum), levels: sorted, observedAt: observedAt.toISOString() };
}

const COUNT_FIELDS: ReadonlyArray<keyof LevelAvailability> = ['availableSpotNumber', 'occupiedSpotNumber', 'closedSpotNumber', 'unknownSpotNumber', 'totalSpotNumber'];
const LOT_STATUSES: readonly string[] = ['spacesAvailable', 'almostFull', 'full', 'closed'];
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * An availability summary as published (`<root>/<lot>/availability`), checked: undefined
 * for anything that is not one (broken JSON, a count that is not a whole number, a
 * missing field). A summary from an older platform without `occupiedSpotNumber`,
 * `closedSpotNumber` or `unknownSpotNumber` reads them as 0.
 */
export function decodeSummary(text: string): AvailabilitySummary | undefined {
  let doc: Record<string, unknown>;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
    doc = parsed as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const counts = (v: Record<string, unknown>): LevelAvailability | undefined => {
    if (!isCount(v.availableSpotNumber) || !isCount(v.totalSpotNumber)) return undefined;
    const out = emptyLevel();
    for (const key of COUNT_FIELDS) {
      if (v[key] !== undefined && !isCount(v[key])) return undefined;
      out[key] = (v[key] as number | undefined) ?? 0;
    }
    return out;
  };
  const lot = counts(doc);
  if (!lot || typeof doc.lot !== 'string' || typeof doc.observedAt !== 'string' || !Number.isFinite(Date.parse(doc.observedAt))) return undefined;
  const levels: Record<string, LevelAvailability> = {};
  if (doc.levels !== undefined) {
    if (!doc.levels || typeof doc.levels !== 'object' || Array.isArray(doc.levels)) return undefined;
    for (const [name, value] of Object.entries(doc.levels as Record<string, unknown>)) {
      const level = value && typeof value === 'object' ? counts(value as Record<string, unknown>) : undefined;
      if (!level) return undefined;
      levels[name] = level;
    }
  }
  const status = typeof doc.status === 'string' && LOT_STATUSES.includes(doc.status) ? (doc.status as LotStatus) : lotStatus(lot);
  return { lot: doc.lot, ...lot, status, levels, observedAt: doc.observedAt };
}
