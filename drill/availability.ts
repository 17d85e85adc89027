// Downtime per year and availability from failover times, as the VoIP
// master/backup work computed them, and the prior work's figures. Pure.

export const SECONDS_PER_YEAR = 365 * 24 * 3600;

export interface FailureRates {
  /** Planned switchovers a year (maintenance, upgrades). */
  planned: number;
  /** Failures a year (crashes, partitions, lost dependencies). */
  unplanned: number;
}

export const DEFAULT_FAILURE_RATES: FailureRates = { planned: 12, unplanned: 12 };

/** Downtime a year, seconds: failures a year × the time one failover takes. */
export function downtimePerYear(failuresPerYear: number, failoverMs: number): number {
  return (failuresPerYear * failoverMs) / 1000;
}

/** Availability (0-1) for a downtime a year in seconds: 1 − downtime / year. */
export function availabilityOf(downtimeSecondsPerYear: number): number {
  return 1 - downtimeSecondsPerYear / SECONDS_PER_YEAR;
}

/** The count of leading nines of an availability (0.999 99 → 5); Infinity at 1. */
export function nines(availability: number): number {
  if (availability >= 1) return Infinity;
  if (availability <= 0) return 0;
  // A little slack so 0.999 (stored as 0.99899999…) counts as three nines.
  return Math.max(0, Math.floor(-Math.log10(1 - availability) + 1e-9));
}

/** Availability as a percentage with the digits that matter: 99.99999730 %. */
export function formatAvailability(availability: number): string {
  const n = nines(availability);
  if (!Number.isFinite(n)) return '100 %';
  const decimals = Math.min(10, Math.max(2, n));
  return `${(availability * 100).toFixed(decimals)} %`;
}

/** Parses `N` (both planned and unplanned) or `P,U`. */
export function parseFailureRates(raw: string): FailureRates {
  const parts = raw.split(',').map((part) => part.trim());
  const numbers = parts.map((part) => (/^\d+(\.\d+)?$/.test(part) ? Number(part) : NaN));
  if (!(numbers.length === 1 || numbers.length === 2) || numbers.some((n) => !Number.isFinite(n))) {
    throw new Error('must be failures a year, N (planned and unplanned) or PLANNED,UNPLANNED, like 12 or 12,4');
  }
  return { planned: numbers[0], unplanned: numbers[numbers.length - 1] };
}

/** The figures of the prior work this platform is compared with (docs/drill.md names the sources). */
export const PRIOR_WORK = {
  /** The earlier smart-parking failover: mean time to switch server after the network was cut. */
  parking: {
    failoverMs: { wired: 4000, wireless: 6033 },
    /** Mean time for a slot change from the Pi to the display (over an ngrok tunnel): free to occupied, occupied to free. */
    slotChangeMs: { freeToOccupied: 733.336667, occupiedToFree: 740.456667 },
  },
  /** VoIP master (dedicated) / backup (cloud) servers. */
  voip: {
    downtimeSecondsPerYear: { planned: 0.8537, unplanned: 1.1858 },
    /** Without the backup server: 172.6 minutes a year. */
    downtimeWithoutBackupSecondsPerYear: 172.6 * 60,
    /** As stated there: 99.9999 % for both ("six nines"). */
    availabilityStated: 0.999999,
    throughputBytesPerSec: { before: 10790.85367, afterPlanned: 10720.54967, afterUnplanned: 10718.05172 },
  },
} as const;
